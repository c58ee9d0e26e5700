"""``pg.pool`` on a real server: the reference service's pool under a burst, seen in pg_stat_activity."""

from __future__ import annotations

from pathlib import Path

import pytest

from stackcheck.catalog import postgres as checks
from tests.integration.conftest import REPO, verify

pytestmark = [pytest.mark.integration, pytest.mark.docker]

POOL_SIZE = 3
COMMAND = (
    '["{python}", -m, fixtures.refservice, --profile, "{profile}", --port, "{port}",'
    ' --postgres-dsn, "{postgres_dsn}"'
)


def pool_profile(tmp_path: Path, *extra_args: str, path: str = "/db") -> Path:
    """A profile with only the pool claim, whose service is the reference service (with ``extra_args``)."""
    args = "".join(f", {a}" for a in extra_args)
    profile = tmp_path / "pool.yaml"
    profile.write_text(
        "name: pool-probe\n"
        "postgres:\n"
        f"  pool_size: {POOL_SIZE}\n"
        "  application_name: orders-api\n"
        f"  pool_probe: {{path: {path}, requests: 120, concurrency: 12, timeout_s: 15}}\n"
        f"service:\n  command: {COMMAND}{args}]\n  cwd: {REPO}\n"
    )
    return profile


def run_pool(tmp_path: Path, *extra_args: str) -> tuple[str, dict[str, object], str]:
    run = verify(
        pool_profile(tmp_path, *extra_args),
        "--infra",
        "docker",
        "--suite",
        "postgres",
        report_dir=tmp_path / "r",
        timeout=120,
    )
    (result,) = run.results(checks.POOL.id)
    return str(result["status"]), dict(result["evidence"]), run.stdout + run.stderr


def test_a_bounded_pool_passes(tmp_path: Path) -> None:
    status, evidence, out = run_pool(tmp_path)
    assert status == "passed", (evidence, out)
    assert 1 <= int(evidence["observed"]) <= POOL_SIZE  # type: ignore[call-overload]
    details = evidence["details"]
    assert isinstance(details, dict) and details["requests"] == 120 and details["non_2xx"] == 0


def test_a_connection_per_request_fails(tmp_path: Path) -> None:
    status, evidence, out = run_pool(tmp_path, "--defect", "pool-unbounded")
    assert status == "failed", (evidence, out)
    assert int(evidence["observed"]) > POOL_SIZE  # type: ignore[call-overload]


def test_a_service_connecting_under_another_name_cannot_be_checked(tmp_path: Path) -> None:
    status, evidence, out = run_pool(tmp_path, "--application-name", "someone-else")
    assert status == "error", (evidence, out)
    assert evidence["observed"] == 0
