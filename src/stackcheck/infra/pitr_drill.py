"""The restore drill end to end: primary, writer, base backup, disaster, restore, integrity, RPO and RTO.

1. a throwaway primary (:class:`~stackcheck.infra.pitr.DrillCluster`, local binaries or a container of the
   run's image: :mod:`~stackcheck.infra.pitr_exec`) archives its WAL with the mechanism
   (:mod:`~stackcheck.infra.pitr_mechanisms`), with the team's WAL settings on top;
2. optional bulk data (``preload_mb``) is loaded and checksummed; the writer starts committing rows;
3. the base backup is taken while the writer goes on, and the writer goes on ``write_s`` after it;
4. the disaster instant is recorded, the writer stops (its last acknowledged row is known), the primary is
   killed (SIGKILL to its process group, or ``docker kill`` of its container) and its data directory removed;
5. the restore starts (the RTO clock): the mechanism lays down backup plus WAL, the new server recovers to
   the end of the archived WAL and promotes; the RTO clock stops when it answers the application's query;
6. the rows that came back are held against the writer's record; RPO = disaster instant minus the write
   time of the last row present.

Every step is bounded; the drill's directory and processes go on every path (exceptions, signals).
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass

import psycopg

from stackcheck._exceptions import CouldNotCheck, ErrorReason
from stackcheck.infra.pitr import DrillCluster, DrillDir
from stackcheck.infra.pitr_exec import Executor
from stackcheck.infra.pitr_mechanisms import mechanism_for
from stackcheck.infra.select import server_config
from stackcheck.probes.pitr_writer import (
    TABLE,
    Integrity,
    Writer,
    bulk_checksum,
    compare,
    create_tables,
    preload,
    read_rows,
)
from stackcheck.profile.backup import BackupMechanism, RestoreDrill
from stackcheck.profile.models import Profile
from stackcheck.wait import wait_until

__all__ = ["WAL_KEYS", "DrillResult", "run_restore_drill", "wal_settings"]

START_TIMEOUT_S = 60.0
# The settings of postgres.server_config the drill's primary takes: how the team's server writes and ships
# WAL. Others (shared_preload_libraries of extensions the local binaries may lack) stay the run's.
WAL_KEYS = frozenset(
    {
        "archive_mode", "archive_timeout", "wal_level", "synchronous_commit", "fsync", "full_page_writes",
        "wal_compression", "checkpoint_timeout", "max_wal_size", "min_wal_size", "wal_writer_delay",
    }
)  # fmt: skip


def wal_settings(profile: Profile, environ: Mapping[str, str]) -> dict[str, str]:
    """The WAL settings of the team's ``postgres.server_config`` as server text (``${VAR}`` expanded)."""
    return {k: v for k, v in server_config(profile, "postgres", environ).items() if k in WAL_KEYS}


@dataclass(frozen=True)
class DrillResult:
    """What one drill measured. Times are wall-clock seconds since the epoch, durations seconds."""

    mechanism: str  # backup.mechanism, or "target" (the team's own restore command)
    settings: dict[str, str]  # the primary's WAL/archive settings
    integrity: Integrity
    bulk_rows: int
    bulk_match: bool
    writer_started_at: float
    backup_done_at: float
    backup_s: float
    disaster_at: float
    last_restored_at: float | None  # write time of the last drill row present after the restore
    rto_s: float | None  # None: the restored server did not answer within the bound
    timeline_switched: bool
    writer_error: str | None
    servers: str = ""  # what ran the servers: "docker IMAGE" or "local BINDIR"
    server_version: str = ""  # the primary's server_version

    @property
    def rpo_s(self) -> float:
        """Disaster instant minus the write time of the last row present (everything lost: since start)."""
        last = self.last_restored_at if self.last_restored_at is not None else self.writer_started_at
        return max(0.0, self.disaster_at - last)

    @property
    def window_s(self) -> float:
        """Seconds from the end of the base backup to the disaster: the most loss the drill can observe."""
        return self.disaster_at - self.backup_done_at

    @property
    def recovered_past_backup(self) -> bool:
        """Whether any row written after the base backup ended came back (WAL beyond the backup)."""
        return self.last_restored_at is not None and self.last_restored_at > self.backup_done_at


