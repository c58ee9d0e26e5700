"""Keyed and several rate limits on limiters no one here wrote: nginx ``limit_req`` keyed by
``$http_x_api_key``, Flask-Limiter with a ``key_func`` reading the header and a second limit on its login.

Each case states the limiter's configuration in its own terms; the claim is always "a budget per API key":
a limiter keyed by the header passes ratelimit.per_key, one keyed by client address fails it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import yaml

from conftest import CliRun
from fixtures.limiters import LimiterApp, limiter_available
from fixtures.nginx import NginxServer, NginxSite, nginx_binary
from stackcheck.catalog import ratelimit

pytestmark = pytest.mark.integration
needs_nginx = pytest.mark.skipif(nginx_binary() is None, reason="nginx is not installed")
needs_flask = pytest.mark.skipif(limiter_available("flask") is not None, reason="pip install flask-limiter")

PER_KEY_10_PER_20S = {
    "name": "api-key",
    "requests": 10,
    "per_seconds": 20,
    "scope": "header",
    "header": "X-API-Key",
    "path": "/api/v1/ping",
    "max_wait_s": 3,
}
# nginx: one token every 2 s, 10 at once (burst=9 nodelay), 429 with Retry-After: 2.
PACED = NginxSite(limit_rate="30r/m", limit_burst=9, retry_after_s=2)


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
    profile.write_text(yaml.safe_dump({"name": "keyed", "target": target, "rate_limit": dict(rate_limit)}))
    return run_cli("verify", "--profile", str(profile), "--target", url, "--suite", "ratelimit", timeout=600)


def statuses_of(run: CliRun, subject: str | None = None) -> dict[str, str]:
    """``{check id: status}`` of one limit (``subject``), or of the only one."""
    return {r["id"]: r["status"] for r in run.report["results"] if r.get("subject") == subject}


@needs_nginx
@pytest.mark.parametrize(
    ("key", "per_key"),
    [("$http_x_api_key", "passed"), ("$binary_remote_addr", "failed")],
    ids=["keyed-by-the-api-key-passes", "keyed-by-address-fails"],
)
def test_nginx_keyed_by_the_api_key_or_by_address(
    run_cli: Callable[..., CliRun], tmp_path: Path, key: str, per_key: str
) -> None:
    with NginxServer(replace(PACED, limit_key=key)) as server:
        run = verify(run_cli, tmp_path, server.url, PER_KEY_10_PER_20S, server.ca_file)
    assert statuses_of(run) == {
        ratelimit.ENFORCED.id: "passed",
        ratelimit.RETRY_AFTER.id: "passed",
        ratelimit.PER_IP.id: "skipped",  # the claim is per key, not per address
        ratelimit.PER_KEY.id: per_key,
        ratelimit.SPOOFING.id: "passed",
        ratelimit.RECOVERY.id: "passed",
    }, run.stdout
    result = next(r for r in run.report["results"] if r["id"] == ratelimit.PER_KEY.id)
    if per_key == "passed":
        assert result["evidence"]["details"]["second_key_statuses"] == [200, 200, 200]
    else:
        assert result["evidence"]["details"]["second_key_statuses"] == [429]
        assert "not kept per X-API-Key" in result["message"]


@needs_flask
@pytest.mark.parametrize(
    ("key", "per_key"),
    [("header:X-API-Key", "passed"), ("ip", "failed")],
    ids=["key-func-reads-the-header", "key-func-is-the-address"],
)
def test_flask_limiter_with_a_keyed_api_limit_and_a_login_limit_per_ip(
    run_cli: Callable[..., CliRun], tmp_path: Path, key: str, per_key: str
) -> None:
    login = {"name": "login", "requests": 5, "per_seconds": 10, "path": "/auth/login", "method": "POST"}
    limits = {**PER_KEY_10_PER_20S, "also": [{**login, "max_wait_s": 3}]}
    with LimiterApp("flask", "10 per 20 seconds", key=key, login_limit="5 per 10 seconds") as app:
        run = verify(run_cli, tmp_path, app.url, limits)
    # Fixed windows: Retry-After is the rest of the window (up to 20 s, 10 s), above max_wait_s: opt-in.
    assert statuses_of(run, "api-key") == {
        ratelimit.ENFORCED.id: "passed",
        ratelimit.RETRY_AFTER.id: "passed",
        ratelimit.PER_IP.id: "skipped",
        ratelimit.PER_KEY.id: per_key,
        ratelimit.SPOOFING.id: "passed",
        ratelimit.RECOVERY.id: "skipped",
    }, run.stdout
    assert statuses_of(run, "login") == {
        ratelimit.ENFORCED.id: "passed",
        ratelimit.RETRY_AFTER.id: "passed",
        ratelimit.PER_IP.id: "passed",
        ratelimit.PER_KEY.id: "skipped",
        ratelimit.SPOOFING.id: "passed",
        ratelimit.RECOVERY.id: "skipped",
    }, run.stdout
    recovery = next(
        r for r in run.report["results"] if r["id"] == ratelimit.RECOVERY.id and r["subject"] == "login"
    )
    assert "rate_limit.also[0].max_wait_s" in recovery["message"]
