"""``redis.ttls`` (``redis.ttl``) proven both ways on a real Redis 7, on keys written by Flask-Caching (a
caching library nobody here wrote, through a real Flask view) and by an application's redis-py ``SET ... EX``,
through the real CLI (``--infra external``).
"""

from __future__ import annotations

import secrets
from pathlib import Path
from typing import Any

import pytest
import redis
from flask import Flask
from flask_caching import Cache

from fixtures.datastores import LocalRedis
from stackcheck.wait import wait_until
from tests.integration.conftest import REPO, Run, cli_env, judge, verify

pytestmark = [pytest.mark.integration, pytest.mark.local_binaries]


def cached_app(url: str, timeout: int, prefix: str) -> Flask:
    """A Flask app whose views are cached in Redis by Flask-Caching with ``timeout`` (0: never expire)."""
    app = Flask(f"ttl-{prefix.strip(':')}")
    app.config.update(
        CACHE_TYPE="RedisCache",
        CACHE_REDIS_URL=url,
        CACHE_DEFAULT_TIMEOUT=timeout,
        CACHE_KEY_PREFIX=prefix,
    )
    cache = Cache(app)

    @app.get("/price/<item>")
    @cache.cached(query_string=True)
    def price(item: str) -> dict[str, object]:
        return {"item": item, "price": len(item)}

    return app


def fill(app: Flask, n: int) -> None:
    """``n`` distinct requests through the cached view: ``n`` cache entries written by Flask-Caching."""
    client = app.test_client()
    for i in range(n):
        assert client.get(f"/price/item{i}?page={i}").status_code == 200


def write_sessions(url: str, n: int, ttl_s: int | None) -> list[str]:
    """Session keys as an application writes them with redis-py (``SET ... EX``; ``None``: no expiry)."""
    client = redis.Redis.from_url(url)
    tokens = [secrets.token_hex(16) for _ in range(n)]
    try:
        for token in tokens:
            if ttl_s is None:
                client.set(f"session:{token}", "{}")
            else:
                client.set(f"session:{token}", "{}", ex=ttl_s)
    finally:
        client.close()
    return tokens


def ttl_result(run: Run, pattern: str) -> dict[str, Any]:
    found = [r for r in run.results("redis.ttl") if r.get("subject") == pattern]
    assert len(found) == 1, (run.statuses(), run.stderr)
    return found[0]


API = {"pattern": "cache:*", "min_s": 300, "max_s": 900}  # Chimera "API response caching (5-15 min TTL)"
SESSION = {"pattern": "session:*", "max_s": 3600}  # blue-green "TTL: 1h for session"


def test_keys_written_by_flask_caching_and_redis_py_within_max_pass(tmp_path: Path) -> None:
    with LocalRedis(users={"verifier": "+@all"}) as r:
        fill(cached_app(r.url("default"), 600, "cache:"), 30)
        tokens = write_sessions(r.url("default"), 5, 3600)
        section = {"ttls": [API, SESSION, {"pattern": "config:*", "max_s": 86400}]}
        run = judge(tmp_path, "redis", section, r.url("verifier"))
    api, session = ttl_result(run, "cache:*"), ttl_result(run, "session:*")
    assert api["status"] == "passed", api
    observed = api["evidence"]["observed"]
    assert observed["sampled"] == 30 and observed["without_expiry"] == 0 and observed["above_max"] == 0
    assert 500 < observed["max_remaining_s"] <= 600, observed
    assert api["evidence"]["expected"] == {"expires": True, "max_s": 900, "min_s": 300}
    assert api["evidence"]["details"]["scan_complete"] is True
    assert session["status"] == "passed" and session["evidence"]["observed"]["sampled"] == 5, session
    # A pattern nothing matches is not a failure: skipped, saying so.
    empty = ttl_result(run, "config:*")
    assert empty["status"] == "skipped" and "no key matches config:*" in empty["message"], empty
    assert run.code == 0, (run.statuses(), run.stderr)
    assert not any(t in run.stdout + str(run.report) for t in tokens)


