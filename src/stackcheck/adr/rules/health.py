"""Rules of the ``health`` section: probe endpoints, their latency bound, readiness dependencies."""

from __future__ import annotations

import re

from stackcheck.adr.model import Sentence, Value
from stackcheck.adr.rules.base import (
    NUMBER,
    TIME_UNIT,
    in_context,
    integral,
    milliseconds,
    paths,
    rule,
    seconds,
)

__all__ = [
    "DOCKER_HEALTHCHECK_TIMEOUT",
    "HEALTH_ENDPOINTS",
    "HEALTH_LATENCY",
    "READY_DEPENDENCIES",
    "READY_RECOVERY",
]

_HEALTH = r"health|probe|liveness|readiness|startup|healthcheck|\balive\b"
_ROLE_WORDS = (
    ("live", r"\blive(?:ness|z)?\b|\balive\b"),
    ("ready", r"\bready\b|\breadiness\b|\breadyz\b"),
    ("startup", r"\bstartup\b|\bstarted\b|\bstart-?up\b"),
)


def _role(path: str, sentence: Sentence, text: str) -> str | None:
    """live / ready / startup / extra for one endpoint: its own name first, then the words beside it."""
    name = path.lower()
    if "metric" in name:
        return None  # the metrics rule's
    for role, words in _ROLE_WORDS:
        if re.search(words, name.replace("/", " ").replace("-", " ")):
            return role
    # "Liveness Probe (/health)", "/livez (liveness)": the label in the same list member as the path.
    around = next((part for part in re.split(r"[,;]|\band\b", text) if path in part), "").lower()
    for role, words in _ROLE_WORDS:
        if re.search(words, around.replace(path.lower(), " ")):
            return role
    if name.rstrip("/") in {"/health", "/healthz", "/healthcheck", "/ping", "/status"}:
        return "live"  # one generic health endpoint: the liveness check
    if re.search(r"health\s+endpoints?|health\s+checks?", sentence.context + " " + text, re.I):
        return "extra"
    return None


def _endpoints(_match: re.Match[str], sentence: Sentence) -> dict[str, Value] | None:
    text = sentence.text
    if not in_context(sentence, _HEALTH):
        return None
    values: dict[str, Value] = {}
    for path in paths(text):
        role = _role(path, sentence, text)
        if role == "extra":
            values.setdefault("health.extra", [])
            extra = values["health.extra"]
            assert isinstance(extra, list)
            extra.append(path)
        elif role and f"health.{role}" not in values:
            values[f"health.{role}"] = path
    return values or None


def _latency(match: re.Match[str], sentence: Sentence) -> dict[str, Value] | None:
    if not in_context(sentence, _HEALTH):
        return None
    return {"health.max_latency_ms": milliseconds(match.group("n"), match.group("unit"))}


def _recovery(match: re.Match[str], sentence: Sentence) -> dict[str, Value] | None:
    if not in_context(sentence, r"readiness|\bready\b|readyz"):
        return None
    return {"health.ready_recovery_s": integral(seconds(match.group("n"), match.group("unit")))}


def _docker_timeout(match: re.Match[str], sentence: Sentence) -> dict[str, Value] | None:
    return {"health.max_latency_ms": milliseconds(match.group("n"), match.group("unit"))}


_DEPENDENCIES = (
    ("postgres", r"\b(?:postgres(?:ql)?|database|db)\b"),
    ("redis", r"\b(?:redis|cache)\b"),
)


def _dependencies(_match: re.Match[str], sentence: Sentence) -> dict[str, Value] | None:
    if not in_context(sentence, r"readiness|\bready\b|readyz"):
        return None
    text = sentence.text.lower()
    found: list[object] = [dep for dep, words in _DEPENDENCIES if re.search(words, text)]
    return {"health.ready_dependencies": found} if found else None


HEALTH_ENDPOINTS = rule("health endpoints", r"(?<![\w.])/[a-z]", _endpoints)

HEALTH_LATENCY = rule(
    "health latency",
    rf"\b(?:respond|answer|reply|return)s?\w*\s+(?:in|within|under|below)\s*(?:<|under|less\s+than)?\s*"
    rf"(?P<n>{NUMBER})\s*(?P<unit>{TIME_UNIT})\b",
    _latency,
)

READY_RECOVERY = rule(
    "readiness recovery time",
    rf"\brecover(?:s|ed|y)?\s+(?:with)?in\s+(?P<n>{NUMBER})\s*(?P<unit>{TIME_UNIT})\b",
    _recovery,
)
DOCKER_HEALTHCHECK_TIMEOUT = rule(
    "docker healthcheck timeout",
    rf"HEALTHCHECK\b.*--timeout[= ](?P<n>{NUMBER})(?P<unit>ms|s|m)\b",
    _docker_timeout,
)

READY_DEPENDENCIES = rule(
    "readiness dependencies",
    r"\b(?:available|connected|reachable|reached|up|down|unavailable|cannot|lost|fails?)\b",
    _dependencies,
)
