"""Rules of the stages: latency and error SLOs, throughput, recovery objectives, scan scope."""

from __future__ import annotations

import re

from stackcheck.adr.model import Sentence, Value
from stackcheck.adr.rules.base import (
    NUMBER,
    TIME_UNIT,
    first,
    in_context,
    integral,
    milliseconds,
    minutes,
    number,
    rule,
)

__all__ = [
    "ALLOWED_REGIONS",
    "RECOVERY_OBJECTIVES",
    "SCANNER_TARGETS",
    "SLO_ERROR_RATIO",
    "SLO_PERCENTILE",
    "SLO_THROUGHPUT",
]

_BOUND = r"<=?|>=?|\u2264|\u2265|under|below|within|at\s+most|less\s+than|above|over|exceeds?"


def _percentile(match: re.Match[str], sentence: Sentence) -> dict[str, Value] | None:
    if in_context(sentence, r"health|probe|liveness|readiness") and not in_context(sentence, r"api|request"):
        return None  # a probe's latency: the health rules'
    pct = first(match, "pct", "pct2")
    if pct not in {"95", "99"}:
        return None  # the profile bounds p95 and p99
    return {f"slo.p{pct}_ms": milliseconds(first(match, "n", "n2"), first(match, "unit", "unit2"))}


def _error_ratio(match: re.Match[str], sentence: Sentence) -> dict[str, Value] | None:
    return {"slo.error_ratio": round(number(first(match, "n", "n2")) / 100, 6)}


def _throughput(match: re.Match[str], sentence: Sentence) -> dict[str, Value] | None:
    if in_context(sentence, r"rate.?limit|throttl|\blimited\b|\bquota\b"):
        return None
    return {"slo.rps": integral(number(match.group("n")))}


_OBJECTIVE = re.compile(
    rf"\b(?P<which>RTO|RPO|recovery[\s_]+(?:time|point)[\s_]+objective)s?\b[^0-9]{{0,50}}?"
    rf"\b(?P<n>{NUMBER}|one|two|a)\s*(?P<unit>{TIME_UNIT})\b"
    rf"|\b(?P<n2>{NUMBER}|one|two)\s*(?P<unit2>{TIME_UNIT})\b[^.()]{{0,40}}\((?P<which2>RTO|RPO)\)",
    re.I,
)


def _objectives(_match: re.Match[str], sentence: Sentence) -> dict[str, Value] | None:
    values: dict[str, Value] = {}
    for match in _OBJECTIVE.finditer(sentence.text):
        which = (match.group("which") or match.group("which2")).lower()
        amount, unit = first(match, "n", "n2"), first(match, "unit", "unit2")
        key = "backup.rto_minutes" if which in {"rto"} or "time" in which else "backup.rpo_minutes"
        values.setdefault(key, round(float(minutes(amount, unit))))
    return values or None


_REGION = (
    r"\b(?:us|eu|ap|sa|ca|me|af|il)-(?:north|south|east|west|central|northeast|southeast|northwest|southwest)"
    r"-\d\b"
)


def _regions(_match: re.Match[str], sentence: Sentence) -> dict[str, Value] | None:
    text = sentence.text
    if re.search(r"prefer|when\s+possible|ideally|if\s+possible|fallback", text, re.I):
        return None  # a preference is not a rule
    if not re.search(
        r"\bonly\b|\bstay|\bmust\b|restricted|limited\s+to|never\s+leave|remain|within|residency", text, re.I
    ):
        return None
    return {"scan.allowed_regions": list(dict.fromkeys(re.findall(_REGION, text, re.I)))}


_SCANNERS = {
    "bandit": "scan.code_paths",
    "checkov": "scan.iac_paths",
    "gitleaks": "scan.secret_paths",
    "detect-secrets": "scan.secret_paths",
    "trufflehog": "scan.secret_paths",
    "trivy": "scan.images",
}
_TARGET = re.compile(
    r"\b(?P<tool>bandit|checkov|trivy|gitleaks|detect-secrets|trufflehog)\b\s+(?:on|over|against)\s+(?P<target>[\w./:@-]+)",
    re.I,
)
_STOPWORDS = {"the", "every", "each", "all", "our", "image", "images", "code", "push", "pull", "commit", "pr"}


def _scan_targets(_match: re.Match[str], sentence: Sentence) -> dict[str, Value] | None:
    values: dict[str, Value] = {}
    for match in _TARGET.finditer(sentence.text):
        key = _SCANNERS[match.group("tool").lower()]
        target = match.group("target").rstrip(".,;")
        if target.lower() in _STOPWORDS:
            continue
        if key == "scan.images" and ":" not in target:
            continue  # an image is named name:tag; "trivy on the image" names none
        listed = values.setdefault(key, [])
        assert isinstance(listed, list)
        listed.append(target)
    return values or None