def _unanswered(
    mechanism: BackupMechanism,
    settings: dict[str, str],
    writer: Writer,
    bulk_rows: int,
    writer_started_at: float,
    backup_done_at: float,
    backup_s: float,
    disaster_at: float,
    where: tuple[str, str],
) -> DrillResult:
    """The result of a restore that did not answer within its bound: no rows read, no RTO."""
    return DrillResult(
        mechanism=mechanism, settings={k: v for k, v in settings.items() if k in WAL_KEYS},
        integrity=compare(writer.rows, []), bulk_rows=bulk_rows, bulk_match=False,
        writer_started_at=writer_started_at, backup_done_at=backup_done_at, backup_s=backup_s,
        disaster_at=disaster_at, last_restored_at=None, rto_s=None, timeline_switched=False,
        writer_error=writer.error, servers=where[0], server_version=where[1],
    )  # fmt: skip


def _connect(cluster: DrillCluster) -> psycopg.Connection[tuple[object, ...]]:
    try:
        return psycopg.connect(cluster.dsn, autocommit=True, prepare_threshold=None)
    except psycopg.Error as exc:
        raise CouldNotCheck(f"lost the drill's server: {exc}", ErrorReason.UNREACHABLE) from None


def run_restore_drill(
    mechanism: BackupMechanism,
    drill: RestoreDrill,
    team_wal: Mapping[str, str],
    executor: Executor | None = None,
) -> DrillResult:
    """Run the whole drill once on servers of its own (``executor``: where they run, default the local
    binaries; :func:`~stackcheck.infra.pitr_exec.drill_executor`); :class:`CouldNotCheck` when a step
    cannot run."""
    where = DrillDir(executor)
    clusters: list[DrillCluster] = []
    writer: Writer | None = None
    try:
        primary = where.cluster("primary")
        clusters.append(primary)
        primary.initdb()
        mech = mechanism_for(mechanism, where, primary)
        settings = {**mech.primary_settings(), **team_wal}  # the team's deployment wins (archive_mode off)
        primary.start(settings, START_TIMEOUT_S)
        mech.prepare(primary)
        with _connect(primary) as conn:
            create_tables(conn)
            bulk_rows = preload(conn, drill.preload_mb)
            bulk = bulk_checksum(conn)
            version = conn.execute("SHOW server_version").fetchone()
        servers = (where.executor.servers, str(version[0]) if version else "")
        writer = Writer(primary.dsn, drill.interval_ms / 1000, drill.max_rows)
        writer_started_at = time.time()
        writer.start()
        if not writer.wait_rows(2, 30):
            raise CouldNotCheck(f"the drill's writer wrote nothing: {writer.error}", ErrorReason.TOOL_FAILED)
        backup_started = time.monotonic()
        mech.backup(primary)
        backup_s = time.monotonic() - backup_started
        backup_done_at = time.time()
        # Until write_s passes, or the writer stops on its own (max_rows, an error): the disaster follows
        # its last row at once, so idle time never counts as loss.
        wait_until(lambda: writer is None or writer.done, drill.write_s, 0.05)
        writer.stop()
        if writer.error is not None:
            raise CouldNotCheck(f"the drill's writer failed: {writer.error}", ErrorReason.TOOL_FAILED)
        disaster_at = time.time()
        primary.destroy()

        restored = where.cluster("restored")
        clusters.append(restored)
        started = time.monotonic()
        recovery = mech.restore(restored)
        restored.launch({**team_wal, **recovery})
        left = drill.restore_timeout_s - (time.monotonic() - started)
        query = drill.query or f"SELECT count(*) FROM {TABLE}"
        answered = restored.wait_ready(query, max(left, 0.0), primary=True)
        if not answered:  # past the bound: the verdict is the RTO's; nothing more to read from it
            restored.close()
            return _unanswered(mechanism, settings, writer, bulk_rows, writer_started_at, backup_done_at,
                               backup_s, disaster_at, servers)  # fmt: skip
        rto_s = time.monotonic() - started if answered else None
        with _connect(restored) as conn:
            rows = read_rows(conn)
            bulk_after = bulk_checksum(conn)
            timeline = conn.execute("SELECT pg_walfile_name(pg_current_wal_lsn())").fetchone()
        return DrillResult(
            mechanism=mechanism,
            settings={k: v for k, v in settings.items() if k in WAL_KEYS},
            integrity=compare(writer.rows, rows),
            bulk_rows=bulk_rows,
            bulk_match=bulk_after == bulk,
            writer_started_at=writer_started_at,
            backup_done_at=backup_done_at,
            backup_s=backup_s,
            disaster_at=disaster_at,
            last_restored_at=rows[-1].written_at if rows else None,
            rto_s=rto_s,
            timeline_switched=bool(timeline and int(str(timeline[0])[:8], 16) > 1),
            writer_error=writer.error,
            servers=servers[0],
            server_version=servers[1],
        )
    finally:
        if writer is not None:
            writer.stop()
        for cluster in clusters:
            cluster.close()
        where.close()
