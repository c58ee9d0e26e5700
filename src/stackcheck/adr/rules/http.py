"""Rules of the HTTP surface: metrics, the rate limit, CORS and exposure."""

from __future__ import annotations

import re

from stackcheck.adr.model import Sentence, Value
from stackcheck.adr.rules.base import NUMBER, in_context, negated, number, paths, rule, seconds

__all__ = [
    "CORS_ORIGINS",
    "CORS_RESTRICTIVE",
    "METRICS_PATH",
    "METRIC_TYPES",
    "NOTHING_EXPOSED",
    "RATE_LIMIT",
]


def _metrics_path(_match: re.Match[str], sentence: Sentence) -> dict[str, Value] | None:
    found = [p for p in paths(sentence.text) if "metric" in p.lower()]
    if not found and re.search(r"prometheus", sentence.text, re.I):
        found = paths(sentence.text)[:1]
    return {"metrics.path": found[0]} if found else None


def _metric_types(_match: re.Match[str], sentence: Sentence) -> dict[str, Value] | None:
    named = re.findall(
        r"`?\b([a-z][a-z0-9_]*_[a-z0-9_]+)\b`?\s*\((?:an?\s+)?(counter|gauge|histogram|summary)\)",
        sentence.text,
    )
    if not named:
        return None
    return {
        "metrics.required": [name for name, _ in named],
        "metrics.types": {name: kind for name, kind in named},
    }


# "100 req/min", "60 requests/minute", "30 requests per minute", "6000 requests per 10 minutes", "10/s".
_PER = r"(?:/|\s+per\s+|\s+an?\s+|\s+every\s+)"
_WINDOW = r"(?P<count>\d+\s*)?(?P<unit>second|sec|s|minute|min|m|hour|hr|h|day|d)s?\b"
_LIMIT_CONTEXT = r"rate.?limit|throttl|limited\s+to|\blimits?\b|\ballow(?:s|ed)?\b|\bquota\b|\bbudget\b"


def _rate_limit(match: re.Match[str], sentence: Sentence) -> dict[str, Value] | None:
    text = sentence.text
    if not in_context(sentence, _LIMIT_CONTEXT) or negated(text, match.start()):
        return None
    tail = text[match.end() : match.end() + 60].lower()
    head = text[: match.start()].lower()
    keyed = re.search(
        r"\bper\s+(?:api\s+)?(?:key|user|token|account|tenant|header)\b|\bheader\b", tail + " " + head
    )
    header = re.search(r"\b(X-[A-Za-z0-9-]+|Authorization|Api-Key)\b", text)
    if keyed and header is None:
        return None  # keyed by a user or key the sentence names no header for: manual
    window = int(seconds(match.group("count") or "1", match.group("unit")))
    values: dict[str, Value] = {
        "rate_limit.requests": int(number(match.group("n"))),
        "rate_limit.per_seconds": window,
    }
    # "on /api/v1/ping", "POST /v2/login allows ...": the endpoint the budget applies to.
    endpoint = re.search(r"(?:\b(?P<method>GET|HEAD|POST)\s+)?(?<![\w.:/])(?P<path>/[\w./~-]*[\w/])", text)
    if endpoint:
        values["rate_limit.path"] = endpoint.group("path")
        if endpoint.group("method"):
            values["rate_limit.method"] = endpoint.group("method")
    if keyed and header is not None:
        values["rate_limit.scope"] = "header"
        values["rate_limit.header"] = header.group(1)
    elif re.search(
        r"\bper\s+(?:client\s+)?ip\b|\bper\s+(?:client|source)\s+address|\bby\s+ip\b", tail + " " + head
    ):
        values["rate_limit.scope"] = "ip"
    elif re.search(r"\bglobal(?:ly)?\b|\bin\s+total\b|\bacross\s+all\s+clients\b", tail + " " + head):
        values["rate_limit.scope"] = "global"
    return values


def _cors_restrictive(match: re.Match[str], sentence: Sentence) -> dict[str, Value] | None:
    if re.search(r"https?://", sentence.text):
        return None  # the origins rule's
    return {"cors.allowed_origins": []}


def _cors_origins(_match: re.Match[str], sentence: Sentence) -> dict[str, Value] | None:
    origins = re.findall(r"https?://[A-Za-z0-9.-]+(?::\d+)?", sentence.text)
    if not origins or re.search(r"\*|any\s+origin|all\s+origins", sentence.text, re.I):
        return None
    values: dict[str, Value] = {"cors.allowed_origins": list(dict.fromkeys(origins))}
    if re.search(
        r"\bwith(?:out)?\s+credentials\b|\bcredentials\s+(?:are\s+)?(?:allowed|not\s+allowed)",
        sentence.text,
        re.I,
    ):
        values["cors.allow_credentials"] = not re.search(
            r"\bwithout\s+credentials|\bcredentials\s+(?:are\s+)?not\s+allowed", sentence.text, re.I
        )
    methods = re.search(
        r"\bfor\s+((?:GET|POST|PUT|PATCH|DELETE|HEAD)(?:\s*(?:,|and|or)\s*(?:GET|POST|PUT|PATCH|DELETE|HEAD))*)\b",
        sentence.text,
    )
    if methods:
        values["cors.methods"] = re.findall(r"GET|POST|PUT|PATCH|DELETE|HEAD", methods.group(1))
    return values


def _metrics_private(_match: re.Match[str], sentence: Sentence) -> dict[str, Value] | None:
    return {"metrics.public": False}


def _exposure(match: re.Match[str], sentence: Sentence) -> dict[str, Value] | None:
    forbidden = paths(sentence.text)
    if forbidden:
        return {"exposure.forbidden_paths": list(forbidden)}
    if re.search(r"endpoints?|paths?|routes?|urls?|files?|debug|admin|actuator", sentence.text, re.I):
        return {"exposure.builtin": True}
    return None


METRICS_PATH = rule(
    "metrics endpoint", r"/(?:[\w-]+/){0,6}metrics\b|prometheus\s+(?:scrapes|metrics|endpoint)", _metrics_path
)

METRIC_TYPES = rule(
    "metric names and types", r"\((?:an?\s+)?(?:counter|gauge|histogram|summary)\)", _metric_types
)

RATE_LIMIT = rule(
    "rate limit",
    rf"(?P<n>{NUMBER})\s*(?:req(?:uest)?s?|calls|attempts|hits)?{_PER}{_WINDOW}",
    _rate_limit,
)

CORS_RESTRICTIVE = rule(
    "restrictive CORS",
    r"\bcors\b[^.]{0,40}\b(?:restrictive|strict|locked\s+down|disabled|deny|no\s+cross-origin)",
    _cors_restrictive,
)

CORS_ORIGINS = rule("CORS origins", r"\bcors\b|cross-origin|allowed\s+origins?", _cors_origins)

METRICS_PRIVATE = rule(
    "metrics not public",
    r"\b(?:metrics|exposition|prometheus\s+endpoint)\b[^.]{0,60}\b(?:(?:not|never)\s+(?:be\s+)?(?:public(?:ly)?"
    r"|exposed\s+publicly|reachable\s+from\s+(?:the\s+)?(?:internet|public|outside))"
    r"|(?:internal|separate|management|private)\s+(?:port|listener|network))",
    _metrics_private,
)
NOTHING_EXPOSED = rule(
    "nothing sensitive exposed",
    r"\b(?:no|never|nothing)\b[^.]{0,40}\b(?:exposed|served|(?:public(?:ly)?\s+)?reachable)"
    r"|\bmust\s+(?:never|not)\s+be\s+(?:served|exposed|reachable)",
    _exposure,
)
