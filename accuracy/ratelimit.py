"""Rate limits: stackcheck's ``ratelimit`` verdicts beside the limiter's own configuration (the truth).

Every case starts a real limiter on loopback — Debian's nginx (``limit_req``), HAProxy 2.6 (stick tables),
Flask-Limiter on werkzeug, slowapi on uvicorn — configured here, so what each check must say follows from
that configuration: the reference column *is* the configuration (there is no rate-limit scanner to ask).
Windows are long (a token every 1-2 s) so a loaded machine cannot turn a refill into a verdict; cases run
three at a time (about 3 minutes in all).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from accuracy.harness import stackcheck
from accuracy.model import Row, Unavailable

__all__ = ["rows"]

CHECKS = ("enforced", "retry_after", "per_ip", "spoofing", "recovery")
FOLLOW_UPS = ("retry_after", "per_ip", "spoofing", "recovery")
TEN_PER_20S = {"requests": 10, "per_seconds": 20, "path": "/api/v1/ping", "max_wait_s": 3}
TEN_PER_10S = {"requests": 10, "per_seconds": 10, "path": "/api/v1/ping", "max_wait_s": 21}


@dataclass(frozen=True)
class Served:
    """Where a started limiter answers."""

    url: str
    ca_file: Path | None = None


@dataclass(frozen=True)
class Case:
    """One limiter configuration, the profile stackcheck is run with, and what each check must say."""

    name: str
    config: str  # the limiter's configuration in its own words (the reference column)
    start: Callable[[], AbstractContextManager[Served]]
    rate_limit: Mapping[str, Any]
    truth: Mapping[str, tuple[str, str]] = field(default_factory=dict)  # check -> (status, why)

    def expected(self, check: str) -> tuple[str, str]:
        return self.truth.get(check, ("passed", "what the configuration does meets the profile"))


class _Running(AbstractContextManager[Served]):
    def __init__(self, server: Any, served: Callable[[Any], Served]) -> None:
        self.server, self.served = server, served

    def __enter__(self) -> Served:
        self.server.start()
        return self.served(self.server)

    def __exit__(self, *exc: object) -> None:
        self.server.stop()


def _nginx_cases() -> list[Case]:
    from fixtures.nginx import NginxServer, NginxSite, nginx_binary

    if nginx_binary() is None:
        raise Unavailable("nginx is not installed (apt-get install -y nginx)")

    def nginx(site: NginxSite) -> Callable[[], AbstractContextManager[Served]]:
        return lambda: _Running(NginxServer(site), lambda s: Served(s.url, s.ca_file))

    paced = NginxSite(limit_rate="30r/m", limit_burst=9, retry_after_s=2)
    base = "nginx limit_req rate=30r/m"
    tail = "limit_req_status 429, Retry-After: 2"
    delayed = {c: ("skipped", "no refusal ever comes: nothing to examine") for c in FOLLOW_UPS}
    return [
        Case(
            "nginx burst+nodelay, per IP",
            f"{base} burst=9 nodelay, key $binary_remote_addr, {tail}",
            nginx(paced),
            TEN_PER_20S,
        ),
        Case(
            "nginx no burst, per IP (budget of one)",
            f"{base} (no burst), key $binary_remote_addr, {tail}",
            nginx(replace(paced, limit_burst=0)),
            {**TEN_PER_20S, "requests": 5, "per_seconds": 10},
            {"enforced": ("failed", "1 request at once per client, below the promised 5 per 10 s")},
        ),
        Case(
            "nginx burst without nodelay (delays)",
            f"{base} burst=9 (no nodelay), {tail}",
            nginx(replace(paced, limit_nodelay=False)),
            TEN_PER_20S,
            {"enforced": ("failed", "excess requests are delayed, never refused with 429"), **delayed},
        ),
        Case(
            "nginx burst without nodelay, accept_delaying",
            f"{base} burst=9 (no nodelay), {tail}; profile rate_limit.accept_delaying: true",
            nginx(replace(paced, limit_nodelay=False)),
            {**TEN_PER_20S, "accept_delaying": True},
            {"enforced": ("passed", "paced to 1 per 2 s, which the profile accepts"), **delayed},
        ),
        Case(
            "nginx one key for all",
            f"{base} burst=9 nodelay, key $server_name (one bucket), {tail}",
            nginx(replace(paced, limit_key="$server_name")),
            TEN_PER_20S,
            {"per_ip": ("failed", "every client shares the $server_name bucket")},
        ),
        Case(
            "nginx realip trusting XFF from 127.0.0.1",
            f"{base} burst=9 nodelay, set_real_ip_from 127.0.0.1, real_ip_header X-Forwarded-For, {tail}",
            nginx(replace(paced, trust_forwarded_for=True, trusted_proxies=("127.0.0.1",))),
            TEN_PER_20S,
            {"spoofing": ("failed", "the probe's address is a trusted proxy: X-Forwarded-For is the key")},
        ),
    ]


HAPROXY = """
    bind 127.0.0.1:{port} ssl crt {pem}
    stick-table type ip size 1k expire 60s store http_req_rate(10s)
    http-request track-sc0 src
    http-request deny deny_status 429 %s if {{ sc_http_req_rate(0) gt 10 }}
    http-request return status 200 content-type application/json string "pong"
