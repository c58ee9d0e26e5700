"""``drill.backup_fresh`` through the CLI, both ways: the run's local Postgres archiving into a real folder
(pg_stat_archiver), and a real pgBackRest repository holding a real backup (``pgbackrest info``)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from stackcheck.infra.pitr import DrillDir
from stackcheck.wait import wait_until
from tests.integration.conftest import cli_env, verify
from tests.integration.pitr_stack import backed_up_primary

pytestmark = [pytest.mark.integration, pytest.mark.local_binaries]

LOCAL = ["--suite", "drills", "--infra", "local"]


@pytest.fixture
def archive_env() -> Iterator[dict[str, str]]:
    """A folder the server user may write WAL into, named by STACKCHECK_DRILL_ARCHIVE."""
    drill = DrillDir()  # owned by the server user, removed afterwards
    try:
        yield cli_env(STACKCHECK_DRILL_ARCHIVE=str(drill.archive))
    finally:
        drill.close()


def test_a_server_archiving_its_wal_is_fresh(tmp_path: Path, archive_env: dict[str, str]) -> None:
    run = verify("drill-fresh.yaml", *LOCAL, report_dir=tmp_path / "r", env=archive_env)
    assert run.code == 0, run.stdout + run.stderr
    (result,) = run.results("drill.backup_fresh")
    details = result["evidence"]["details"]
    assert details["archived_count"] >= 1 and details["failed_count"] == 0, details
    assert result["evidence"]["observed"] <= 0.1


def test_a_server_with_archive_mode_off_is_not_fresh(tmp_path: Path, archive_env: dict[str, str]) -> None:
    run = verify("drill-fresh-off.yaml", *LOCAL, report_dir=tmp_path / "r", env=archive_env)
    assert run.code == 1, run.stdout + run.stderr
    (result,) = run.results("drill.backup_fresh")
    assert result["status"] == "failed" and "archive_mode is off" in result["message"]


def test_a_failing_archive_command_fails_freshness(tmp_path: Path, archive_env: dict[str, str]) -> None:
    failing = ["--set", "postgres.server_config.archive_command=exit 1"]
    run = verify("drill-fresh.yaml", *LOCAL, *failing, report_dir=tmp_path / "r", env=archive_env)
    assert run.code == 1, run.stdout + run.stderr
    (result,) = run.results("drill.backup_fresh")
    assert "archiving is failing" in result["message"], result


@pytest.fixture
def pgbackrest_repo() -> Iterator[Path]:
    """A real pgBackRest stanza with one full backup of a throwaway primary; its configuration file."""
    with backed_up_primary() as (_, _, tool):
        yield tool.config


def _profile(
    tmp_path: Path, config: Path, max_age_minutes: float, retention_days: float | None = None
) -> Path:
    path = tmp_path / "fresh-pgbackrest.yaml"
    fresh = {"stanza": "drill", "config": str(config), "max_age_minutes": max_age_minutes}
    if retention_days is not None:
        fresh["retention_days"] = retention_days
    backup = {"rpo_minutes": 5, "mechanism": "pgbackrest", "fresh": fresh}
    path.write_text(yaml.safe_dump({"name": "fresh-pgbackrest", "backup": backup}))
    return path


def test_pgbackrest_info_of_a_recent_backup_is_fresh_and_of_an_old_one_not(
    tmp_path: Path, pgbackrest_repo: Path
) -> None:
    run = verify(_profile(tmp_path, pgbackrest_repo, 5), *LOCAL, report_dir=tmp_path / "r")
    assert run.code == 0, run.stdout + run.stderr
    (result,) = run.results("drill.backup_fresh")
    assert result["evidence"]["details"]["backups"] == 1
    # The same backup judged against 0.6 s: it is older than that by now (the wait is bounded).
    started = time.monotonic()
    wait_until(lambda: time.monotonic() - started > 1.5, 5, 0.1)
    stale = verify(_profile(tmp_path, pgbackrest_repo, 0.01), *LOCAL, report_dir=tmp_path / "s")
    assert stale.code == 1, stale.stdout + stale.stderr
    (result,) = stale.results("drill.backup_fresh")
    assert "min old" in result["message"], result


def test_pgbackrest_retention_covers_a_short_window_and_not_a_seven_day_one(
    tmp_path: Path, pgbackrest_repo: Path
) -> None:
    # The repository's one backup started seconds ago: it reaches back 1e-5 days (0.9 s) once that much
    # time has passed (bounded wait), but not the seven days a "PITR 7 days" ADR promises.
    started = time.monotonic()
    wait_until(lambda: time.monotonic() - started > 1.0, 5, 0.1)
    run = verify(_profile(tmp_path, pgbackrest_repo, 5, 0.00001), *LOCAL, report_dir=tmp_path / "r")
    assert run.code == 0, run.stdout + run.stderr
    (result,) = run.results("drill.backup_fresh")
    details = result["evidence"]["details"]
    assert details["retention_days"] == 0.00001 and details["window_days"] > 0, details
    assert "recovery window" in result["message"], result
    week = verify(_profile(tmp_path, pgbackrest_repo, 5, 7), *LOCAL, report_dir=tmp_path / "w")
    assert week.code == 1, week.stdout + week.stderr
    (result,) = week.results("drill.backup_fresh")
    assert result["status"] == "failed" and "7-day recovery window" in result["message"], result
