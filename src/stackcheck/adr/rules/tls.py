"""Rules of transport security: TLS versions and policy, certificates, the HTTP redirect, security headers."""

from __future__ import annotations

import re

from stackcheck.adr.model import Sentence, Value
from stackcheck.adr.rules.base import in_context, negated, rule, seconds

__all__ = [
    "CERT_DAYS_LEFT",
    "HEADERS_NAMED",
    "HEADER_LINE",
    "HEADER_NAMES",
    "HSTS_MAX_AGE",
    "HTTP_REDIRECT",
    "TLS_MIN_VERSION",
    "TLS_POLICY",
]

_NORMATIVE = (
    r"\bonly\b|\bminimum\b|\bmin\b|at\s+least|for\s+all|\brequired?\b|enforced?|everywhere"
    r"|\bor\s+(?:higher|later|above|newer)|\+"
)


def _min_version(match: re.Match[str], sentence: Sentence) -> dict[str, Value] | None:
    text = sentence.text
    if not re.search(_NORMATIVE, text, re.I) or negated(text, match.start()):
        return None
    versions = re.findall(r"\b(?:TLS\s*v?|TLSv)(1\.[0-3])\b|\band\s+(1\.[0-3])\b", text, re.I)
    lowest = min(v for pair in versions for v in pair if v)
    return {"tls.min_version": lowest}


_SUITE = re.compile(r"\bTLS_[A-Z0-9_]{8,}\b|\b(?:ECDHE|DHE)-[A-Z0-9-]{6,}\b")


def _allowed_ciphers(_match: re.Match[str], sentence: Sentence) -> dict[str, Value] | None:
    suites: list[object] = list(dict.fromkeys(_SUITE.findall(sentence.text)))
    return {"tls.allowed_ciphers": suites} if suites else None


def _policy(match: re.Match[str], sentence: Sentence) -> dict[str, Value] | None:
    return {"tls.policy": f"mozilla-{match.group('level').lower()}"}


def _cert_days(match: re.Match[str], sentence: Sentence) -> dict[str, Value] | None:
    if not in_context(sentence, r"certificate|\bcert\b|tls|ssl"):
        return None
    return {"tls.cert_min_days_left": int(match.group("n") or match.group("n2"))}


def _http_port(match: re.Match[str], sentence: Sentence) -> dict[str, Value] | None:
    return {"tls.http_port": int(match.group("port"))}


# The security headers the headers suite knows, by name and by the abbreviations ADRs use.
HEADER_NAMES: dict[str, str] = {
    "strict-transport-security": r"strict[- ]transport[- ]security|\bhsts\b",
    "content-security-policy": r"content[- ]security[- ]policy|\bcsp\b",
    "x-content-type-options": r"x-content-type-options|\bnosniff\b",
    "x-frame-options": r"x-frame-options",
    "referrer-policy": r"\breferr?er[- ]policy\b",
    "permissions-policy": r"\bpermissions[- ]policy\b",
    "cross-origin-opener-policy": r"cross-origin-opener-policy|\bcoop\b",
}


def _named_headers(_match: re.Match[str], sentence: Sentence) -> dict[str, Value] | None:
    text = sentence.text
    found: list[object] = [
        name
        for name, words in HEADER_NAMES.items()
        if (m := re.search(words, text, re.I)) and not negated(text, m.start())
    ]
    return {"headers.required": found} if found else None


def _header_line(match: re.Match[str], sentence: Sentence) -> dict[str, Value] | None:
    """``Strict-Transport-Security: max-age=63072000; preload``: a header as the service sends it."""
    name = match.group("name").lower()
    if name not in HEADER_NAMES:
        return None
    values: dict[str, Value] = {"headers.required": [name]}
    value = match.group("value").strip()
    if name == "strict-transport-security":
        values.update(_hsts_directives(value))  # its parts have keys of their own
    elif re.fullmatch(r"[\w\-;=,./:'* ]{1,200}", value) and "..." not in value:
        values["headers.values"] = {name: value}  # exactly this value (headers.values)
    return values


def _hsts_directives(value: str) -> dict[str, Value]:
    out: dict[str, Value] = {}
    age = re.search(r"max-age\s*=\s*(\d+)", value, re.I)
    if age:
        out["headers.hsts_min_age_s"] = int(age.group(1))
    if re.search(r"includesubdomains", value, re.I):
        out["headers.hsts_include_subdomains"] = True
    if re.search(r"\bpreload\b", value, re.I):
        out["headers.hsts_preload"] = True
    return out


def _hsts_age(match: re.Match[str], sentence: Sentence) -> dict[str, Value] | None:
    values: dict[str, Value] = {
        "headers.required": ["strict-transport-security"],
        "headers.hsts_min_age_s": int(seconds(match.group("n"), match.group("unit"))),
    }
    values.update(_hsts_directives(sentence.text.replace("max-age", "")))
    return values


STRONG_CIPHERS = rule(
    "strong cipher suites",
    r"\b(?:strong|modern|secure)\s+cipher(?:\s+suites?|s)?\b|\bno\s+weak\s+ciphers?\b",
    lambda m, s: {},
    verifies=("tls.ciphers",),
)
CERT_RENEWAL = rule(
    "certificates renewed",
    r"\bcertificates?\b[^.;]{0,30}\b(?:auto-?renew\w*|renew(?:ed|al)\s+automatically)|\bcertificate\s+auto-?renewal\b",
    lambda m, s: {},
    verifies=("tls.certificate",),
)
ALLOWED_CIPHERS = rule(
    "allowed cipher suites", r"\bTLS_[A-Z0-9_]{8,}\b|\b(?:ECDHE|DHE)-[A-Z0-9-]{6,}\b", _allowed_ciphers
)
TLS_MIN_VERSION = rule("TLS minimum version", r"\bTLS\s*v?1\.[0-3]\b|\bTLSv1\.[0-3]\b", _min_version)

TLS_POLICY = rule("TLS policy", r"\bmozilla(?:'s)?\s+(?P<level>modern|intermediate|old)\b", _policy)

CERT_DAYS_LEFT = rule(
    "certificate days left",
    r"(?:fewer|less)\s+than\s+(?P<n>\d+)\s+days?\s+(?:left|remaining|of\s+validity|before\s+expiry)"
    r"|at\s+least\s+(?P<n2>\d+)\s+days?\s+(?:left|remaining|of\s+validity)",
    _cert_days,
)

HTTP_REDIRECT = rule(
    "HTTP redirects to HTTPS",
    r"\bport\s+(?P<port>\d{2,5})\b[^.]{0,40}\bredirect(?:s|ed)?\s+to\s+https",
    _http_port,
)

HEADERS_NAMED = rule("security headers named", r"\bheaders?\b", _named_headers)

HEADER_LINE = rule(
    "security header line", r"^(?P<name>[A-Za-z][A-Za-z-]+)\s*:\s*(?P<value>\S.*)$", _header_line
)

HSTS_MAX_AGE = rule(
    "HSTS max-age",
    r"\bhsts\b[^.,;]{0,40}?(?:\bmax-age\s+(?:of\s+)?|\bfor\s+(?:at\s+least\s+)?)(?P<n>\d+|one|two|a)\s*"
    r"(?P<unit>years?|days?|seconds?|s)\b",
    _hsts_age,
)
