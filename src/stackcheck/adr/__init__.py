"""``stackcheck adr draft``: a draft profile from architecture decision records (docs/adr.md).

:func:`draft` reads documents into sentences (:mod:`~stackcheck.adr.reader`), maps claims to profile keys
with the rules of :data:`~stackcheck.adr.rules.RULES`, lists the rest as manual claims
(:mod:`~stackcheck.adr.manual`); :func:`render_draft` writes the profile YAML.
"""

from __future__ import annotations

from stackcheck.adr.draft import Draft, draft
from stackcheck.adr.model import DraftClaim, Finding, Rule, Sentence
from stackcheck.adr.reader import read_document, read_text
from stackcheck.adr.render import render_draft, summary_line

__all__ = [
    "Draft",
    "DraftClaim",
    "Finding",
    "Rule",
    "Sentence",
    "draft",
    "read_document",
    "read_text",
    "render_draft",
    "summary_line",
]
