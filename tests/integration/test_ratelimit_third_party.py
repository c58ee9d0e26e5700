"""The ratelimit suite against limiters no one here wrote: nginx limit_req, HAProxy stick tables, slowapi.

Each case states the limiter's configuration in its own terms and runs ``stackcheck verify --suite
ratelimit`` on it; each fix of issue 11 is shown both ways (the configuration that must pass, the one that
must fail). Windows are long (a token every 2 s) so a loaded machine cannot blur a refill into a verdict.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any, Literal

import pytest
import yaml

from conftest import CliRun
from fixtures.haproxy import HAProxyServer, haproxy_binary
from fixtures.limiters import LimiterApp, limiter_available
from fixtures.nginx import NginxServer, NginxSite, nginx_binary
from stackcheck.catalog import ratelimit
from stackcheck.probes.ratelimit import HELD_BACK_RUN
from tests.integration.http_surface import expected, result

pytestmark = pytest.mark.integration
needs_nginx = pytest.mark.skipif(nginx_binary() is None, reason="nginx is not installed")
needs_haproxy = pytest.mark.skipif(haproxy_binary() is None, reason="haproxy is not installed")
needs_slowapi = pytest.mark.skipif(limiter_available("slowapi") is not None, reason="pip install slowapi")

SUITE = ["ratelimit"]
FOLLOW_UPS = [ratelimit.RETRY_AFTER, ratelimit.PER_IP, ratelimit.SPOOFING, ratelimit.RECOVERY]
# nginx: one token every 2 s, 10 at once (burst=9 nodelay), 429 with Retry-After: 2.
PACED = NginxSite(limit_rate="30r/m", limit_burst=9, retry_after_s=2)
TEN_PER_20S = {"requests": 10, "per_seconds": 20, "path": "/api/v1/ping", "max_wait_s": 3}


def verify(
    run_cli: Callable[..., CliRun],
    tmp_path: Path,
    url: str,
    rate_limit: Mapping[str, Any],
    ca_file: Path | None = None,
) -> CliRun:
    """``stackcheck verify --suite ratelimit`` of ``url`` with a profile holding ``rate_limit``."""
    target: dict[str, Any] = {"base_url": url, "timeout_s": 10}
    if ca_file is not None:
        target["ca_bundle"] = str(ca_file)
    profile = tmp_path / f"profile-{len(list(tmp_path.glob('profile-*')))}.yaml"
    profile.write_text(
        yaml.safe_dump({"name": "third-party", "target": target, "rate_limit": dict(rate_limit)})
    )
    return run_cli("verify", "--profile", str(profile), "--target", url, "--suite", "ratelimit", timeout=600)


def nginx_verify(run_cli: Callable[..., CliRun], tmp_path: Path, site: NginxSite, **limit: Any) -> CliRun:
    with NginxServer(site) as server:
        return verify(run_cli, tmp_path, server.url, {**TEN_PER_20S, **limit}, server.ca_file)


def limited_requests(server: NginxServer) -> int:
    """Requests nginx logged on the rate-limited path."""
    lines = (server.prefix / "access.log").read_text().splitlines()
    return sum(1 for line in lines if line.split()[-1] == server.site.limit_path)


# ---- 1. per_ip: a small per-IP budget is not a shared one ---------------------------------------------


@needs_nginx
@pytest.mark.parametrize(
    ("key", "per_ip"),
    [("$binary_remote_addr", "passed"), ("$server_name", "failed")],
    ids=["budget-of-one-per-ip-passes", "one-key-for-all-fails"],
)
def test_a_budget_of_one_per_ip_is_not_called_shared(
    run_cli: Callable[..., CliRun], tmp_path: Path, key: str, per_ip: str
) -> None:
    # nginx rate=30r/m without burst: every address gets one request, then 429 for 2 s. The profile promises
    # 5 per 10 s, so enforced fails (1 < 5) -- but the second address's 200, 429 is a budget of its own.
    site = replace(PACED, limit_burst=0, limit_key=key)
    run = nginx_verify(run_cli, tmp_path, site, requests=5, per_seconds=10)
    assert run.statuses() == expected(SUITE, {ratelimit.ENFORCED: "failed", ratelimit.PER_IP: per_ip})
    details = result(run, ratelimit.PER_IP)["evidence"]["details"]
    if per_ip == "passed":
        assert details["second_client_statuses"] == [200, 429] and details["verdict"] == "separate"
    else:
        assert details["second_client_statuses"][0] == 429 and details["verdict"] == "shared"


# ---- 3. delaying (burst without nodelay) is its own observation ------------------------------------------


@needs_nginx
@pytest.mark.parametrize(
    ("nodelay", "accept", "enforced"),
    [(False, False, "failed"), (False, True, "passed"), (True, False, "passed")],
    ids=["delaying-fails-by-default", "delaying-accepted-by-the-profile", "nodelay-refuses-and-passes"],
)
def test_burst_without_nodelay_is_reported_as_delaying(
    run_cli: Callable[..., CliRun], tmp_path: Path, nodelay: bool, accept: bool, enforced: str
) -> None:
    site = replace(PACED, limit_nodelay=nodelay, access_log=True)
    with NginxServer(site) as server:
        run = verify(
            run_cli, tmp_path, server.url, {**TEN_PER_20S, "accept_delaying": accept}, server.ca_file
        )
        sent = limited_requests(server)
    if nodelay:
        assert run.statuses() == expected(SUITE)
        return
    assert run.statuses() == expected(
        SUITE, {ratelimit.ENFORCED: enforced, **dict.fromkeys(FOLLOW_UPS, "skipped")}
    )
    message = result(run, ratelimit.ENFORCED)["message"]
    assert "held back" in message and "none refused" in message, message
    assert result(run, ratelimit.ENFORCED)["evidence"]["observed"] == "delayed"
    for check in FOLLOW_UPS:
        assert "holds excess requests back" in result(run, check)["message"]
    # One burst, stopped once delaying showed; no follow-up check re-bursts (before: 5 x 15 = 75).
    assert sent == 1 + HELD_BACK_RUN, sent


# ---- 4. a target that never refuses is burst at once per run ---------------------------------------------


@needs_nginx
def test_a_target_that_never_refuses_gets_one_burst_not_five(
    run_cli: Callable[..., CliRun], tmp_path: Path
) -> None:
    with NginxServer(replace(PACED, limit_rate=None, access_log=True)) as server:
        run = verify(run_cli, tmp_path, server.url, TEN_PER_20S, server.ca_file)
        sent = limited_requests(server)
    assert run.statuses() == expected(
        SUITE, {ratelimit.ENFORCED: "failed", **dict.fromkeys(FOLLOW_UPS, "skipped")}
    )
    # requests + margin = 15, once (each of the four follow-ups re-sent all 15 before: 75 in all).
    assert sent == 15, sent


# ---- 2. recovery honours a Retry-After longer than the window (HAProxy counts refused requests) ----------

HAPROXY_LIMIT = """
    bind 127.0.0.1:{port} ssl crt {pem}
    stick-table type ip size 1k expire 60s store http_req_rate(10s)
    http-request track-sc0 src
    http-request deny deny_status 429 hdr Retry-After %d if {{ sc_http_req_rate(0) gt 10 }}
    http-request return status 200 content-type application/json string "pong"
