"""The ``redis`` suite proven both ways on real servers, through the real CLI and its report.json."""

from __future__ import annotations

from pathlib import Path

import pytest

from stackcheck.catalog import SUITES, SuiteName
from tests.integration.conftest import cli_env, containers_of, failing_on, verify

pytestmark = pytest.mark.integration
PASSWORD = {"SC_REDIS_PASSWORD": "s3cret-for-tests"}
# redis.acl needs ACL users, which a throwaway server's server_config cannot create (`--user` takes one
# argument per word): it is proven on servers with ACL users in test_data_redis_acl.py, and skipped here.
# redis.ttl needs keys an application wrote: proven in test_redis_ttl.py, skipped here (no redis.ttls).
CHECKS = [spec.id for spec in SUITES[SuiteName.REDIS] if spec.id not in ("redis.acl", "redis.ttl")]


@pytest.mark.docker
def test_compliant_redis_passes_every_check(tmp_path: Path) -> None:
    run = verify(
        "redis-compliant.yaml",
        "--suite",
        "redis",
        "--infra",
        "docker",
        report_dir=tmp_path,
        env=cli_env(**PASSWORD),
    )
    assert run.code == 0, (run.statuses(), run.stderr)
    assert run.statuses() == {
        **dict.fromkeys(CHECKS, "passed"),
        "redis.acl": "skipped",
        "redis.ttl": "skipped",
    }
    maxmemory = run.results("redis.maxmemory")[0]["evidence"]
    assert (maxmemory["expected"], maxmemory["observed"]) == ("64mb", "64mb")
    auth = run.results("redis.auth")[0]["evidence"]
    assert auth["observed"] == "refused" and "uthentication" in auth["details"]["reply"]
    assert "s3cret-for-tests" not in (tmp_path / "report.json").read_text()
    assert containers_of(run.pid) == []


@pytest.mark.docker
def test_wrong_redis_fails_each_check(tmp_path: Path) -> None:
    run = verify(
        "redis-wrong.yaml",
        "--suite",
        "redis",
        "--infra",
        "docker",
        report_dir=tmp_path,
        env=cli_env(**PASSWORD),
    )
    assert run.code == 1, (run.statuses(), run.stderr)
    assert run.statuses() == {
        **dict.fromkeys(CHECKS, "failed"),
        "redis.acl": "skipped",
        "redis.ttl": "skipped",
    }
    assert run.failed_checks() == failing_on("profile:redis-wrong.yaml"), "the catalog's failing examples"
    eviction = run.results("redis.eviction")[0]
    assert eviction["evidence"]["observed"] == "noeviction"
    persistence = run.results("redis.persistence")[0]["evidence"]
    assert persistence["observed"] == {"appendonly": False, "appendfsync": "always", "rdb_snapshots": False}
    assert run.results("redis.auth")[0]["evidence"]["observed"] == "accepted"
    assert containers_of(run.pid) == [], "a container outlived a failing run"


@pytest.mark.docker
def test_eviction_policy_without_memory_limit_fails(tmp_path: Path) -> None:
    run = verify(
        "redis-compliant.yaml",
        "--suite",
        "redis",
        "--infra",
        "docker",
        "--set",
        "redis.server_config.maxmemory=0",
        report_dir=tmp_path,
        env=cli_env(**PASSWORD),
    )
    result = run.results("redis.eviction")[0]
    assert result["status"] == "failed" and "nothing is ever evicted" in result["message"]


@pytest.mark.local_binaries
def test_local_redis_passes_and_fails_like_docker(tmp_path: Path) -> None:
    good = verify(
        "redis-compliant.yaml",
        "--suite",
        "redis",
        "--infra",
        "local",
        report_dir=tmp_path / "good",
        env=cli_env(**PASSWORD),
    )
    assert good.statuses() == {
        **dict.fromkeys(CHECKS, "passed"),
        "redis.acl": "skipped",
        "redis.ttl": "skipped",
    }, good.stderr
    assert good.results("redis.version")[0]["evidence"]["details"]["provider"] == "local"
    bad = verify(
        "redis-wrong.yaml",
        "--suite",
        "redis",
        "--infra",
        "local",
        report_dir=tmp_path / "bad",
        env=cli_env(**PASSWORD),
    )
    assert bad.statuses() == {
        **dict.fromkeys(CHECKS, "failed"),
        "redis.acl": "skipped",
        "redis.ttl": "skipped",
    }, bad.stderr


def test_unreachable_redis_is_error_exit_3(tmp_path: Path) -> None:
    from stackcheck.infra.base import free_port

    run = verify(
        "external-both.yaml",
        "--suite",
        "redis",
        "--infra",
        "external",
        report_dir=tmp_path,
        env=cli_env(
            SC_REDIS_URL=f"redis://:${{SC_REDIS_PASSWORD}}@127.0.0.1:{free_port()}/0",
            SC_PG_DSN="unused",
            **PASSWORD,
        ),
    )
    assert run.code == 3, (run.statuses(), run.stderr)
    statuses = run.statuses()
    # redis.maxmemory is not in the profile: skipped before any connection is tried.
    assert statuses == {
        **dict.fromkeys(CHECKS, "error"),
        "redis.maxmemory": "skipped",
        "redis.acl": "skipped",
        "redis.ttl": "skipped",
    }
    message = run.results("redis.version")[0]["message"]
    assert "cannot reach Redis" in message and "s3cret" not in message


@pytest.mark.local_binaries
def test_password_protected_redis_without_the_password_still_judges_auth(tmp_path: Path) -> None:
    """A URL without the password: the authenticated checks cannot run, but the refusal proves redis.auth."""
    import shutil
    import subprocess

    from stackcheck.infra.base import free_port
    from stackcheck.wait import wait_until

    port = free_port()
    server = subprocess.Popen(
        [
            shutil.which("redis-server") or "redis-server",
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--requirepass",
            "s3cret-for-tests",
            "--dir",
            str(tmp_path),
        ],
        stdout=subprocess.DEVNULL,
    )
    try:
        import socket

        def up() -> bool:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                return True
            except OSError:
                return False

        assert wait_until(up, 10, 0.05)
        profile = tmp_path / "p.yaml"
        profile.write_text(
            f"name: no-password\nredis:\n  url: redis://127.0.0.1:{port}/0\n  version: '>=7'\n"
            "  require_auth: true\n"
        )
        run = verify(profile, "--suite", "redis", "--infra", "external", report_dir=tmp_path / "r")
    finally:
        server.terminate()
        server.wait(timeout=10)
    statuses = run.statuses()
    assert statuses["redis.auth"] == "passed", run.stdout + run.stderr
    assert statuses["redis.version"] == "error"
    message = run.results("redis.version")[0]["message"]
    assert "requires a login" in message or "refused the login" in message
    assert run.code == 3
