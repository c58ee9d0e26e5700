"""Judging captured log lines: JSON structure, levels, correlation ids, planted personal data.

Pure functions over bytes a target wrote (untrusted): nothing here contacts anything. Every piece of a
line that leaves this module for a report goes through :func:`mask` first, so a planted value (or any
e-mail, card-like or phone-like number, or long token) never reaches an artifact in clear.
"""

from __future__ import annotations

import json
import re
import secrets
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from stackcheck.profile.logs import LOG_LEVELS, LogField, LogLevel, LogsSection, PiiKind

__all__ = [
    "LogLine",
    "Planted",
    "below_level",
    "correlation_hits",
    "field_value",
    "leaks",
    "level_counts",
    "level_of",
    "luhn_valid",
    "mask",
    "missing_fields",
    "parse_lines",
    "plant",
    "sample",
]

MAX_LINES = 50_000  # lines judged per run; the byte limit usually binds first
SAMPLE_LINES = 5
SAMPLE_CHARS = 160


@dataclass(frozen=True)
class LogLine:
    """One non-empty line of the stream (1-based ``number``) and its JSON object, if it is one."""

    number: int
    text: str
    record: dict[str, Any] | None


def parse_lines(data: bytes) -> list[LogLine]:
    """The non-empty lines of ``data`` (at most :data:`MAX_LINES`); a line is JSON when it is one object."""
    out: list[LogLine] = []
    for number, raw in enumerate(data.decode("utf-8", "replace").splitlines(), 1):
        text = raw.strip()
        if not text:
            continue
        record: dict[str, Any] | None = None
        if text.startswith("{"):
            try:
                value = json.loads(text)
            except ValueError:
                value = None
            record = value if isinstance(value, dict) else None
        out.append(LogLine(number, text, record))
        if len(out) >= MAX_LINES:
            break
    return out


def field_value(record: dict[str, Any], keys: tuple[str, ...]) -> Any:
    """The value under the first of ``keys`` present (a dotted key reads nested objects); ``None``."""
    for key in keys:
        if key in record and record[key] not in (None, ""):
            return record[key]
        node: Any = record
        for part in key.split(".") if "." in key else ():
            node = node.get(part) if isinstance(node, dict) else None
        if node is not record and node not in (None, ""):
            return node
    return None


def missing_fields(line: LogLine, section: LogsSection) -> list[LogField]:
    """The required fields a JSON line lacks (all of them for a line that is not JSON)."""
    if line.record is None:
        return list(section.required_fields)
    return [f for f in section.required_fields if field_value(line.record, section.aliases(f)) is None]


_LEVEL_WORDS: dict[str, LogLevel] = {
    **{level: level for level in LOG_LEVELS},
    "trc": "trace",
    "dbg": "debug",
    "debug2": "debug",
    "information": "info",
    "notice": "info",
    "warn": "warning",
    "err": "error",
    "fatal": "critical",
    "crit": "critical",
    "alert": "critical",
    "emergency": "critical",
    "panic": "critical",
}
_TEXT_LEVEL = re.compile(
    r"\b(TRACE|DEBUG|INFO|WARN|WARNING|ERROR|CRITICAL|FATAL)\b"  # logging's %(levelname)s, log4j, ...
    r"|\blevel=(\w+)"  # logfmt (slog's TextHandler, logrus)
    r"|\[\s*((?i:trace|debug|info|warn|warning|error|critical|fatal))\s*\]"  # structlog's console: [info  ]
)


def level_of(line: LogLine, section: LogsSection) -> LogLevel | None:
    """The line's level: its JSON level field, or the first level word of a text line; ``None``."""
    if line.record is not None:
        value = field_value(line.record, section.aliases("level"))
        return _LEVEL_WORDS.get(value.strip().lower()) if isinstance(value, str) else None
    match = _TEXT_LEVEL.search(line.text[:400])
    word = next((g for g in match.groups() if g), None) if match else None
    return _LEVEL_WORDS.get(word.lower()) if word else None


def correlation_hits(lines: list[LogLine], cid: str, section: LogsSection) -> tuple[list[int], list[int]]:
    """Line numbers whose correlation field holds ``cid``, and those that hold it elsewhere only."""
    in_field: list[int] = []
    elsewhere: list[int] = []
    keys = section.aliases("correlation_id")
    for line in lines:
        if cid not in line.text:
            continue
        value = field_value(line.record, keys) if line.record is not None else None
        (in_field if isinstance(value, str) and value == cid else elsewhere).append(line.number)
    return in_field, elsewhere


# ---- planted personal data ---------------------------------------------------------------------------


