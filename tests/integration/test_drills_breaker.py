"""The circuit-breaker and timeout drills through the CLI: the reference service, toxiproxy as the real fault
injector between it and the run's own Postgres and Redis (``--infra local``), each defect failing its check.

The breaker is shortened for the test (3 failures, 3 s open); the numbers are reported, never asserted on
beyond the drill's own generous bounds.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
import yaml

from stackcheck.catalog import breaker
from stackcheck.infra.toxiproxy import TOOL
from stackcheck.scan.toolcache import locate
from stackcheck.settings import Settings
from stackcheck.wait import wait_until
from tests.integration.conftest import REPO, Run, cli_env, verify
from tests.integration.test_signals import TOKEN_VAR, run_processes


def _toxiproxy_missing() -> str | None:
    from stackcheck._exceptions import CouldNotCheck

    try:
        locate(TOOL, Settings.from_environ())
    except CouldNotCheck as exc:
        return f"toxiproxy is not built: {exc}"
    return None


pytestmark = [
    pytest.mark.integration,
    pytest.mark.local_binaries,
    pytest.mark.skipif(_toxiproxy_missing() is not None, reason=str(_toxiproxy_missing())),
]

BREAKER = breaker.CIRCUIT_BREAKER.id
TIMEOUT = breaker.DEPENDENCY_TIMEOUT.id


def profile(
    tmp_path: Path, *defects: str, deps: tuple[str, ...] = ("postgres", "redis"), **rs: object
) -> Path:
    """The reference service wired to the run's Postgres and Redis, breaker shortened for the test."""
    command = [
        "{python}", "-m", "fixtures.refservice", "--profile", "{profile}", "--port", "{port}",
        "--postgres-dsn", "{postgres_dsn}", "--redis-url", "{redis_url}",
        *(arg for d in defects for arg in ("--defect", d)),
    ]  # fmt: skip
    resilience = {
        "dependencies": list(deps),
        "dependency_timeout_ms": 1000,
        "breaker_failures": 3,
        "breaker_open_s": 3,
        "health_timeout_ms": 1000,
        **rs,
    }
    data = {
        "name": "drills-breaker",
        "service": {"command": command, "start_timeout_s": 60, "cwd": str(REPO)},
        "health": {"live": "/health/live", "ready": "/health/ready"},
        "postgres": {},
        "redis": {},
        "resilience": resilience,
    }
    path = tmp_path / "profile.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


def drill(tmp_path: Path, *defects: str, **rs: object) -> Run:
    """``stackcheck verify --suite drills --infra local`` of that profile."""
    path = profile(tmp_path, *defects, **rs)
    return verify(path, "--suite", "drills", "--infra", "local", report_dir=tmp_path / "report", timeout=420)


def ours(run: Run) -> dict[str, str]:
    """The statuses of the breaker and timeout drills (the suite's other drills are skipped here)."""
    return {key: status for key, status in run.statuses().items() if key.startswith((BREAKER, TIMEOUT))}


def details(run: Run, check: str, subject: str) -> dict[str, object]:
    """The evidence details of one result."""
    (result,) = [r for r in run.results(check) if r.get("subject") == subject]
    evidence: dict[str, object] = result["evidence"]
    return evidence


def test_a_correct_breaker_and_timeouts_pass_on_both_dependencies(tmp_path: Path) -> None:
    run = drill(tmp_path, timeouts_ms={"redis": 600})  # Redis with a timeout of its own
    statuses = ours(run)
    assert statuses == {
        f"{BREAKER}[postgres]": "passed",
        f"{BREAKER}[redis]": "passed",
        f"{TIMEOUT}[postgres]": "passed",
        f"{TIMEOUT}[redis]": "passed",
    }, f"{statuses}\n{run.stdout[-3000:]}"
    assert run.code == 0
    evidence = details(run, BREAKER, "postgres")
    assert evidence["observed"] == 3 and evidence["expected"] == 3
    assert evidence["details"]["closed_again"] is True  # type: ignore[index]
    assert details(run, BREAKER, "redis")["details"]["dependency_timeout_ms"] == 600  # type: ignore[index]
    print(evidence)  # the measured numbers, for the reader of -s


def test_no_breaker_fails_the_breaker_drill_only(tmp_path: Path) -> None:
    run = drill(tmp_path, "no-breaker", deps=("postgres",))
    assert ours(run) == {f"{BREAKER}[postgres]": "failed", f"{TIMEOUT}[postgres]": "passed"}, run.stdout
    assert run.code == 1
    (result,) = run.results(BREAKER)
    assert "did not open" in result["message"]


def test_a_breaker_stuck_open_fails_because_it_never_tries_again(tmp_path: Path) -> None:
    run = drill(tmp_path, "breaker-stuck-open", deps=("redis",))
    assert ours(run) == {f"{BREAKER}[redis]": "failed", f"{TIMEOUT}[redis]": "passed"}, run.stdout
    (result,) = run.results(BREAKER)
    assert "never let a trial" in result["message"]
    assert result["evidence"]["observed"] == 3  # it did open, after 3 failures


