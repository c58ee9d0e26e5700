"""Sanitising: text that came from a target is made inert before it enters an artifact or the terminal.

A target chooses its status lines, headers and bodies, and checks quote them. Three layers, each where it
belongs:

* :func:`clean` (applied to every string of a report by :func:`stackcheck.report.publish.publishable`):
  control characters, escape sequences, bidirectional overrides and characters XML 1.0 forbids are written
  as visible escapes (``\\x1b``, ``\\u202e``), so ``junit.xml`` parses and no ANSI/OSC sequence ever reaches
  a terminal; every string is capped at :data:`TEXT_LIMIT` characters with a ``… [truncated N chars]``
  marker. Newlines and tabs stay (they are valid everywhere a report is written).
* :func:`one_line` for the terminal: :func:`clean`, with newlines and tabs escaped too, so a message
  cannot forge a line of its own.
* :func:`md_cell` / :func:`md_code` for ``summary.md`` table cells: pipes, Markdown syntax and raw HTML
  escaped in every column.

Escaping is idempotent (nothing it writes is escaped again), so a report can be sanitised twice.
"""

from __future__ import annotations

import re
from typing import Any

__all__ = ["TEXT_LIMIT", "clean", "clean_data", "md_cell", "md_code", "one_line"]

TEXT_LIMIT = 2000
# C0 controls but tab and newline, DEL, C1 controls (0x9b is CSI on some terminals), bidirectional
# embeddings/overrides/isolates ("Trojan source"), lone surrogates, and the XML non-characters.
_UNSAFE = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069\ud800-\udfff\ufffe\uffff]"
)
_UNSAFE_LINE = re.compile(_UNSAFE.pattern[:-1] + "\t\n]")
_NAMED = {"\t": "\\t", "\n": "\\n", "\r": "\\r"}


def _escape(match: re.Match[str]) -> str:
    char = match.group(0)
    code = ord(char)
    return _NAMED.get(char) or (f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}")


def cap(text: str, limit: int = TEXT_LIMIT, dropped: int = 0) -> str:
    """``text`` cut to at most ``limit`` characters, marker included; ``dropped`` characters already cut."""
    total = len(text) + dropped
    if total <= limit:
        return text
    marker = f"… [truncated {total} chars]"
    keep = max(limit - len(marker), 0)
    return text[:keep] + marker.replace(f"{total} chars", f"{total - keep} chars")


def clean(text: str, limit: int = TEXT_LIMIT) -> str:
    """``text`` with unsafe characters escaped and capped at ``limit`` characters."""
    return cap(_UNSAFE.sub(_escape, text[: limit * 2]), limit, max(len(text) - limit * 2, 0))


def clean_data(value: Any, limit: int = TEXT_LIMIT) -> Any:
    """:func:`clean` applied to every string inside nested dicts/lists (keys included)."""
    if isinstance(value, str):
        return clean(value, limit)
    if isinstance(value, dict):
        return {clean_data(k, limit): clean_data(v, limit) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [clean_data(v, limit) for v in value]
    return value


def one_line(text: str, limit: int = TEXT_LIMIT) -> str:
    """Terminal-safe: :func:`clean` with newlines and tabs escaped as well."""
    return cap(_UNSAFE_LINE.sub(_escape, clean(text, limit)), limit)


# CommonMark lets any ASCII punctuation be backslash-escaped: these are the ones that end a GFM table
# cell, open a code span, a link or an image, raw HTML or an entity (emphasis is only cosmetic and stays;
# the backslash itself, so that text ending in one cannot unescape the next pipe).
_MARKDOWN = re.compile(r"([\\`\[<|&])")


def md_cell(text: str) -> str:
    """One Markdown table cell: one line, with ``|``, Markdown syntax and raw HTML escaped."""
    return _MARKDOWN.sub(r"\\\1", one_line(text)) or "-"


def md_code(text: str) -> str:
    """One Markdown table cell as a code span: backticks fenced, ``|`` escaped (GFM reads it even there)."""
    # A backslash right before a pipe would escape the pipe's own escape: part them with a space.
    body = re.sub(r"\\(?=\|)", "\\ ", one_line(text)).replace("|", "\\|")
    if not body:
        return "-"
    longest = max((len(run) for run in re.findall(r"`+", body)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if body.startswith("`") or body.endswith("`") else ""
    return f"{fence}{pad}{body}{pad}{fence}"
