"""Building blocks of the drafting rules: the ``rule()`` constructor, units, context and negation tests."""

from __future__ import annotations

import re
from collections.abc import Callable

from stackcheck.adr.model import Rule, Sentence, Value

__all__ = [
    "NUMBER",
    "Build",
    "first",
    "in_context",
    "megabytes",
    "milliseconds",
    "minutes",
    "negated",
    "number",
    "paths",
    "rule",
    "seconds",
]

Build = Callable[[re.Match[str], Sentence], dict[str, Value] | None]

# 1,000 / 0.5 / 100k; a range "3-10" is read by the rules that accept one.
NUMBER = r"(?<![\d,.])\d{1,9}(?:,\d{3}){0,3}(?:\.\d{1,6})?"  # never starts inside a number: linear


def rule(name: str, pattern: str, build: Build, verifies: tuple[str, ...] = ()) -> Rule:
    """A rule matching ``pattern`` (case-insensitive) anywhere in a sentence's text."""
    return Rule(name, re.compile(pattern, re.I), build, verifies)


def first(match: re.Match[str], *names: str) -> str:
    """The first of the named groups that matched (alternatives of one pattern need distinct names)."""
    for name in names:
        value = match.group(name)
        if value is not None:
            return value
    raise ValueError(f"none of the groups {names} matched")


def number(text: str) -> float:
    """``"1,000"`` → 1000.0, ``"100k"`` → 100000.0."""
    text = text.replace(",", "").strip().lower()
    scale = 1000.0 if text.endswith("k") else 1.0
    return float(text.rstrip("k")) * scale


def integral(value: float) -> int | float:
    """200.0 → 200 (a profile reads ``200`` better than ``200.0``)."""
    return int(value) if float(value).is_integer() else value


_TIME_UNITS = {
    "ms": 0.001, "millisecond": 0.001, "milliseconds": 0.001, "msec": 0.001,
    "s": 1, "sec": 1, "secs": 1, "second": 1, "seconds": 1,
    "m": 60, "min": 60, "mins": 60, "minute": 60, "minutes": 60,
    "h": 3600, "hr": 3600, "hrs": 3600, "hour": 3600, "hours": 3600,
    "d": 86400, "day": 86400, "days": 86400,
    "w": 604800, "week": 604800, "weeks": 604800,
    "y": 31536000, "year": 31536000, "years": 31536000,
}  # fmt: skip
TIME_UNIT = (
    r"(?:ms|msec|milliseconds?|secs?|seconds?|s|mins?|minutes?|m|hrs?|hours?|h|days?|d|weeks?|w|years?|y)"
)
_WORDS = {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "ten": 10, "a": 1, "an": 1}


def seconds(amount: str, unit: str) -> float:
    """``("4", "hours")`` → 14400.0; ``("two", "years")`` works too."""
    value = float(_WORDS[amount.lower()]) if amount.lower() in _WORDS else number(amount)
    return value * _TIME_UNITS[unit.lower()]


def minutes(amount: str, unit: str) -> int | float:
    """A duration in whole minutes where it is whole (RTO/RPO are kept in minutes)."""
    return integral(seconds(amount, unit) / 60)


def milliseconds(amount: str, unit: str) -> int | float:
    """A duration in milliseconds (latency bounds)."""
    return integral(round(seconds(amount, unit) * 1000, 3))


_SIZE_UNITS = {"k": 1 / 1024, "kb": 1 / 1024, "m": 1, "mb": 1, "mib": 1, "g": 1024, "gb": 1024, "gib": 1024}
SIZE_UNIT = r"(?:[kmg]i?b|[kmg])"


def megabytes(amount: str, unit: str) -> float:
    """``("2", "GB")`` → 2048.0."""
    return number(amount) * _SIZE_UNITS[unit.lower()]


def redis_size(amount: str, unit: str) -> str:
    """A memory size in Redis's own units: ``2GB`` → ``2gb``, ``128M`` → ``128mb``."""
    suffix = {"k": "kb", "m": "mb", "g": "gb"}[unit.lower()[0]]
    return f"{integral(number(amount))}{suffix}"


def in_context(sentence: Sentence, pattern: str) -> bool:
    """Whether the sentence, a line it hangs under, or its own (nearest) heading matches ``pattern``.

    Not the headings further up: a document titled "... operating limits" does not make every number
    in it a limit.
    """
    regex = re.compile(pattern, re.I)
    near = (*sentence.headings[-1:], *sentence.parents)
    return bool(regex.search(sentence.text) or any(regex.search(p) for p in near))


_NEGATION = re.compile(
    r"\b(?:not|never|no|without|instead\s+of|rather\s+than|disabled?|absent|forbidden|removed?|deny|denied)\b",
    re.I,
)


def negated(text: str, start: int, window: int = 40) -> bool:
    """Whether a negation stands in the ``window`` characters before position ``start`` (same clause)."""
    before = re.split(r"[.;,()]", text[max(0, start - window) : start])[-1]
    before = re.sub(r"\b(?:no|not)\s+(?:more|longer|later|slower)\s+than\b", " ", before, flags=re.I)
    return bool(_NEGATION.search(before))


_PATH = re.compile(r"(?<![\w.:/])(/[A-Za-z0-9_.~-]+(?:/[A-Za-z0-9_.~{}-]+)*/?)(?![\w/])")


def paths(text: str) -> list[str]:
    """URL paths written in a sentence (``/health/ready``, ``/metrics``); file paths and URLs' hosts are
    not paths: a path must stand alone or follow a host."""
    found = [m.group(1) for m in _PATH.finditer(text)]
    found += [m.group(1) for m in re.finditer(r"https?://[\w.-]+(?::\d+)?(/[\w./~-]*)", text)]
    return list(dict.fromkeys(p.rstrip(".") for p in found if len(p) > 1))
