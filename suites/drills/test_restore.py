"""Suite ``drills``, the restore drill: destroy a primary, restore it from backup plus WAL, measure RPO/RTO.

The primary is stackcheck's own, on the throwaway servers stackcheck starts: containers of the run's
Postgres image with ``--infra docker``, the local PostgreSQL binaries with ``--infra local`` (and ``auto``
when there are some); it is never a server stackcheck did not start. It archives its WAL with
``backup.mechanism`` and the WAL settings of ``postgres.server_config`` (the team's archive_mode,
archive_timeout...); a writer commits timestamped rows before, during and after the base backup; at a
recorded instant the primary is killed and its data directory removed; a new server is restored (RTO
clock) and what came back is held against what the writer had committed (docs/suites/drills-backup.md).
"""

from __future__ import annotations

import pytest

from stackcheck.catalog import backup as checks
from stackcheck.testing import (
    BackupSection,
    DrillResult,
    EvidenceRecorder,
    Profile,
    RestoreDrill,
    Settings,
    drill_executor,
    loaded_profile,
    require,
    run_restore_drill,
    run_target_drill,
    wal_settings,
)


def _minutes(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds / 60, 4)


def _record(evidence: EvidenceRecorder, backup: BackupSection, result: DrillResult) -> None:
    integrity = result.integrity
    evidence.record(
        expected={"rpo_minutes": backup.rpo_minutes, "rto_minutes": backup.rto_minutes},
        observed={"rpo_minutes": _minutes(result.rpo_s), "rto_minutes": _minutes(result.rto_s)},
        unit="min",
        op="<=",
        mechanism=result.mechanism,
        servers=result.servers,
        server_version=result.server_version,
        rpo_s=round(result.rpo_s, 3),
        rto_s=None if result.rto_s is None else round(result.rto_s, 3),
        rows_written=integrity.rows_written,
        rows_restored=integrity.rows_restored,
        checksum_match=integrity.checksum_match,
        checksum=integrity.checksum_restored,
        bulk_rows=result.bulk_rows,
        bulk_checksum_match=result.bulk_match,
        window_s=round(result.window_s, 3),
        recovered_past_backup=result.recovered_past_backup,
        base_backup_s=round(result.backup_s, 3),
        promoted_new_timeline=result.timeline_switched,
        primary_settings=result.settings,
    )


def _drill(
    request: pytest.FixtureRequest, profile: Profile, settings: Settings, drill: RestoreDrill
) -> DrillResult:
    """The throwaway primary's drill, or the team's target's (only with --allow-destructive)."""
    if drill.target is not None:
        if not settings.allow_destructive:
            pytest.skip(
                "backup.drill.target marks a drill target: stackcheck writes to it and runs its destroy and "
                "restore commands only with --allow-destructive"
            )
        base_dir = loaded_profile(request.config).path.resolve().parent
        return run_target_drill(drill, drill.target, settings.environ, base_dir)
    if settings.infra == "external":
        pytest.skip(
            "--infra external: the restore drill destroys a primary and runs only on one stackcheck starts "
            "itself (--infra local or docker), or on a profile-marked backup.drill.target; "
            "drill.backup_fresh reads the external server"
        )
    assert profile.backup is not None
    executor = drill_executor(settings, profile.postgres.image if profile.postgres else None)
    return run_restore_drill(
        profile.backup.mechanism, drill, wal_settings(profile, settings.environ), executor
    )


@pytest.mark.check(checks.RESTORE)
def test_a_destroyed_primary_comes_back_from_backup_and_wal_within_the_rpo_and_rto(
    request: pytest.FixtureRequest, profile: Profile, settings: Settings, evidence: EvidenceRecorder
) -> None:
    backup: BackupSection = require(profile.backup, "profile has no `backup` section")
    drill: RestoreDrill = require(backup.drill, "backup.drill is not set")
    result = _drill(request, profile, settings, drill)
    _record(evidence, backup, result)
    assert result.rto_s is not None, (
        f"the restored server did not answer the application's query within "
        f"backup.drill.restore_timeout_s ({drill.restore_timeout_s:g} s)"
    )
    integrity = result.integrity
    assert integrity.prefix_intact and integrity.unknown_rows == 0, (
        f"the restored rows are not the rows the primary committed: {integrity.rows_restored} back of "
        f"{integrity.rows_written} written, first {integrity.rows_restored} identical: "
        f"{integrity.prefix_intact}, {integrity.unknown_rows} never acknowledged"
    )
    assert integrity.checksum_match, "the checksum of the restored rows differs from the committed rows'"
    assert result.bulk_match, f"the {result.bulk_rows} preloaded rows did not come back intact"
    rpo, rto = result.rpo_s, result.rto_s
    lost = (
        ""
        if result.recovered_past_backup
        else ": nothing written after the base backup came back (no WAL beyond it reached the archive: "
        "archive_mode off, or no archive_timeout for a quiet server)"
    )
    if backup.rpo_minutes is not None:
        assert rpo <= backup.rpo_minutes * 60, (
            f"RPO {rpo:.1f} s ({rpo / 60:.2f} min) exceeds backup.rpo_minutes {backup.rpo_minutes:g}{lost}"
        )
    if backup.rto_minutes is not None:
        assert rto <= backup.rto_minutes * 60, (
            f"RTO {rto:.1f} s ({rto / 60:.2f} min) exceeds backup.rto_minutes {backup.rto_minutes:g}"
        )
    evidence.message = (
        f"{result.mechanism} on {result.servers} (PostgreSQL {result.server_version}): RPO {rpo:.2f} s, "
        f"RTO {rto:.2f} s; {integrity.rows_restored} of "
        f"{integrity.rows_written} rows back, checksum match{lost}"
    )