def luhn_valid(digits: str) -> bool:
    """Whether ``digits`` passes the Luhn check (what a card number must)."""
    total = 0
    for i, char in enumerate(reversed(digits)):
        d = int(char)
        if i % 2:
            d = d * 2 - 9 if d > 4 else d * 2
        total += d
    return total % 10 == 0


def _luhn_complete(prefix: str) -> str:
    return next(prefix + str(d) for d in range(10) if luhn_valid(prefix + str(d)))


def _digits_pattern(digits: str) -> re.Pattern[str]:
    # The same digits written with spaces, dashes, dots or brackets between them are the same number.
    return re.compile(r"[\s().-]?".join(digits))


@dataclass(frozen=True)
class Planted:
    """One planted value: its kind, the value sent, and the forms it would take in a log line."""

    kind: PiiKind
    value: str
    patterns: tuple[re.Pattern[str], ...]

    def found_in(self, text: str) -> bool:
        """Whether ``text`` holds the value in clear (in any of its forms)."""
        return any(p.search(text) for p in self.patterns)


def plant(kinds: list[PiiKind]) -> list[Planted]:
    """Fresh values of each kind, unique to this run: a reserved-domain e-mail, a drama-range phone
    number (+44 7700 900xxx), a Luhn-valid test card number (BIN 400000) and an API-key-shaped token."""
    out: list[Planted] = []
    for kind in dict.fromkeys(kinds):
        if kind == "email":
            value = f"sc.{secrets.token_hex(5)}@example.com"
            forms = {value, quote(value, safe=""), quote(value)}
            pats = tuple(re.compile(re.escape(f), re.IGNORECASE) for f in forms)
            out.append(Planted(kind, value, pats))
        elif kind == "phone":
            national = f"7700900{secrets.randbelow(1000):03d}"
            out.append(Planted(kind, f"+44{national}", (_digits_pattern(national),)))
        elif kind == "card":
            value = _luhn_complete(f"400000{secrets.randbelow(10**9):09d}")
            out.append(Planted(kind, value, (_digits_pattern(value),)))
        else:
            value = f"sckey_{secrets.token_hex(16)}"
            out.append(Planted(kind, value, (re.compile(re.escape(value)),)))
    return out


def leaks(lines: list[LogLine], planted: list[Planted]) -> dict[PiiKind, list[int]]:
    """For each planted kind that appears in clear, the numbers of the lines holding it."""
    found: dict[PiiKind, list[int]] = {}
    for item in planted:
        numbers = [line.number for line in lines if item.found_in(line.text)]
        if numbers:
            found[item.kind] = numbers
    return found


_EMAIL = re.compile(r"[\w.+-]+(?:@|%40)[\w-]+(?:\.[\w-]+)+", re.IGNORECASE)
_CARDLIKE = re.compile(r"\d(?:[ -]?\d){12,18}")
_PHONELIKE = re.compile(r"\+\d(?:[\s().-]?\d){7,14}")
_TOKEN = re.compile(r"[A-Za-z0-9_-]{24,}")


def mask(text: str, planted: Sequence[Planted] = ()) -> str:
    """``text`` with every planted value and anything shaped like personal data or a token replaced by
    ``<kind>``, cut to :data:`SAMPLE_CHARS` characters."""
    out = text[: SAMPLE_CHARS * 4]
    for item in planted:
        for pattern in item.patterns:
            out = pattern.sub(f"<{item.kind}>", out)
    out = _EMAIL.sub("<email>", out)
    out = _PHONELIKE.sub("<phone>", out)
    out = _CARDLIKE.sub("<number>", out)
    out = _TOKEN.sub("<token>", out)
    return out if len(out) <= SAMPLE_CHARS else out[: SAMPLE_CHARS - 1] + "…"


def sample(lines: list[LogLine], planted: Sequence[Planted] = ()) -> list[str]:
    """At most :data:`SAMPLE_LINES` of ``lines``, each as ``line N: <masked text>``."""
    return [f"line {line.number}: {mask(line.text, planted)}" for line in lines[:SAMPLE_LINES]]


def below_level(lines: list[LogLine], section: LogsSection, floor: LogLevel) -> list[LogLine]:
    """The lines whose level is less severe than ``floor`` (lines without a level are not counted)."""
    rank = LOG_LEVELS.index(floor)
    return [line for line in lines if (lv := level_of(line, section)) and LOG_LEVELS.index(lv) < rank]


def level_counts(lines: list[LogLine], section: LogsSection) -> dict[str, int]:
    """How many lines of each level (``unknown`` for a line without one)."""
    return dict(Counter(level_of(line, section) or "unknown" for line in lines))