@pytest.mark.parametrize(("defect", "verdict"), [(None, "passed"), ("no-breaker", "failed")])
def test_refused_connections_open_the_breaker_which_refuses_until_its_trial(
    tmp_path: Path, defect: str | None, verdict: str
) -> None:
    run = drill(tmp_path, *([defect] if defect else []), deps=("postgres",), fault="down")
    assert run.status(BREAKER, "postgres") == verdict, run.stdout
    evidence = details(run, BREAKER, "postgres")
    if verdict == "passed":
        assert evidence["details"]["status_once_back"] == 503  # type: ignore[index]
    else:
        (result,) = run.results(BREAKER)
        assert "answered 200 at once" in result["message"]
    print(evidence)


def test_readiness_that_waits_on_a_hung_dependency_fails_the_timeout_drill(tmp_path: Path) -> None:
    run = drill(tmp_path, "ready-hides-hang", deps=("postgres",), breaker_failures=None)
    assert ours(run) == {f"{BREAKER}[postgres]": "skipped", f"{TIMEOUT}[postgres]": "failed"}, run.stdout
    (result,) = run.results(TIMEOUT)
    assert "health check waits on the dependency" in result["message"] or "took" in result["message"]


def pybreaker_profile(tmp_path: Path, fail_max: int) -> Path:
    """A Flask app calling Redis through pybreaker (fixtures/breaker_apps); promised: 3 failures, 3 s."""
    command = [
        "{python}", "-m", "fixtures.breaker_apps.pybreaker_app", "--port", "{port}",
        "--redis-url", "{redis_url}", "--fail-max", str(fail_max), "--reset-timeout", "3",
        "--timeout-ms", "1000",
    ]  # fmt: skip
    data = {
        "name": "drills-pybreaker",
        "service": {"command": command, "start_timeout_s": 60, "cwd": str(REPO)},
        "health": {"live": "/health/live", "ready": "/health/ready"},
        "redis": {},
        "resilience": {
            "dependencies": ["redis"],
            "dependency_timeout_ms": 1000,
            "fault": "hang",
            "breaker_failures": 3,
            "breaker_open_s": 3,
            "health_timeout_ms": 1000,
        },
    }
    path = tmp_path / "pybreaker.yaml"
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


@pytest.mark.parametrize(("fail_max", "verdict"), [(3, "passed"), (8, "failed")])
def test_pybreaker_passes_as_configured_and_fails_when_it_opens_later_than_promised(
    tmp_path: Path, fail_max: int, verdict: str
) -> None:
    run = verify(
        pybreaker_profile(tmp_path, fail_max),
        "--suite",
        "drills",
        "--infra",
        "local",
        report_dir=tmp_path / "report",
        timeout=420,
    )
    statuses = ours(run)
    assert statuses == {f"{BREAKER}[redis]": verdict, f"{TIMEOUT}[redis]": "passed"}, (
        f"{statuses}\n{run.stdout[-3000:]}"
    )
    print(details(run, BREAKER, "redis"))


def test_without_toxiproxy_the_drills_could_not_check_and_never_fail(tmp_path: Path) -> None:
    path = profile(tmp_path, deps=("redis",))
    env = cli_env(STACKCHECK_TOXIPROXY=str(tmp_path / "no-such-toxiproxy"))
    run = verify(path, "--suite", "drills", "--infra", "local", report_dir=tmp_path / "r", env=env)
    assert ours(run) == {f"{BREAKER}[redis]": "error", f"{TIMEOUT}[redis]": "error"}, run.stdout
    assert run.code == 3
    assert all("STACKCHECK_TOXIPROXY" in r["message"] for r in run.results(BREAKER) + run.results(TIMEOUT))


def test_ctrl_c_in_the_middle_of_a_drill_leaves_no_toxiproxy_and_no_service_behind(tmp_path: Path) -> None:
    token = uuid.uuid4().hex
    path = profile(tmp_path, "no-breaker", deps=("postgres",))
    argv = [sys.executable, "-m", "stackcheck", "verify", "--profile", str(path), "--suite", "drills"]
    proc = subprocess.Popen(
        [*argv, "--infra", "local", "--report-dir", str(tmp_path / "r")],
        cwd=REPO,
        env=cli_env(**{TOKEN_VAR: token}),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        # Mid-drill: toxiproxy and the service both up (the faulted calls take ~1 s each from here on).
        def both_up() -> bool:
            cmds = list(run_processes(token).values())
            return any("toxiproxy-server" in c for c in cmds) and any("refservice" in c for c in cmds)

        up = wait_until(both_up, 90, 0.2)
        assert up, "the drill never started toxiproxy and the service"
        time.sleep(2)
        os.killpg(proc.pid, signal.SIGINT)
        assert proc.wait(timeout=60) == 130
        left = wait_until(lambda: not run_processes(token), 20, 0.2)
        assert left, f"left behind: {run_processes(token)}"
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=10)