_LEVELS = ("critical", "high", "medium", "low")  # strictest first
# A scanner's name → its scan.fail_on key (the secret scanners all stand for stackcheck's detect-secrets).
_TOOL_KEYS = {
    "bandit": "bandit",
    "checkov": "checkov",
    "trivy": "trivy",
    "actionlint": "actionlint",
    "gitleaks": "detect-secrets",
    "detect-secrets": "detect-secrets",
    "trufflehog": "detect-secrets",
}
_TOOLS = re.compile(rf"\b(?:{'|'.join(_TOOL_KEYS)})\b", re.I)
_BLOCKS = re.compile(
    r"\b(?:fail(?:s|ed|ing)?|block(?:s|ed|ing)?|break(?:s|ing)?|reject(?:s|ed)?|gate[sd]?)\b", re.I
)
_ANY = re.compile(r"\bany\s+(?:\w+\s+)?(?:finding|failure|issue|secret|vulnerabilit)", re.I)


def _threshold(clause: str) -> str | None:
    """The lowest severity a clause lets fail ("HIGH or CRITICAL" → high), or any."""
    found = [level for level in _LEVELS if re.search(rf"\b{level}\b", clause, re.I)]
    if found:
        return found[-1]
    return "any" if _ANY.search(clause) else None


def _fail_on(_match: re.Match[str], sentence: Sentence) -> dict[str, Value] | None:
    """Per-scanner thresholds: "bandit ... fails on any high-severity finding", "HIGH or CRITICAL
    vulnerabilities block the release" (image.vulnerabilities)."""
    values: dict[str, object] = {}
    for clause in re.split(r";|\.\s", sentence.text):
        block = _BLOCKS.search(clause)
        level = _threshold(clause) if block else None
        if block is None or level is None:
            continue
        tools = [(m.start(), _TOOL_KEYS[m.group(0).lower()]) for m in _TOOLS.finditer(clause)]
        before = [key for at, key in tools if at < block.start()]
        if re.search(r"vulnerabilit|\bCVEs?\b", clause, re.I) and not before:
            values["image.vulnerabilities"] = level
        elif before:
            values[before[-1]] = level
    return {"scan.fail_on": values} if values else None


SLO_PERCENTILE = rule(
    "latency percentile",
    rf"\bp(?P<pct>\d{{2}})\b[^.;]{{0,30}}?(?:{_BOUND})\s*(?P<n>{NUMBER})\s*(?P<unit>{TIME_UNIT})\b"
    rf"|\b(?P<pct2>\d{{2}})(?:th)?\s+percentile\b[^.;]{{0,30}}?(?:{_BOUND})\s*(?P<n2>{NUMBER})\s*(?P<unit2>{TIME_UNIT})\b",
    _percentile,
)

SLO_ERROR_RATIO = rule(
    "error ratio",
    rf"\berror\s+(?:rate|ratio|budget)\b[^.;]{{0,20}}?(?P<n>{NUMBER})\s*%"
    rf"|\berrors?\b[^.;]{{0,20}}?(?:below|under|<|at\s+most)\s*(?P<n2>{NUMBER})\s*%",
    _error_ratio,
)

SLO_THROUGHPUT = rule(
    "throughput",
    rf"(?:at\s+least|minimum\s+of|sustains?|sustained|handles?|throughput\s+of)[^.;\d]{{0,20}}(?P<n>{NUMBER})\s*"
    r"(?:req(?:uest)?s?\s*(?:/|per\s+)s(?:ec(?:ond)?)?|rps)\b",
    _throughput,
)

RECOVERY_OBJECTIVES = rule(
    "recovery objectives", r"\b(?:RTO|RPO|recovery[\s_]+(?:time|point)[\s_]+objective)", _objectives
)

ALLOWED_REGIONS = rule("allowed regions", _REGION, _regions)

SCAN_FAIL_ON = rule(
    "scan thresholds",
    r"\b(?:critical|high|medium|low|any)\b[^.;]{0,60}\b(?:fail|block|break|reject|gate)"
    r"|\b(?:fail|block|break|reject|gate)\w*\b[^.;]{0,60}\b(?:critical|high|medium|low|any)\b",
    _fail_on,
)
SCANNER_TARGETS = rule(
    "scanner targets", r"\b(?:bandit|checkov|trivy|gitleaks|detect-secrets|trufflehog)\b", _scan_targets
)
