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
SQLALCHEMY_APP = (
    '["{python}", -m, fixtures.pool_apps.sqlalchemy_app, --port, "{port}", --dsn, "{postgres_dsn}",'
    f' --pool-size, "{POOL_SIZE}", --application-name, orders-api'
)


def pool_profile(
    tmp_path: Path, *extra_args: str, path: str = "/db", command: str = COMMAND, postgres: str = ""
) -> Path:
    """A profile with only the pool claim, whose service is ``command`` (the reference service) with
    ``extra_args``."""
    args = "".join(f", {a}" for a in extra_args)
    profile = tmp_path / "pool.yaml"
    profile.write_text(
        "name: pool-probe\n"
        "postgres:\n"
        f"  pool_size: {POOL_SIZE}\n"
        "  application_name: orders-api\n"
        f"  pool_probe: {{path: {path}, requests: 120, concurrency: 12, timeout_s: 15}}\n{postgres}"
        f"service:\n  command: {command}{args}]\n  cwd: {REPO}\n"
    )
    return profile


def run_pool(
    tmp_path: Path, *extra_args: str, command: str = COMMAND, postgres: str = ""
) -> tuple[str, dict[str, object], str]:
    """Verify the postgres suite with the pool claim: ``pg.pool``'s status, evidence, and the output."""
    run = verify(
        pool_profile(tmp_path, *extra_args, command=command, postgres=postgres),
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


@pytest.mark.parametrize(("overflow", "expected"), [(0, "passed"), (40, "failed")])
def test_sqlalchemy_queuepool_passes_only_without_overflow(
    tmp_path: Path, overflow: int, expected: str
) -> None:
    # Software nobody here wrote: QueuePool(pool_size=3, max_overflow=0) holds the line; with an overflow of
    # 40 a burst of 12 concurrent requests opens connections beyond the pool.
    pytest.importorskip("sqlalchemy")
    status, evidence, out = run_pool(tmp_path, "--max-overflow", f'"{overflow}"', command=SQLALCHEMY_APP)
    assert status == expected, (evidence, out)


IDLE = "  pool_idle_s: 1.5\n  pool_min: 1\n"


def test_idle_connections_closed_after_the_idle_limit_pass(tmp_path: Path) -> None:
    status, evidence, out = run_pool(tmp_path, postgres=IDLE)
    assert status == "passed", (evidence, out)
    details = evidence["details"]
    assert isinstance(details, dict) and details["idle_dropped_at_s"] is not None
    assert evidence["observed"] == {"peak": POOL_SIZE, "idle_after_load": 1}


def test_idle_connections_kept_open_fail(tmp_path: Path) -> None:
    status, evidence, out = run_pool(tmp_path, "--defect", "pool-keeps-idle", postgres=IDLE)
    assert status == "failed", (evidence, out)
    assert "idle connections of orders-api still open" in str(evidence.get("message") or out)


def test_a_burst_to_a_non_loopback_target_is_refused_before_it_starts(tmp_path: Path) -> None:
    # 192.0.2.10 is TEST-NET-1 (and the run has loopback alone): refused as a usage error, nothing sent.
    profile = pool_profile(tmp_path)
    run = verify(
        profile, "--target", "http://192.0.2.10:8080", "--suite", "postgres",
        report_dir=tmp_path / "r", isolated=True,
    )  # fmt: skip
    assert run.code == 2, run.stdout + run.stderr
    assert "the connection-pool burst (pg.pool)" in run.stderr and "192.0.2.10" in run.stderr
