"""The readiness fault drill on the whole reference stack: real service, real Postgres and Redis."""

from __future__ import annotations

from pathlib import Path

import pytest

from stackcheck.catalog import health
from tests.integration.conftest import REPO, containers_of, verify

pytestmark = [pytest.mark.integration, pytest.mark.docker]

STACK = REPO / "policies" / "profiles" / "reference-stack.yaml"
DRILL = [f"{health.READY_DEPENDENCIES.id}[{service}]" for service in ("postgres", "redis")]
COMMAND = (
    '["{python}", -m, fixtures.refservice, --profile, "{profile}", --port, "{port}",'
    ' --tls-dir, "{tls_dir}", --http-port, "{http_port}",'
    ' --postgres-dsn, "{postgres_dsn}", --redis-url, "{redis_url}"'
)


def stack_with(tmp_path: Path, *extra_args: str, health: str = "") -> Path:
    """The reference stack with extra reference-service arguments (e.g. a defect)."""
    args = "".join(f", {a}" for a in extra_args)
    profile = tmp_path / "stack.yaml"
    profile.write_text(
        f"name: stack-variant\nextends: {STACK}\n"
        f"service:\n  command: {COMMAND}{args}]\n  cwd: {REPO}\n" + (f"health:\n{health}" if health else "")
    )
    return profile


def processes_running(needle: str) -> list[str]:
    """Command lines of live processes that mention ``needle``."""
    found = []
    for proc in Path("/proc").iterdir():
        try:
            cmdline = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if proc.name.isdigit() and needle in cmdline and "pytest" not in cmdline:
            found.append(cmdline)
    return found


def test_ready_reflects_each_dependency_on_the_reference_stack(tmp_path: Path) -> None:
    run = verify(STACK, "--infra", "docker", "--suite", "health", report_dir=tmp_path / "r")
    assert run.code == 0, run.stdout + run.stderr
    statuses = run.statuses()
    assert [statuses[d] for d in DRILL] == ["passed", "passed"]
    for result in run.results("health.ready_reflects_dependencies"):
        evidence = result["evidence"]
        assert evidence["unit"] == "s" and evidence["expected"] == 15
        assert 0 <= evidence["observed"] <= 15
        assert evidence["details"]["live_statuses"] == [200]
    assert containers_of(run.pid) == []


def test_the_whole_reference_stack_is_compliant_as_the_readme_shows(tmp_path: Path) -> None:
    # README: `stackcheck verify --profile policies/profiles/reference-stack.yaml --infra docker` → exit 0.
    run = verify(STACK, "--infra", "docker", report_dir=tmp_path / "r", timeout=300)
    statuses = run.statuses()
    assert run.code == 0, {k: v for k, v in statuses.items() if v not in ("passed", "skipped")}
    assert sum(v == "passed" for v in statuses.values()) >= 35, statuses
    # Served over HTTPS by the service stackcheck started (service.scheme, {tls_dir}, {http_port}).
    assert {statuses[c] for c in ("tls.protocols", "tls.certificate", "tls.redirect", "headers.hsts")} == {
        "passed"
    }, statuses
    assert containers_of(run.pid) == []


@pytest.mark.parametrize("defect", health.READY_DEPENDENCIES.examples("defect"))
def test_ready_that_ignores_its_dependencies_fails_the_drill_only(tmp_path: Path, defect: str) -> None:
    # A latency bound far above any answer: the drill is what this proves, and the profile's 100 ms failed
    # /health/ready once with every core busy (the other checks must pass on any machine).
    extra = "  ready_recovery_s: 3\n  max_latency_ms: 5000\n"
    profile = stack_with(tmp_path, "--defect", defect, health=extra)
    run = verify(profile, "--infra", "docker", "--suite", "health", report_dir=tmp_path / "r")
    assert run.code == 1, run.stdout + run.stderr
    statuses = run.statuses()
    assert [statuses[d] for d in DRILL] == ["failed", "failed"]
    assert {k: v for k, v in statuses.items() if k not in DRILL and v != "skipped"} == {
        k: "passed" for k, v in statuses.items() if k not in DRILL and v != "skipped"
    }
    assert processes_running(str(profile)) == [], "the launched service was left running"
    failed = run.results("health.ready_reflects_dependencies")[0]
    assert failed["message"] == "GET /health/ready kept answering 2xx for 3 s after postgres was stopped"
    assert failed["evidence"]["observed"] is None


def test_pausing_a_dependency_is_drilled_too(tmp_path: Path) -> None:
    run = verify(
        STACK,
        "--infra",
        "docker",
        "--suite",
        "health",
        "--set",
        "health.drill=pause",
        report_dir=tmp_path / "r",
    )
    assert run.code == 0, run.stdout + run.stderr
    assert [run.statuses()[d] for d in DRILL] == ["passed", "passed"]
    assert {r["evidence"]["details"]["drill"] for r in run.results("health.ready_reflects_dependencies")} == {
        "pause"
    }


def test_a_service_that_cannot_start_is_error_not_failed(tmp_path: Path) -> None:
    profile = stack_with(tmp_path, "--defect", "no-such-defect")
    run = verify(profile, "--infra", "docker", "--suite", "health", report_dir=tmp_path / "r")
    assert run.code == 3, run.stdout + run.stderr
    statuses = run.statuses()
    assert {statuses[d] for d in DRILL} == {"error"}
    assert statuses["health.live"] == "error"
    assert "did not answer" in run.results("health.live")[0]["message"]
