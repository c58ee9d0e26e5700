"""Checks of the ``drills`` suite that measure the recovery objectives of Postgres backups."""

from __future__ import annotations

from stackcheck.catalog.spec import CheckSpec, Requires, Severity, SuiteName

_OBJECTIVES = Requires(
    keys=("backup.rpo_minutes", "backup.rto_minutes"),
    reason="neither backup.rpo_minutes nor backup.rto_minutes is set: no objective to measure",
    any_of=True,
)

RESTORE = CheckSpec(
    id="drill.restore",
    title="A destroyed primary is restored from its backup and WAL within the RPO and RTO, data intact",
    severity=Severity.HIGH,
    suite=SuiteName.DRILLS,
    section="backup",
    requires=(
        Requires(keys=("backup.drill",), reason="backup.drill is not set: the restore drill is not armed"),
        _OBJECTIVES,
    ),
    reads=("backup.mechanism", "postgres.server_config"),
    needs_target=False,
    remediation=(
        "Archive WAL continuously (archive_mode on, an archive_command or pgBackRest archive-push, and an "
        "archive_timeout well under the RPO), restore from base backup plus archived WAL, and keep the "
        "restore fast enough for the RTO."
    ),
    fails_on=(
        "profile:drill-no-archive.yaml",
        "test:tests/integration/test_drills_restore.py::test_pgbackrest_without_archive_timeout_fails_a_short_rpo",
        "test:tests/integration/test_drills_restore.py::test_in_containers_a_primary_without_wal_archiving_fails_the_rpo",
        "test:tests/integration/test_drills_target.py::test_a_teams_restore_that_stops_at_the_base_backup_fails",
    ),
    controls=("SOC2:A1.2", "SOC2:A1.3"),
)

FRESH = CheckSpec(
    id="drill.backup_fresh",
    title="The newest archived WAL segment (or backup) is younger than the RPO, archiving does not fail, "
    "and pgBackRest's backups reach back as far as the promised recovery window",
    severity=Severity.HIGH,
    suite=SuiteName.DRILLS,
    section="backup",
    requires=(
        Requires(keys=("backup.fresh",), reason="backup.fresh is not set: backup freshness is not checked"),
        Requires(keys=("backup.rpo_minutes",), reason="backup.rpo_minutes is not set"),
    ),
    reads=("backup.mechanism", "backup.fresh.retention_days", "postgres.dsn"),
    needs_target=False,
    remediation=(
        "Turn WAL archiving on (archive_mode, archive_command) with an archive_timeout under the RPO, fix "
        "failing archive commands, schedule backups at least as often as the RPO allows, and keep full "
        "backups and their WAL for the whole promised recovery window (pgBackRest repo1-retention-full)."
    ),
    fails_on=(
        "profile:drill-fresh-off.yaml",
        "test:tests/integration/test_drills_backup_fresh.py::test_a_failing_archive_command_fails_freshness",
    ),
    controls=("SOC2:A1.2",),
)

CHECKS: tuple[CheckSpec, ...] = (RESTORE, FRESH)
