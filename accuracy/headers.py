"""Headers verdicts on nginx, Apache and HAProxy beside what ``curl -sk -D - URL`` reads on the same page.

Each server runs with the security headers of a careful site, with none of them, with a version in its
Server header, with HSTS sent twice (Apache and HAProxy: nginx's fixture sends each header once), and behind
TLS 1.2 with static-RSA CBC suites only (curl reads the headers there; the headers suite must too). The truth
of each check follows from the headers the configuration sends, by the rules docs/suites/headers.md states;
curl's reading is judged by the same rules, so ``reference_agrees`` says whether curl saw what was configured.
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from accuracy.harness import Verdicts, run_tool, stackcheck
from accuracy.model import Row, Unavailable
from accuracy.servers import FULL_HEADERS, KINDS, Config, available, start
from stackcheck.report.sanitize import one_line

__all__ = ["CASES", "rows"]

HSTS_MIN_AGE_S = 15552000
Headers = Sequence[tuple[str, str]]
REFERRERS = {"no-referrer", "same-origin", "strict-origin", "strict-origin-when-cross-origin"}
VERSIONED = re.compile(r"\d+\.\d+|/\d")
STATIC_RSA_ONLY = "AES128-SHA:AES256-SHA:@SECLEVEL=0"
DUPLICATE_HSTS_DECISION = (
    "Strict-Transport-Security sent twice: identical copies are judged by the first, as RFC 6797 8.1 has the "
    "browser do; differing copies fail, since which one applies depends on the path the answer took "
    "(docs/suites/headers.md)."
)


def _values(headers: Headers, name: str) -> list[str]:
    return [v for n, v in headers if n.lower() == name]


def _hsts(h: Headers) -> bool:
    values = _values(h, "strict-transport-security")
    same = len({v.strip() for v in values}) == 1  # identical copies: the first applies (RFC 6797 8.1)
    m = re.search(r"max-age=\"?(\d+)", values[0], re.I) if values and same else None
    return m is not None and int(m[1]) >= HSTS_MIN_AGE_S


def _csp(h: Headers) -> bool:
    values = _values(h, "content-security-policy")
    return len(values) == 1 and not re.search(r"unsafe-inline|unsafe-eval|\*", values[0])


def _framing(h: Headers) -> bool:
    csp = " ".join(_values(h, "content-security-policy"))
    xfo = {v.strip().upper() for v in _values(h, "x-frame-options")}
    return "frame-ancestors 'none'" in csp or bool(xfo & {"DENY", "SAMEORIGIN"})


RULES: dict[str, Callable[[Headers], bool]] = {
    "headers.hsts": _hsts,
    "headers.csp": _csp,
    "headers.nosniff": lambda h: [v.lower() for v in _values(h, "x-content-type-options")] == ["nosniff"],
    "headers.framing": _framing,
    "headers.referrer_policy": lambda h: any(v.strip() in REFERRERS for v in _values(h, "referrer-policy")),
    "headers.server_banner": lambda h: not any(VERSIONED.search(v) for v in _values(h, "server")),
    "headers.coop": lambda h: any(
        v.split(";")[0].strip() == "same-origin" for v in _values(h, "cross-origin-opener-policy")
    ),
}
SHOWN = {
    "headers.hsts": "strict-transport-security",
    "headers.csp": "content-security-policy",
    "headers.nosniff": "x-content-type-options",
    "headers.framing": "x-frame-options",
    "headers.referrer_policy": "referrer-policy",
    "headers.server_banner": "server",
    "headers.coop": "cross-origin-opener-policy",
}
SERVER = {
    "nginx": ("nginx", "nginx/1.22.1"),
    "apache": ("Apache", "Apache/2.4 (Debian)"),
    "haproxy": ("", "HAProxy/2.6"),
}


@dataclass(frozen=True)
class Case:
    name: str
    config: Config
    kinds: tuple[str, ...] = KINDS
    decisions: tuple[tuple[str, str], ...] = ()  # (check, decision) where the truth is a documented choice


CASES: tuple[Case, ...] = (
    Case("all security headers", Config()),
    Case("no security headers", Config(headers=())),
    Case("server version in Server header", Config(server_tokens=True)),
    Case(
        "HSTS sent twice (identical)",
        Config(headers=(*FULL_HEADERS, FULL_HEADERS[0])),
        kinds=("apache", "haproxy"),
        decisions=(("headers.hsts", DUPLICATE_HSTS_DECISION),),
    ),
    Case(
        "HSTS sent twice (differing: a year, then 300 s)",
        Config(headers=(*FULL_HEADERS, ("Strict-Transport-Security", "max-age=300"))),
        kinds=("apache", "haproxy"),
        decisions=(("headers.hsts", DUPLICATE_HSTS_DECISION),),
    ),
    Case(
        "TLS 1.2 static-RSA CBC suites only, all security headers",
        Config(versions=("1.2",), ciphers=STATIC_RSA_ONLY),
    ),
)


def _configured(kind: str, config: Config) -> list[tuple[str, str]]:
    """The headers the configuration makes the server send (Server included)."""
    plain, versioned = SERVER[kind]
    server = versioned if config.server_tokens else plain
    return [*config.headers, *((("Server", server),) if server else ())]


def curl_headers(url: str) -> tuple[list[tuple[str, str]], str]:
    """``curl -sk -D - -o /dev/null URL``: the header lines of the answer, and curl's error if none."""
    proc = run_tool(["curl", "-sk", "--max-time", "20", "-D", "-", "-o", "/dev/null", url], 60)
    lines = proc.stdout.replace("\r", "").split("\n")
    found = [tuple(s.strip() for s in line.split(":", 1)) for line in lines[1:] if ":" in line]
    return [(n, v) for n, v in found], "" if lines and lines[0].startswith(
        "HTTP/"
    ) else f"curl exit {proc.returncode}"