def test_keys_without_expiry_or_too_long_fail(tmp_path: Path) -> None:
    with LocalRedis(users={"verifier": "+@all"}) as r:
        fill(cached_app(r.url("default"), 0, "cache:"), 4)  # Flask-Caching: timeout 0 = never expires
        fill(cached_app(r.url("default"), 600, "cache:"), 8)  # the same keys: still no TTL... and 4 with one
        fill(cached_app(r.url("default"), 86400, "config:"), 3)  # 24 h where the profile says 1 h
        tokens = write_sessions(r.url("default"), 2, None)  # sessions that never expire
        section = {
            "ttls": [
                API,
                SESSION,
                {"pattern": "config:*", "max_s": 3600},
                {"pattern": "rate:*", "max_s": 60, "require_keys": True},
            ]
        }
        run = judge(tmp_path, "redis", section, r.url("verifier"))
    api = ttl_result(run, "cache:*")
    assert api["status"] == "failed", api
    assert api["evidence"]["observed"]["without_expiry"] == 4, api["evidence"]
    assert api["message"] == "4 of 8 keys of cache:* have no TTL (never expire)"
    config = ttl_result(run, "config:*")
    assert config["status"] == "failed", config
    assert config["evidence"]["observed"]["above_max"] == 3
    assert config["evidence"]["observed"]["max_remaining_s"] > 86000
    assert "were set with a TTL above 3600 s" in config["message"]
    session = ttl_result(run, "session:*")
    assert session["status"] == "failed", session
    labels = session["evidence"]["details"]["keys_without_expiry"]
    # The keys are named by prefix, length and a tag: never the session token itself.
    assert len(labels) == 2 and all(label.startswith("session:<32 chars #") for label in labels), labels
    assert not any(t in run.stdout + str(run.report) for t in tokens)
    rate = ttl_result(run, "rate:*")
    assert rate["status"] == "failed" and "require_keys is set" in rate["message"], rate
    assert run.code == 1


def test_a_user_refused_scan_is_error_not_failed(tmp_path: Path) -> None:
    with LocalRedis(users={"noscan": "+@all -scan"}) as r:
        fill(cached_app(r.url("default"), 0, "cache:"), 2)
        run = judge(tmp_path, "redis", {"ttls": [API]}, r.url("noscan"))
    result = ttl_result(run, "cache:*")
    assert (result["status"], result["error_reason"]) == ("error", "access_denied"), result
    assert "+scan" in result["message"] and run.code == 3


def test_the_bluegreen_profile_verifies_its_ttl_claim(tmp_path: Path) -> None:
    # The shipped seed profile against a Redis set up as its ADR says, with sessions (1 h, redis-py) and
    # configuration (24 h, Flask-Caching) written by the application's libraries.
    config = {"maxmemory": "2gb", "maxmemory-policy": "allkeys-lru", "appendonly": "yes"}
    with LocalRedis(config, users={"verifier": "+@all"}) as r:
        write_sessions(r.url("default"), 3, 3600)
        fill(cached_app(r.url("default"), 86400, "config:"), 2)
        run = verify(
            REPO / "policies" / "profiles" / "bluegreen.yaml",
            "--suite",
            "redis",
            "--infra",
            "external",
            "--set",
            "redis.url=${SC_URL}",
            report_dir=tmp_path / "bluegreen",
            env=cli_env(SC_URL=r.url("verifier")),
        )
    assert run.code == 0, (run.statuses(), run.stderr)
    assert (
        run.status("redis.ttl", "session:*") == "passed" and run.status("redis.ttl", "config:*") == "passed"
    )
    assert run.report is not None
    claim = next(c for c in run.report["claims"] if c["id"] == "cache-ttl-session-config")
    assert claim["status"] == "verified", claim


def test_a_key_set_too_long_fails_after_it_has_counted_below_max(tmp_path: Path) -> None:
    # Set with 905 s where 900 s is the bound, and read once fewer than 900 s are left: the remaining TTL
    # alone passes it, remaining + OBJECT IDLETIME (a lower bound of the TTL it was set with) does not.
    with LocalRedis(users={"verifier": "+@all"}) as r:
        client = redis.Redis.from_url(r.url("default"))
        try:
            client.set("cache:report", "{}", ex=905)
            assert wait_until(lambda: int(client.pttl("cache:report")) < 899_000, 30, 0.2)
        finally:
            client.close()
        run = judge(tmp_path, "redis", {"ttls": [API]}, r.url("verifier"))
    result = ttl_result(run, "cache:*")
    assert result["status"] == "failed", result
    assert result["evidence"]["observed"]["max_remaining_s"] < 900, result["evidence"]
    assert result["evidence"]["details"]["max_set_at_least_s"] > 902, result["evidence"]


def test_an_lfu_server_hides_idle_times_and_is_judged_on_remaining_ttls(tmp_path: Path) -> None:
    # OBJECT IDLETIME is refused under an LFU maxmemory-policy: the remaining TTL is still judged, saying so.
    config = {"maxmemory": "64mb", "maxmemory-policy": "allkeys-lfu"}
    with LocalRedis(config, users={"verifier": "+@all"}) as r:
        fill(cached_app(r.url("default"), 600, "cache:"), 3)
        run = judge(tmp_path, "redis", {"ttls": [API]}, r.url("verifier"))
    result = ttl_result(run, "cache:*")
    assert result["status"] == "passed", result
    assert "LFU" in result["evidence"]["details"]["idle_unreadable"], result["evidence"]
