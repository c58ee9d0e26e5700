"""Suite ``drills``, backup freshness: the newest archived WAL (or backup) is younger than the RPO.

No destruction and nothing written on a server stackcheck did not start, so it runs on external servers
too: ``pg_stat_archiver`` of the run's Postgres (``backup.mechanism: basebackup``), or pgBackRest's JSON info
of ``backup.fresh.stanza`` (and, with ``retention_days``, whether its oldest backup reaches back as far
as the promised recovery window). On a server stackcheck started, a segment is switched first (a committed
transaction, then ``pg_switch_wal()``) and the archiver given a bounded time to ship it: the check then
shows archiving working end to end, not only a setting.
"""

from __future__ import annotations

import pytest

from stackcheck.catalog import backup as checks
from stackcheck.probes.archiver import (
    IDLE_BYTES,
    ArchiverState,
    BackupInfo,
    pgbackrest_info,
    read_archiver,
)
from stackcheck.testing import (
    BackupSection,
    EvidenceRecorder,
    PostgresServer,
    Profile,
    require,
    wait_until,
)

DAY_S = 86400.0
SHIP_BOUND_S = 30.0  # how long a switched segment may take to reach the archive on a server we started


def _minutes(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds / 60, 4)


def _archiver_after_switch(
    request: pytest.FixtureRequest, server: PostgresServer, bound_s: float
) -> ArchiverState:
    conn = request.getfixturevalue("pg")
    before = read_archiver(conn)
    if not server.managed or before.archive_mode == "off":
        return before
    conn.execute("SELECT txid_current()")  # WAL in the current segment, so the switch is not a no-op
    conn.execute("SELECT pg_switch_wal()")

    def shipped() -> ArchiverState | None:
        state = read_archiver(conn)
        moved = state.archived_count > before.archived_count or state.failed_count > before.failed_count
        return state if moved else None

    return wait_until(shipped, bound_s, 0.1) or read_archiver(conn)


def _judge_pgbackrest(backup: BackupSection, max_min: float, evidence: EvidenceRecorder) -> None:
    fresh = require(backup.fresh, "backup.fresh is not set")
    stanza = require(fresh.stanza, "backup.fresh.stanza is not set")
    info = pgbackrest_info(stanza, fresh.config)
    evidence.record(
        expected=max_min, observed=_minutes(info.newest_age_s), unit="min", op="<=", mechanism="pgbackrest",
        stanza=stanza, status=info.status_message, backups=info.backups, newest=info.newest_label,
        wal_max=info.wal_max, newest_age_s=info.newest_age_s, retention_days=fresh.retention_days,
        oldest=info.oldest_label, wal_min=info.wal_min,
        window_days=None if info.oldest_start_age_s is None else round(info.oldest_start_age_s / DAY_S, 5),
    )  # fmt: skip
    assert info.status_code == 0, (
        f"pgBackRest stanza {stanza}: {info.status_message} (code {info.status_code})"
    )
    age = info.newest_age_s
    assert age is not None, f"pgBackRest stanza {stanza} holds no backup"
    assert age <= max_min * 60, (
        f"the newest backup ({info.newest_label}) is {age / 60:.2f} min old > {max_min:g}"
    )
    evidence.message = f"newest pgBackRest backup {info.newest_label} is {age:.0f} s old (<= {max_min:g} min)"
    if fresh.retention_days is not None:
        evidence.message += _judge_retention(stanza, fresh.retention_days, info)


def _judge_retention(stanza: str, days: float, info: BackupInfo) -> str:
    """The promised PITR window: the oldest backup started ``days`` ago or more, WAL kept from it on."""
    window = (info.oldest_start_age_s or 0.0) / DAY_S
    assert window >= days, (
        f"pgBackRest stanza {stanza} reaches back {window:.3f} days (oldest backup {info.oldest_label}) < "
        f"the promised {days:g}-day recovery window (retention expires backups too early, or the stanza is "
        "younger than the window and cannot restore that far back yet)"
    )
    assert info.wal_from_oldest, (
        f"pgBackRest stanza {stanza}: the archive starts at {info.wal_min}, after the oldest backup's WAL "
        f"({info.oldest_wal_start}): point-in-time recovery from it has a gap"
    )
    return f"; recovery window {window:.3f} days (>= {days:g})"


@pytest.mark.check(checks.FRESH)
def test_the_newest_archived_wal_or_backup_is_younger_than_the_rpo(
    profile: Profile, request: pytest.FixtureRequest, evidence: EvidenceRecorder
) -> None:
    backup: BackupSection = require(profile.backup, "profile has no `backup` section")
    fresh = require(backup.fresh, "backup.fresh is not set")
    rpo = require(backup.rpo_minutes, "backup.rpo_minutes is not set")
    max_min = fresh.max_age_minutes or rpo
    if backup.mechanism == "pgbackrest":
        _judge_pgbackrest(backup, max_min, evidence)
        return
    server: PostgresServer = request.getfixturevalue("postgres_server")
    state = _archiver_after_switch(request, server, min(SHIP_BOUND_S, max_min * 60))
    evidence.record(
        expected=max_min, observed=_minutes(state.age_s), unit="min", op="<=", mechanism="basebackup",
        server=server.display, nudged=server.managed, **state.evidence(),
    )  # fmt: skip
    assert state.archive_mode != "off", (
        "archive_mode is off: no WAL is archived, so everything since the last base backup is at risk"
    )
    assert not state.failing, (
        f"archiving is failing: the last attempt ({state.last_failed_wal}) failed after the last success "
        f"({state.failed_count} failures in all)"
    )
    age = state.age_s
    assert age is not None, (
        "no WAL segment has been archived yet (pg_stat_archiver.last_archived_time is null)"
    )
    idle = state.pending_bytes is not None and state.pending_bytes <= IDLE_BYTES
    if age > max_min * 60 and not idle:
        raise AssertionError(
            f"the newest archived WAL segment is {age / 60:.2f} min old > {max_min:g} min, with "
            f"{state.pending_bytes} bytes of WAL not archived"
        )
    evidence.message = f"newest archived WAL segment {state.last_archived_wal} is {age:.1f} s old" + (
        " (idle since: nothing to archive)" if age > max_min * 60 else f" (<= {max_min:g} min)"
    )
