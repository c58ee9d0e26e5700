"""Reading security headers the way the Mozilla HTTP Observatory grades them (pure functions).

The rules follow the Observatory's header tests: HSTS without a numeric ``max-age`` is invalid, and so is
HSTS sent twice with different values (sent twice identically, it is judged by the first, as RFC 6797 8.1
has browsers do);
a CSP fails when scripts or objects may come from anywhere (``*``, ``https:``, ``data:``) or inline/eval is
allowed (``'unsafe-inline'`` is neutralised by a nonce or hash, as browsers do); repeated directives are
invalid; the last valid Referrer-Policy token wins. Unlike the Observatory, a missing Referrer-Policy
fails (the profile promises the header) and ``frame-ancestors *`` is not framing protection.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from http import HTTPStatus

__all__ = [
    "PRIVATE_REFERRER_POLICIES",
    "Hsts",
    "csp_problems",
    "effective_hsts",
    "enforced_problems",
    "error_page",
    "exact_value_problem",
    "framing_protection",
    "parse_csp",
    "parse_hsts",
    "referrer_policy",
    "split_policies",
    "version_banners",
]

BROAD_SOURCES = frozenset(
    {"*", "http:", "https:", "ftp:", "http://*", "https://*", "http://*.*", "https://*.*"}
)
NONCE_OR_HASH = ("'nonce-", "'sha256-", "'sha384-", "'sha512-")
PRIVATE_REFERRER_POLICIES = ("no-referrer", "same-origin", "strict-origin", "strict-origin-when-cross-origin")
KNOWN_REFERRER_POLICIES = (
    *PRIVATE_REFERRER_POLICIES,
    "no-referrer-when-downgrade",
    "origin",
    "origin-when-cross-origin",
    "unsafe-url",
)
# Headers that commonly name the software behind a site.
# Policies that sever a cross-origin opener's handle on the window (cross-window attacks, XS-Leaks).
ISOLATING_OPENER_POLICIES = ("same-origin", "same-origin-allow-popups", "noopener-allow-popups")
BANNER_HEADERS = ("server", "x-powered-by", "x-aspnet-version", "x-aspnetmvc-version", "x-generator")
_VERSION = re.compile(r"\d+\.\d+|/\d")
_ASCII_DIGITS = re.compile(r"[0-9]+")


@dataclass(frozen=True)
class Hsts:
    """A parsed Strict-Transport-Security header."""

    max_age: int
    include_subdomains: bool
    preload: bool


def parse_hsts(value: str) -> Hsts:
    """Parse ``max-age=N; includeSubDomains; preload``; ``ValueError`` when invalid, i.e. when a browser
    ignores the header (RFC 6797 6.1, 8.1): a ``,`` (two policies, or copies joined by a proxy), a directive
    given twice, a ``max-age`` that is not ASCII digits (optionally a quoted string), or none."""
    if "," in value:
        raise ValueError("a ',' is not allowed in the value (two policies, or copies joined by a proxy)")
    max_age: int | None = None
    include = preload = False
    seen: set[str] = set()
    for part in (p.strip() for p in value.split(";")):
        name, _, arg = part.partition("=")
        name = name.strip().lower()
        if not name:
            continue
        if name in seen:
            raise ValueError(f"the directive {name!r} appears more than once")
        seen.add(name)
        if name == "max-age":
            digits = arg.strip()
            if len(digits) >= 2 and digits[0] == digits[-1] == '"':
                digits = digits[1:-1]
            if not _ASCII_DIGITS.fullmatch(digits):
                raise ValueError(f"max-age {arg.strip()!r} is not a number of seconds")
            max_age = int(digits)
        elif name == "includesubdomains":
            include = True
        elif name == "preload":
            preload = True
    if max_age is None:
        raise ValueError("no max-age directive")
    return Hsts(max_age, include, preload)


def effective_hsts(values: list[str]) -> Hsts:
    """The policy a browser applies from the Strict-Transport-Security headers of one answer.

    RFC 6797 8.1: a browser processes only the first header. Identical copies (an app and its proxy both
    adding the same line) change nothing, so they are judged by the first. Copies that differ are a
    ``ValueError``: which one applies depends on the path (a cache or proxy that folds them into one
    ``a, b`` value makes the header invalid for every browser), so the answer promises no one policy.
    """
    if not values:
        raise ValueError("no Strict-Transport-Security header")
    distinct = list(dict.fromkeys(" ".join(v.split()).lower() for v in values))
    if len(distinct) > 1:
        shown = " | ".join(repr(v) for v in dict.fromkeys(values))
        raise ValueError(f"sent {len(values)} times with different values ({shown})")
    return parse_hsts(values[0])


def parse_csp(value: str) -> dict[str, set[str]]:
    """``"default-src 'self'; img-src *"`` → ``{"default-src": {"'self'"}, "img-src": {"*"}}``.

    ``ValueError`` when a directive repeats or nothing is left (the Observatory treats both as invalid).
    """
    policy: dict[str, set[str]] = {}
    for directive in value.replace("\r", " ").replace("\n", " ").split(";"):
        tokens = directive.split()
        if not tokens:
            continue
        name = tokens[0].lower()
        if name in policy:
            raise ValueError(f"directive {name} appears twice")
        policy[name] = {t.lower() for t in tokens[1:]} or {"'none'"}
    if not policy:
        raise ValueError("the policy is empty")
    return policy


def split_policies(value: str) -> list[str]:
    """The policies in a CSP header value: several headers, or one with comma-separated policies (CSP3)."""
    return [part for part in value.split(",") if part.strip()]


def enforced_problems(value: str, https: bool = True) -> list[str]:
    """Weaknesses of all enforced policies together: a resource must pass every policy, so a weakness
    counts only when each policy has it. ``ValueError`` when a policy is invalid."""
    per_policy = [csp_problems(parse_csp(policy), https) for policy in split_policies(value)]
    if not per_policy:
        raise ValueError("the policy is empty")
    common = set.intersection(*({p.split(" (")[0] for p in problems} for problems in per_policy))
    return [p for p in per_policy[0] if p.split(" (")[0] in common]


def _effective(policy: Mapping[str, set[str]], directive: str) -> set[str]:
    """Sources for ``directive``, falling back to ``default-src``; no directive at all means anything."""
    return set(policy.get(directive) or policy.get("default-src") or {"*"})


def csp_problems(policy: Mapping[str, set[str]], https: bool = True) -> list[str]:
    """Why the policy does not restrict scripts and objects (empty when it does)."""
    problems: list[str] = []
    script = _effective(policy, "script-src")
    objects = _effective(policy, "object-src")
    has_nonce = any(s.startswith(NONCE_OR_HASH) for s in script)
    if has_nonce:
        script.discard("'unsafe-inline'")  # browsers ignore it when a nonce or hash is present
        if "'strict-dynamic'" in script:
            script = {s for s in script if s not in BROAD_SOURCES and s not in ("'self'",)}
    broad = sorted(script & BROAD_SOURCES)
    if broad:
        problems.append(f"scripts may load from anywhere ({' '.join(broad)})")
    if "'unsafe-inline'" in script:
        problems.append("inline scripts are allowed ('unsafe-inline')")
    if "data:" in script:
        problems.append("scripts may come from data: URLs")
    if "'unsafe-eval'" in script:
        problems.append("eval() is allowed ('unsafe-eval')")
    if objects & BROAD_SOURCES:
        problems.append(
            f"plugins/objects may load from anywhere ({' '.join(sorted(objects & BROAD_SOURCES))})"
        )
    if https and any(s.startswith(("http:", "http://")) for s in script):
        problems.append("scripts may load over plain http:")
    return problems


def framing_protection(headers: Mapping[str, str]) -> tuple[bool, str]:
    """Whether the page may be framed only by itself (or not at all), and what says so."""
    csp = headers.get("content-security-policy")
    for policy in split_policies(csp or ""):
        try:
            ancestors = parse_csp(policy).get("frame-ancestors")
        except ValueError:
            continue
        if ancestors is not None:
            broad = ancestors & BROAD_SOURCES
            if broad:
                return False, f"CSP frame-ancestors allows {' '.join(sorted(broad))}"
            return True, f"CSP frame-ancestors {' '.join(sorted(ancestors))}"
    xfo = headers.get("x-frame-options")
    if xfo is None:
        return False, "no X-Frame-Options and no CSP frame-ancestors"
    # HTML's X-Frame-Options processing: the values (copies joined by ',') as a set, lower-cased; more
    # than one distinct value that names deny, sameorigin or allowall blocks framing (browsers fall back to
    # deny: "DENY, SAMEORIGIN" is protected), other sets of several values allow it.
    values = {v.strip().lower() for v in xfo.split(",")}
    if len(values) > 1 and values & {"deny", "sameorigin", "allowall"}:
        return True, f"X-Frame-Options: {xfo.strip()} (conflicting values: browsers fall back to DENY)"
    if len(values) == 1 and values <= {"deny", "sameorigin"}:
        return True, f"X-Frame-Options: {xfo.strip()}"
    return False, f"X-Frame-Options: {xfo.strip()!r} is not DENY or SAMEORIGIN"


def referrer_policy(value: str | None) -> str | None:
    """The policy a browser applies: the last recognised token of the (comma-separated) header."""
    if not value:
        return None
    known = [t.strip().lower() for t in value.split(",") if t.strip().lower() in KNOWN_REFERRER_POLICIES]
    return known[-1] if known else None


def opener_policy(value: str | None) -> str | None:
    """The Cross-Origin-Opener-Policy a browser applies: the structured-header token, lower-cased
    (parameters such as ``; report-to="x"`` dropped); ``None`` when absent or empty."""
    if not value:
        return None
    token = value.split(";", 1)[0].strip().strip('"').lower()
    return token or None


def version_banners(headers: Mapping[str, str]) -> dict[str, str]:
    """Banner headers whose value names a version (``nginx/1.22.1``, ``PHP/8.2``, ``4.0.30319``)."""
    return {
        name: headers[name] for name in BANNER_HEADERS if name in headers and _VERSION.search(headers[name])
    }


def exact_value_problem(name: str, expected: str, values: list[str]) -> str | None:
    """Why the header ``name`` (its field values, in order) does not carry exactly ``expected`` (``None``
    when it does). Surrounding whitespace is trimmed; letter case counts. Sent more than once it fails even
    with identical copies: any hop may join them into one ``a, b`` value (RFC 9110 5.3), which is not the
    value, and some headers (Access-Control-Allow-Origin) are refused by browsers when repeated."""
    got = [v.strip() for v in values]
    if not got:
        return f"{name} is not sent"
    if len(got) > 1:
        shown = " | ".join(repr(v) for v in got)
        joined = ", ".join(got)
        return f"{name} is sent {len(got)} times ({shown}), so its value is {joined!r}, not {expected!r}"
    if got[0] == expected:
        return None
    if got[0].lower() == expected.lower():
        return f"{name} is {got[0]!r}, not {expected!r} (only the letter case differs; exact match)"
    return f"{name} is {got[0]!r}, not {expected!r}"


# Statuses that say the client was turned away (credentials, a client certificate, an access rule).
_REFUSALS = (400, 401, 403, 407, 421, 495, 496)


def error_page(status: int, path: str) -> tuple[str, bool] | None:
    """Why the answer to ``GET path`` cannot stand for the site's headers (``None`` when it can).

    A 4xx/5xx answer is the server's error page, not the page the profile names: nginx adds ``always``
    headers to a "400 No required SSL certificate was sent" page, a proxy with its backend down answers 502
    with its own headers. Judging them would pass or fail the site on a page it never served. The flag is
    True when the client was refused (access denied), False for any other error answer."""
    if status < 400:
        return None
    try:
        phrase = HTTPStatus(status).phrase
    except ValueError:
        phrase = "error"
    refused = status in _REFUSALS
    why = (
        "the server refused the client (a client certificate, credentials or an access rule is required)"
        if refused
        else "an error page is not the page whose headers the profile promises"
    )
    return (
        f"GET {path} answered {status} {phrase}: {why}; headers are judged on a page that answers "
        "2xx or 3xx (set headers.path, or headers.paths)",
        refused,
    )