"""


def _haproxy_cases() -> list[Case]:
    from fixtures.haproxy import HAProxyServer, haproxy_binary

    if haproxy_binary() is None:
        raise Unavailable("haproxy is not installed (apt-get install -y haproxy)")

    def haproxy(deny_extra: str) -> Callable[[], AbstractContextManager[Served]]:
        return lambda: _Running(HAProxyServer(HAPROXY % deny_extra), lambda s: Served(s.url, s.ca_file))

    config = "HAProxy track-sc0 src, http_req_rate(10s), deny_status 429 if sc_http_req_rate(0) gt 10"
    return [
        Case(
            "HAProxy stick table, Retry-After 20 on a 10 s window",
            f"{config}, hdr Retry-After 20",
            haproxy("hdr Retry-After 20"),
            TEN_PER_10S,
            {
                "retry_after": ("failed", "asks for 20 s, longer than the 10 s window (the check's rule)"),
                "recovery": ("passed", "denied requests count too: served again once the 20 s passed"),
            },
        ),
        Case(
            "HAProxy stick table, no Retry-After",
            f"{config} (no Retry-After)",
            haproxy(""),
            {**TEN_PER_10S, "max_wait_s": 5},
            {
                "retry_after": ("failed", "the 429 carries no Retry-After"),
                "recovery": (
                    "skipped",
                    "no Retry-After: one window (10 s) is above max_wait_s 5; when a client is served again "
                    "is not fixed by this configuration (denied requests count, and the 10 s rate weighs the "
                    "previous period too)",
                ),
            },
        ),
    ]


def _library_cases() -> list[Case]:
    from fixtures.limiters import LimiterApp, limiter_available

    cases: list[Case] = []

    def app(*args: Any, **kwargs: Any) -> tuple[str, Callable[[], AbstractContextManager[Served]]]:
        probe = LimiterApp(*args, **kwargs)
        return probe.describe(), lambda: _Running(LimiterApp(*args, **kwargs), lambda s: Served(s.url))

    if limiter_available("flask") is None:
        config, start = app("flask", "10 per 10 seconds")
        cases.append(Case("Flask-Limiter per IP", config, start, TEN_PER_10S))
        config, start = app("flask", "10 per 10 seconds", key="shared")
        cases.append(
            Case(
                "Flask-Limiter one key for all",
                config,
                start,
                TEN_PER_10S,
                {"per_ip": ("failed", "key_func returns one key for every client")},
            )
        )
    if limiter_available("slowapi") is None:
        config, start = app("slowapi", "10/10 seconds")
        cases.append(
            Case(
                "slowapi per IP, uvicorn defaults",
                config,
                start,
                TEN_PER_10S,
                {"spoofing": ("failed", "uvicorn trusts X-Forwarded-For from 127.0.0.1, the probe")},
            )
        )
        config, start = app("slowapi", "10/10 seconds", proxy_headers=False)
        cases.append(Case("slowapi per IP, --no-proxy-headers", config, start, TEN_PER_10S))
    if not cases:
        raise Unavailable(
            "neither Flask-Limiter nor slowapi is installed (pip install flask-limiter slowapi)"
        )
    return cases


def _run(case: Case) -> list[Row]:
    with case.start() as served:
        profile: dict[str, Any] = {"name": f"accuracy-{case.name}", "rate_limit": dict(case.rate_limit)}
        target: dict[str, Any] = {"base_url": served.url, "timeout_s": 10}
        if served.ca_file is not None:
            target["ca_bundle"] = str(served.ca_file)
        profile["target"] = target
        verdicts = stackcheck("verify", profile, "--target", served.url, "--suite", "ratelimit")
    out = []
    for check in CHECKS:
        truth, why = case.expected(check)
        try:
            status, detail = verdicts.status(f"ratelimit.{check}"), verdicts.detail(f"ratelimit.{check}")
        except LookupError as exc:
            status, detail = "missing", str(exc)[:160]
        out.append(
            Row(
                suite="ratelimit",
                case=case.name,
                check=f"ratelimit.{check}",
                truth=truth,
                truth_detail=why,
                reference_tool=case.config,
                reference="the configuration itself (no tool measures a rate limit)",
                reference_agrees=True if truth != "skipped" else None,
                stackcheck=status,
                stackcheck_detail=detail,
            )
        )
    return out


def rows() -> Iterator[Row]:
    """One row per (limiter configuration, ratelimit check)."""
    cases: list[Case] = []
    notes: list[str] = []
    for build in (_nginx_cases, _haproxy_cases, _library_cases):
        try:
            cases += build()
        except Unavailable as exc:
            notes.append(str(exc))
    if not cases:
        raise Unavailable("; ".join(notes))
    with ThreadPoolExecutor(max_workers=3) as pool:
        for result in pool.map(_run, cases):
            yield from result
