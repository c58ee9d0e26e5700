"""The backup drills' pure parts: integrity of restored rows, RPO arithmetic, WAL positions, pgBackRest's
info, the profile keys and which services the drills need. The drills themselves run against real
PostgreSQL and pgBackRest in tests/integration/test_drills_restore.py and test_drills_backup_fresh.py."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

from stackcheck.infra import needed_services
from stackcheck.infra.pitr import archive_settings
from stackcheck.infra.pitr_drill import DrillResult, wal_settings
from stackcheck.probes.archiver import _parse_info, _segment_end, lsn_bytes
from stackcheck.probes.pitr_writer import Row, checksum, compare
from stackcheck.profile.models import Profile

ROWS = [Row(n, 1000.0 + n / 20, f"p{n}") for n in range(1, 11)]


def _profile(**sections: Any) -> Profile:
    return Profile.model_validate({"name": "x", **sections})


def test_a_restored_prefix_of_the_committed_rows_is_intact() -> None:
    integrity = compare(ROWS, ROWS[:7])
    assert integrity.prefix_intact and integrity.checksum_match and integrity.unknown_rows == 0
    assert (integrity.rows_written, integrity.rows_restored) == (10, 7)
    assert integrity.checksum_written == checksum(ROWS[:7])


@pytest.mark.parametrize(
    "restored",
    [
        [*ROWS[:3], Row(4, ROWS[3].written_at, "altered"), *ROWS[4:6]],  # a row changed
        [*ROWS[:3], *ROWS[4:6]],  # a row missing in between
        [*ROWS, Row(11, 2000.0, "never acknowledged")],  # a row nobody committed
    ],
    ids=["altered", "gap", "invented"],
)
def test_altered_missing_or_invented_rows_break_integrity(restored: list[Row]) -> None:
    integrity = compare(ROWS, restored)
    assert not integrity.checksum_match or integrity.unknown_rows > 0


def _result(last: float | None) -> DrillResult:
    return DrillResult(
        mechanism="basebackup", settings={}, integrity=compare(ROWS, ROWS), bulk_rows=0, bulk_match=True,
        writer_started_at=100.0, backup_done_at=102.0, backup_s=1.0, disaster_at=110.0,
        last_restored_at=last, rto_s=3.0, timeline_switched=True, writer_error=None,
    )  # fmt: skip


def test_rpo_is_the_disaster_minus_the_last_row_present_and_says_whether_wal_came_back() -> None:
    assert _result(109.5).rpo_s == pytest.approx(0.5) and _result(109.5).recovered_past_backup
    assert _result(101.0).rpo_s == pytest.approx(9.0) and not _result(101.0).recovered_past_backup
    assert _result(None).rpo_s == pytest.approx(10.0)  # nothing came back: all since the writer started
    assert _result(109.5).window_s == pytest.approx(8.0)


def test_wal_positions_and_the_end_of_a_segment() -> None:
    assert lsn_bytes("0/16B3748") == 0x16B3748 and lsn_bytes("1/0") == 1 << 32
    mb = 1024 * 1024
    assert _segment_end("000000010000000000000003", 16 * mb) == 4 * 16 * mb
    assert _segment_end("000000020000000100000000", 16 * mb) == (256 + 1) * 16 * mb  # 256 segments per log


def test_pgbackrest_info_gives_the_newest_backup_and_its_age() -> None:
    stanza = {
        "name": "main",
        "status": {"code": 0, "message": "ok"},
        "backup": [
            {"label": "20261203-050000F", "timestamp": {"start": 900, "stop": 950}},
            {"label": "20261203-055000F_20261203-055500I", "timestamp": {"start": 980, "stop": 990}},
        ],
        "archive": [{"min": "000000010000000000000001", "max": "000000010000000000000009"}],
    }
    info = _parse_info(stanza, now=1000.0)
    assert (info.backups, info.newest_label, info.newest_age_s) == (
        2,
        "20261203-055000F_20261203-055500I",
        10,
    )
    assert info.wal_max == "000000010000000000000009" and info.status_code == 0
    empty = _parse_info({"name": "main", "status": {"code": 2, "message": "no valid backups"}}, 1000.0)
    assert empty.newest_age_s is None and empty.status_code == 2
    assert (info.oldest_label, info.oldest_start_age_s) == ("20261203-050000F", 100)
    assert not info.wal_from_oldest  # the oldest backup names no WAL start: no continuity shown


def test_the_recovery_window_needs_the_wal_from_the_oldest_backup_on() -> None:
    stanza = {
        "name": "main",
        "status": {"code": 0, "message": "ok"},
        "backup": [
            {
                "label": "B1",
                "timestamp": {"start": 100, "stop": 110},
                "archive": {"start": "000000010000000000000004", "stop": "000000010000000000000004"},
            },
        ],
        "archive": [{"min": "000000010000000000000004", "max": "00000002000000000000000A"}],
    }
    kept = _parse_info(stanza, now=1000.0)
    assert kept.oldest_start_age_s == 900 and kept.wal_from_oldest
    stanza["archive"] = [{"min": "000000010000000000000006", "max": "00000002000000000000000A"}]
    assert not _parse_info(stanza, now=1000.0).wal_from_oldest  # WAL expired behind the backup


def test_the_archive_command_never_leaves_a_truncated_segment() -> None:
    command = archive_settings(Path("/tmp/a b"))["archive_command"]
    assert "'/tmp/a b'/%f.part && mv" in command and command.startswith("test ! -f")


def test_the_drill_takes_only_the_wal_settings_of_the_teams_server_config() -> None:
    profile = _profile(
        postgres={"server_config": {"archive_mode": False, "archive_timeout": 60, "shared_buffers": "1GB"}}
    )
    assert wal_settings(profile, {}) == {"archive_mode": "off", "archive_timeout": "60"}


def test_backup_keys_take_fractional_minutes_and_pgbackrest_freshness_names_a_stanza() -> None:
    backup = _profile(backup={"rpo_minutes": 0.1, "rto_minutes": 1.5, "drill": {}}).backup
    assert backup is not None and backup.rpo_minutes == 0.1 and backup.drill is not None
    assert backup.mechanism == "basebackup" and backup.drill.write_s > 0
    with pytest.raises(ValidationError, match=r"fresh\.stanza"):
        _profile(backup={"mechanism": "pgbackrest", "fresh": {}})
    with pytest.raises(ValidationError):
        _profile(backup={"drill": {"write_s": 10_000}})  # bounded


def test_backup_freshness_on_the_archiver_needs_the_runs_postgres_and_pgbackrest_does_not() -> None:
    archiver = _profile(postgres={}, backup={"rpo_minutes": 5, "fresh": {}})
    assert needed_services(archiver, ["drills"]) == ["postgres"]
    tool = _profile(
        postgres={}, backup={"rpo_minutes": 5, "mechanism": "pgbackrest", "fresh": {"stanza": "m"}}
    )
    assert needed_services(tool, ["drills"]) == []
    drill_only = _profile(postgres={}, backup={"rpo_minutes": 5, "drill": {}})
    assert needed_services(drill_only, ["drills"]) == []  # the restore drill starts servers of its own


def test_a_drill_target_names_its_commands_and_holds_no_literal_password() -> None:
    target = {"dsn": "postgresql://d:${PW}@h/app", "restored_dsn": "postgresql://d:${PW}@r/app"}
    drill = _profile(backup={"drill": {"target": {**target, "restore_command": ["./r.sh"]}}}).backup
    assert drill is not None and drill.drill is not None and drill.drill.target is not None
    assert drill.drill.target.destroy_command == []  # no disaster of its own: the writer only stops
    with pytest.raises(ValidationError, match="literal password"):
        _profile(backup={"drill": {"target": {**target, "dsn": "postgresql://d:s3cret@h/app"}}})
    with pytest.raises(ValidationError):
        _profile(backup={"drill": {"target": {**target, "restore_command": []}}})
