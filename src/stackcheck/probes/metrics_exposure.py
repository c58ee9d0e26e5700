"""Whether the public side serves the metrics exposition (``metrics.public: false``), as pure helpers.

The exposition belongs on a port or address the public cannot reach (a management port, an internal
listener); a proxy that passes ``/metrics`` through, or an app that serves it next to its API, hands out
request rates, routes, versions and process details. An answer counts as the exposition when it is 2xx and
its body parses as one, or merely *looks* like one (``# TYPE``/``# HELP`` lines, an exposition content
type): a garbled exposition is exposed all the same. A refusal, a redirect, an error or a page that is
something else (a single-page app answering every path) serves nothing.

Besides the path itself, the probe asks for the spellings a path-exact deny rule tends to miss and an app
router still serves: the trailing slash toggled and a doubled leading slash (``location = /metrics`` in
nginx matches neither; ``merge_slashes off`` or a proxy that does not merge passes ``//metrics`` on).
"""

from __future__ import annotations

import re

from stackcheck.probes.metrics import Malformed, parse_exposition

__all__ = ["PUBLIC_READ_BYTES", "exposition_signs", "public_variants"]

PUBLIC_READ_BYTES = 256 * 1024  # enough of an answer to tell an exposition from anything else
_METADATA = re.compile(r"^# (TYPE|HELP) [a-zA-Z_:][a-zA-Z0-9_:]* ", re.MULTILINE)
_EXPOSITION_TYPES = ("application/openmetrics-text", "text/plain;version=0.0.4")


def public_variants(path: str) -> list[str]:
    """``path`` and the spellings of it that deny rules miss: trailing slash toggled, ``//`` in front."""
    toggled = path.rstrip("/") if path.endswith("/") and path != "/" else f"{path}/"
    return list(dict.fromkeys([path, toggled, "/" + path]))


def exposition_signs(status: int, text: str, content_type: str) -> str | None:
    """What shows that an answer is the Prometheus exposition (``None`` when it is not one).

    A body that merely parses is not enough (``OK 200`` is a one-sample exposition to the text parser):
    it needs two samples or more, metadata lines, or an exposition content type."""
    if not 200 <= status < 300:
        return None
    try:
        exposition = parse_exposition(text, content_type)
    except Malformed:
        exposition = None
    media = content_type.lower().replace(" ", "")
    typed = media.startswith(_EXPOSITION_TYPES)
    metadata = _METADATA.search(text) is not None
    if exposition is not None:
        samples = sum(len(family.samples) for family in exposition.families)
        if typed or metadata or samples >= 2:
            return f"a {exposition.format} exposition ({len(exposition.families)} metric families)"
    if typed:
        return f"an answer of type {content_type.strip()} (an exposition, malformed)"
    if metadata:
        return "an answer with # TYPE/# HELP lines (an exposition, malformed)"
    return None
