"""The process drills through the CLI, both ways: ``drill.sigterm`` on the reference service and on gunicorn /
werkzeug serving a Flask app, ``drill.redis_persistence`` on Redis started with and without AOF."""

from __future__ import annotations

import signal
import subprocess
from pathlib import Path
from typing import Any

import pytest
import redis
import yaml

from stackcheck.catalog import drills
from stackcheck.infra.local import find_redis_server
from stackcheck.probes.loopback import free_port
from stackcheck.wait import wait_until
from tests.integration.conftest import PROFILES, REPO, cli_env, verify
from tests.integration.test_ready_drill import processes_running

pytestmark = [pytest.mark.integration]

REFSERVICE = ["{python}", "-m", "fixtures.refservice", "--profile", "{profile}", "--port", "{port}"]
FLASK_APP = "fixtures.drain_apps.flask_app"
EXIT_CODES = {"passed": 0, "failed": 1, "error": 3}


def gunicorn(graceful_timeout_s: int) -> list[str]:
    """gunicorn serving the Flask app with threads enough for the drill's requests."""
    return [
        *("{python}", "-m", "gunicorn", "--bind", "127.0.0.1:{port}", "--worker-class", "gthread"),
        *("--threads", "8", "--graceful-timeout", str(graceful_timeout_s), f"{FLASK_APP}:app"),
    ]


WERKZEUG = [
    *("{python}", "-m", "flask", "--app", FLASK_APP, "run"),
    *("--host", "127.0.0.1", "--port", "{port}", "--with-threads"),
]


def service_profile(tmp_path: Path, command: list[str], live: str, drain_path: str) -> Path:
    """A profile whose only section is the launched service (the SIGTERM drill's keys set)."""
    body: dict[str, Any] = {
        "name": "drain-drill",
        "health": {"live": live},
        "service": {
            "command": command,
            "cwd": str(REPO),
            "drain_path": drain_path,
            "drain_s": 15,
            "drain_requests": 5,
        },
    }
    profile = tmp_path / "drain.yaml"
    profile.write_text(yaml.safe_dump(body))
    return profile


def sigterm_run(tmp_path: Path, command: list[str], live: str, drain_path: str) -> dict[str, Any]:
    """``stackcheck verify --suite drills`` of a service profile; the drill's one result."""
    profile = service_profile(tmp_path, command, live, drain_path)
    run = verify(profile, "--suite", "drills", "--infra", "local", report_dir=tmp_path / "r")
    assert processes_running(str(profile)) == [], "the drill left the service it launched running"
    (result,) = run.results(drills.SIGTERM.id)
    assert run.code == EXIT_CODES[result["status"]], run.stdout + run.stderr
    return result


def test_the_reference_service_drains_its_in_flight_requests_and_exits_0(tmp_path: Path) -> None:
    result = sigterm_run(tmp_path, REFSERVICE, "/health/live", "/api/v1/work")
    assert result["status"] == "passed", result["message"]
    evidence = result["evidence"]
    details = evidence["details"]
    assert evidence["unit"] == "s" and evidence["expected"] == 15 and 0 < evidence["observed"] <= 15
    assert details["exit_code"] == 0 and details["in_flight"] == 5
    assert (details["completed"], details["failed"]) == (5, 0)
    assert set(details["new_connections"]) <= {"refused", "503", "unanswered"}


@pytest.mark.parametrize("defect", drills.SIGTERM.examples("defect"))
def test_a_reference_service_that_does_not_drain_or_exits_non_zero_fails(tmp_path: Path, defect: str) -> None:
    result = sigterm_run(tmp_path, [*REFSERVICE, "--defect", defect], "/health/live", "/api/v1/work")
    assert result["status"] == "failed"
    details = result["evidence"]["details"]
    if defect == "no-drain":  # gone at once with code 0: the cut requests are the failure
        assert details["exit_code"] == 0 and details["failed"] == details["in_flight"] == 5
        assert "in-flight requests to /api/v1/work did not end with 200" in result["message"]
    else:  # drained, then a failure code
        assert details["exit_code"] == 1 and details["failed"] == 0
        assert result["message"].startswith("the service exited with code 1 after SIGTERM, not 0")


def test_gunicorn_with_a_graceful_timeout_longer_than_a_request_passes(tmp_path: Path) -> None:
    result = sigterm_run(tmp_path, gunicorn(10), "/health", "/simulate")
    assert result["status"] == "passed", result["message"]
    details = result["evidence"]["details"]
    assert (details["exit_code"], details["completed"], details["failed"]) == (0, 5, 0)


def test_gunicorn_whose_graceful_timeout_is_shorter_than_a_request_fails(tmp_path: Path) -> None:
    # The app's requests take 4 s; gunicorn kills its worker 1 s after SIGTERM (--graceful-timeout 1).
    result = sigterm_run(tmp_path, gunicorn(1), "/health", "/simulate")
    assert result["status"] == "failed"
    details = result["evidence"]["details"]
    assert details["exit_code"] == 0 and details["failed"] == 5  # the master itself exits 0
    assert "in-flight requests to /simulate did not end with 200" in result["message"]


