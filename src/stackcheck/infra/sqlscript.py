"""Split a plain SQL migration file into statements, keeping where each one starts.

Migrations are run statement by statement (not as one multi-statement query) because PostgreSQL runs a
multi-statement query string as one implicit transaction, and some statements teams put in migrations refuse
that: ``ALTER SYSTEM``, ``CREATE INDEX CONCURRENTLY``, ``CREATE DATABASE``. The splitter understands quotes,
dollar quoting (function bodies), and both comment styles, so a ``;`` inside them does not end a statement.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["Statement", "split_sql"]

_DOLLAR_TAG = re.compile(r"\$([A-Za-z_][A-Za-z0-9_]*)?\$")


@dataclass(frozen=True)
class Statement:
    """One SQL statement and the 1-based line it starts on."""

    sql: str
    line: int


def _skip_block_comment(text: str, i: int) -> int:
    depth = 0
    n = len(text)
    while i < n:
        if text.startswith("/*", i):
            depth += 1
            i += 2
        elif text.startswith("*/", i):
            depth -= 1
            i += 2
            if depth == 0:
                return i
        else:
            i += 1
    return n


def _skip_quoted(text: str, i: int, quote: str) -> int:
    # Doubled quotes escape themselves ('it''s', "a""b"); E'' strings also allow backslash escapes.
    escape = quote == "'" and i > 0 and text[i - 1] in "eE"
    i += 1
    n = len(text)
    while i < n:
        ch = text[i]
        if escape and ch == "\\":
            i += 2
            continue
        if ch == quote:
            if i + 1 < n and text[i + 1] == quote:
                i += 2
                continue
            return i + 1
        i += 1
    return n


def split_sql(text: str) -> list[Statement]:
    """The statements of ``text``, without trailing ``;`` or leading comments; empty pieces are dropped."""
    statements: list[Statement] = []
    start = 0
    i = 0
    n = len(text)
    has_code = False
    code_start = 0
    while i < n:
        ch = text[i]
        if text.startswith("--", i):
            end = text.find("\n", i)
            i = n if end < 0 else end + 1
            continue
        if text.startswith("/*", i):
            i = _skip_block_comment(text, i)
            continue
        if not has_code and not ch.isspace() and ch != ";":
            has_code, code_start = True, i
        if ch in ("'", '"'):
            i = _skip_quoted(text, i, ch)
            continue
        if ch == "$":
            tag = _DOLLAR_TAG.match(text, i)
            # `$1` parameters and identifiers with `$` inside are not dollar quotes.
            if tag and not (i > 0 and (text[i - 1].isalnum() or text[i - 1] == "_")):
                close = text.find(tag.group(0), tag.end())
                i = n if close < 0 else close + len(tag.group(0))
                continue
        if ch == ";":
            if has_code:
                statements.append(Statement(text[code_start:i].strip(), text.count("\n", 0, code_start) + 1))
            start, has_code = i + 1, False
        i += 1
    if has_code and text[start:].strip():
        statements.append(Statement(text[code_start:].strip(), text.count("\n", 0, code_start) + 1))
    return statements