"""


@needs_haproxy
@pytest.mark.parametrize(
    ("retry_after", "recovery"),
    [(20, "passed"), (2, "failed")],
    ids=["retry-after-20-on-10s-window-is-honoured", "retry-after-2-lies"],
)
def test_recovery_waits_a_retry_after_longer_than_the_window(
    run_cli: Callable[..., CliRun], tmp_path: Path, retry_after: int, recovery: str
) -> None:
    limit = {"requests": 10, "per_seconds": 10, "path": "/api/v1/ping", "max_wait_s": 30}
    with HAProxyServer(HAPROXY_LIMIT % retry_after) as server:
        run = verify(run_cli, tmp_path, server.url, limit, server.ca_file)
    changed = {ratelimit.RECOVERY: recovery}
    if retry_after > 10:
        changed[ratelimit.RETRY_AFTER] = "failed"  # asks for more than the window: its own verdict
    assert run.statuses() == expected(SUITE, changed)
    evidence = result(run, ratelimit.RECOVERY)["evidence"]
    assert evidence["details"]["asked_s"] == retry_after
    assert evidence["details"]["waited_s"] >= retry_after  # what it says it waited, it waited
    message = result(run, ratelimit.RECOVERY)["message"]
    assert f"Retry-After: {retry_after}" in message, message


# ---- 5. spoofing names the trusted proxy address ---------------------------------------------------------


@needs_nginx
@pytest.mark.parametrize("trusted", [("127.0.0.1",), ()], ids=["realip-trusts-127.0.0.1", "no-realip"])
def test_nginx_realip_trusting_the_probe_address_fails_spoofing_saying_so(
    run_cli: Callable[..., CliRun], tmp_path: Path, trusted: tuple[str, ...]
) -> None:
    site = replace(PACED, trust_forwarded_for=bool(trusted), trusted_proxies=trusted)
    run = nginx_verify(run_cli, tmp_path, site)
    if not trusted:
        assert run.statuses() == expected(SUITE)
        return
    assert run.statuses() == expected(SUITE, {ratelimit.SPOOFING: "failed"})
    message = result(run, ratelimit.SPOOFING)["message"]
    assert message.startswith("the target trusts X-Forwarded-For"), message
    assert "from the probe's own address 127.0.0.1 as a proxy's" in message, message


@needs_slowapi
@pytest.mark.parametrize("proxy_headers", [True, False], ids=["uvicorn-defaults", "no-proxy-headers"])
def test_slowapi_under_uvicorn_default_proxy_headers_fails_spoofing(
    run_cli: Callable[..., CliRun], tmp_path: Path, proxy_headers: bool
) -> None:
    limit = {"requests": 10, "per_seconds": 20, "path": "/api/v1/ping", "max_wait_s": 0}
    with LimiterApp("slowapi", "10/20 seconds", proxy_headers=proxy_headers) as app:
        run = verify(run_cli, tmp_path, app.url, limit)
    changed = {ratelimit.RECOVERY: "skipped"}  # Retry-After up to 20 s > max_wait_s: opt-in wait
    if proxy_headers:
        changed[ratelimit.SPOOFING] = "failed"
        assert "--forwarded-allow-ips" in result(run, ratelimit.SPOOFING)["message"]
    assert run.statuses() == expected(SUITE, changed)


@needs_nginx
@needs_slowapi
@pytest.mark.parametrize(
    ("forwarded_for", "spoofing"),
    [("$remote_addr", "passed"), ("$proxy_add_x_forwarded_for", "failed")],
    ids=["proxy-overwrites-xff", "proxy-appends-client-xff"],
)
def test_slowapi_behind_nginx_is_spoofable_only_when_the_proxy_passes_the_client_header_on(
    run_cli: Callable[..., CliRun], tmp_path: Path, forwarded_for: str, spoofing: str
) -> None:
    # uvicorn trusts 127.0.0.1 (the proxy); the app sees the address the proxy names. With
    # $proxy_add_x_forwarded_for the client's own header comes first and uvicorn takes it: spoofable.
    limit = {"requests": 10, "per_seconds": 20, "path": "/api/v1/ping", "max_wait_s": 0}
    with LimiterApp("slowapi", "10/20 seconds") as app:
        site = NginxSite(upstream=app.url, upstream_forwarded_for=forwarded_for, retry_after_s=None)
        with NginxServer(site) as server:
            run = verify(run_cli, tmp_path, server.url, limit, server.ca_file)
    changed = {ratelimit.RECOVERY: "skipped", ratelimit.SPOOFING: spoofing}
    assert run.statuses() == expected(SUITE, changed), run.stdout
    if spoofing == "failed":
        assert "$proxy_add_x_forwarded_for" in result(run, ratelimit.SPOOFING)["message"]


# ---- 6. Retry-After: ASCII digits or an HTTP date, anything else fails (never error) ---------------------


@needs_nginx
@pytest.mark.parametrize(
    ("value", "status"),
    [("\u0661", "failed"), ("\u00b2", "failed"), ("9" * 400, "failed"), ("2", "passed")],
    ids=["arabic-indic-one", "superscript-two", "400-digits", "ascii-2"],
)
def test_retry_after_with_non_ascii_or_huge_digits_fails(
    run_cli: Callable[..., CliRun], tmp_path: Path, value: str, status: str
) -> None:
    # Waiting is not what this case is about: recovery is skipped (max_wait_s 0) unless it needs no wait.
    run = nginx_verify(run_cli, tmp_path, replace(PACED, retry_after_value=value), max_wait_s=0)
    statuses = run.statuses()
    assert statuses[ratelimit.RETRY_AFTER.id] == status, result(run, ratelimit.RETRY_AFTER)["message"]
    assert "error" not in statuses.values(), statuses
    if status == "failed":
        assert "Retry-After" in result(run, ratelimit.RETRY_AFTER)["message"]


# ---- Flask-Limiter: per IP vs one key; its Retry-After is truncated (int(reset - now)) -----------------

needs_flask = pytest.mark.skipif(limiter_available("flask") is not None, reason="pip install flask-limiter")


@needs_flask
@pytest.mark.parametrize(
    ("key", "per_ip"), [("ip", "passed"), ("shared", "failed")], ids=["per-ip", "one-key"]
)
def test_flask_limiter_key_decides_per_ip_and_its_truncated_retry_after_recovers(
    run_cli: Callable[..., CliRun], tmp_path: Path, key: Literal["ip", "shared"], per_ip: str
) -> None:
    # recovery waits Retry-After + 1 s: Flask-Limiter says "8" when 8.9 s remain, and serves after 8.9 s.
    limit = {"requests": 10, "per_seconds": 10, "path": "/api/v1/ping", "max_wait_s": 11}
    with LimiterApp("flask", "10 per 10 seconds", key=key) as app:
        run = verify(run_cli, tmp_path, app.url, limit)
    assert run.statuses() == expected(SUITE, {ratelimit.PER_IP: per_ip})