def test_the_werkzeug_development_server_is_ended_by_sigterm_and_fails(tmp_path: Path) -> None:
    result = sigterm_run(tmp_path, WERKZEUG, "/health", "/simulate")
    assert result["status"] == "failed"
    details = result["evidence"]["details"]
    assert details["exit_code"] == -signal.SIGTERM and details["failed"] == 5


def test_a_drain_path_that_answers_at_once_is_error_not_passed(tmp_path: Path) -> None:
    result = sigterm_run(tmp_path, REFSERVICE, "/health/live", "/health/live")
    assert result["status"] == "error"
    assert "too fast to hold in flight" in result["message"]


# -- drill.redis_persistence -------------------------------------------------------------------------------

REDIS_ENV = {"SC_REDIS_PASSWORD": "drill-password-1"}
INFRAS = [
    pytest.param("docker", marks=pytest.mark.docker),
    pytest.param("local", marks=pytest.mark.local_binaries),
]


def persistence_run(tmp_path: Path, infra: str, *args: str) -> dict[str, Any]:
    """``verify --suite drills`` of the compliant Redis profile (AOF promised); the drill's one result."""
    run = verify(
        PROFILES / "redis-compliant.yaml",
        "--suite",
        "drills",
        "--infra",
        infra,
        *args,
        report_dir=tmp_path / "r",
        env=cli_env(**REDIS_ENV),
    )
    assert run.code in (0, 1), run.stdout + run.stderr
    (result,) = run.results(drills.REDIS_PERSISTENCE.id)
    return result


@pytest.mark.parametrize("infra", INFRAS)
def test_a_redis_started_with_aof_keeps_its_keys_through_a_kill_9(tmp_path: Path, infra: str) -> None:
    result = persistence_run(tmp_path, infra)
    assert result["status"] == "passed", result["message"]
    evidence = result["evidence"]
    assert evidence["expected"] == evidence["observed"] == 1000 and evidence["unit"] == "keys"
    assert evidence["details"]["keys_lost"] == 0 and evidence["details"]["appendfsync"] == "everysec"
    assert evidence["details"]["back_s"] >= 0


@pytest.mark.parametrize("infra", INFRAS)
def test_a_redis_started_without_aof_loses_the_keys(tmp_path: Path, infra: str) -> None:
    # Stack drift: the profile promises AOF (redis.appendonly: true), the server runs with appendonly no.
    result = persistence_run(tmp_path, infra, "--set", "redis.server_config.appendonly=false")
    assert result["status"] == "failed"
    details = result["evidence"]["details"]
    assert (details["keys_written"], details["keys_recovered"], details["keys_lost"]) == (1000, 0, 1000)
    assert result["message"].startswith("1000 of 1000 keys were lost after a kill -9")


def test_a_cache_only_redis_is_skipped_saying_so(tmp_path: Path) -> None:
    profile = tmp_path / "cache.yaml"
    profile.write_text(
        yaml.safe_dump({"name": "cache", "redis": {"appendonly": False, "rdb_snapshots": False}})
    )
    run = verify(profile, "--suite", "drills", "--infra", "local", report_dir=tmp_path / "r")
    assert run.code == 0, run.stdout + run.stderr
    (result,) = run.results(drills.REDIS_PERSISTENCE.id)
    assert result["status"] == "skipped"
    assert result["message"] == "persistence off (redis.appendonly: false): a cache only, nothing to recover"


@pytest.mark.skipif(find_redis_server() is None, reason="no local redis-server")
def test_an_external_redis_is_never_killed(tmp_path: Path) -> None:
    port = free_port()
    binary = str(find_redis_server())
    server = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--dir", str(tmp_path)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        client = redis.Redis(port=port, socket_timeout=2)
        assert wait_until(lambda: _pings(client), 10, 0.1)
        profile = tmp_path / "external.yaml"
        profile.write_text(yaml.safe_dump({"name": "ext", "redis": {"url": "${SC_URL}", "appendonly": True}}))
        env = cli_env(SC_URL=f"redis://127.0.0.1:{port}/0")
        run = verify(profile, "--suite", "drills", "--infra", "external", report_dir=tmp_path / "r", env=env)
        assert run.code == 0, run.stdout + run.stderr
        (result,) = run.results(drills.REDIS_PERSISTENCE.id)
        assert result["status"] == "skipped" and "--infra external" in result["message"]
        assert server.poll() is None and client.ping(), "the drill touched a server it did not start"
        client.close()
    finally:
        server.send_signal(signal.SIGTERM)
        server.wait(timeout=10)


def _pings(client: redis.Redis) -> bool:
    try:
        return bool(client.ping())
    except redis.RedisError:
        return False
