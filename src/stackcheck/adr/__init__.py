"""``stackcheck adr draft``: a draft profile from architecture decision records (docs/adr.md).

:func:`~stackcheck.adr.draft.draft` reads documents into sentences (:mod:`~stackcheck.adr.reader`),
maps claims to profile keys with the rules of :data:`~stackcheck.adr.rules.RULES`, lists the rest as
manual claims (:mod:`~stackcheck.adr.manual`); :func:`~stackcheck.adr.render.render_draft` writes the
profile YAML.

Nothing is imported here: `stackcheck adr --help` imports :mod:`stackcheck.adr.args` alone. Import from
the modules (``from stackcheck.adr.draft import draft``).
"""