def _profile(url: str, ca_file: str) -> dict[str, Any]:
    return {
        "name": "accuracy-headers",
        "target": {"base_url": url, "ca_bundle": ca_file, "timeout_s": 5},
        "headers": {"hsts_min_age_s": HSTS_MIN_AGE_S},
    }


def _show(headers: Headers, check: str) -> str:
    name = SHOWN[check]
    values = _values(headers, name)
    return f"{name}: " + (" | ".join(values)[:120] if values else "absent")


def _rows_for(kind: str, case: Case, v: Verdicts, seen: Headers, curl_error: str) -> Iterator[Row]:
    configured = _configured(kind, case.config)
    decisions = dict(case.decisions)
    for check, rule in RULES.items():
        truth = "passed" if rule(configured) else "failed"
        try:
            status, message = v.status(check), v.detail(check)
        except LookupError as exc:
            status, message = "error", str(exc)[:160]
        ref_ok = (
            None
            if curl_error
            else rule(seen) == rule(configured)
            and _values(seen, SHOWN[check]) == _values(configured, SHOWN[check])
        )
        if kind == "apache" and check == "headers.server_banner" and not curl_error:
            ref_ok = rule(seen) == rule(configured)  # Apache's full banner names modules too
        yield Row(
            suite="headers",
            case=f"{kind}: {case.name}",
            check=check,
            truth=truth,
            truth_detail=_show(configured, check),
            reference_tool="curl -sk -D -",
            reference=one_line(curl_error or _show(seen, check), 300),
            reference_agrees=ref_ok,
            stackcheck=status,
            stackcheck_detail=one_line(message, 300),
            decision=decisions.get(check, ""),  # shown even when agreeing: the truth itself is a choice
        )


def rows() -> Iterator[Row]:
    """Start each (server, configuration), read its headers with curl and stackcheck, one row per check."""
    if shutil.which("curl") is None:
        raise Unavailable("curl is not installed (apt-get install -y curl)")
    for case in CASES:
        for kind in case.kinds:
            if not available(kind):
                continue
            with start(kind, case.config) as server:
                seen, curl_error = curl_headers(server.url)
                v = stackcheck(
                    "verify",
                    _profile(server.url, str(server.ca_file)),
                    "--target",
                    server.url,
                    "--suite",
                    "headers",
                )
            yield from _rows_for(kind, case, v, seen, curl_error)
