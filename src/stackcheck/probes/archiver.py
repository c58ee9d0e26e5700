"""How fresh a server's backups are: ``pg_stat_archiver`` (WAL archiving) and ``pgbackrest info`` (JSON).

Read-only on any server. The age of the newest archived segment is measured on the server's own clock
(``now() - last_archived_time``), so a skewed client clock does not matter. An idle server archives nothing
(archive_timeout switches only a segment that holds WAL): a stale segment with no WAL written after it puts
nothing at risk, and :attr:`ArchiverState.pending_bytes` says how much WAL is not archived yet.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg

from stackcheck._exceptions import CouldNotCheck, ErrorReason
from stackcheck.probes.postgres import Conn

__all__ = [
    "IDLE_BYTES",
    "ArchiverState",
    "BackupInfo",
    "lsn_bytes",
    "pgbackrest_binary",
    "pgbackrest_info",
    "read_archiver",
]

# WAL beyond the newest archived segment that is no data: the next segment's page header and the records an
# idle server writes on its own (a checkpoint, a running-transactions snapshot).
IDLE_BYTES = 8192
_INFO_TIMEOUT_S = 60.0


def pgbackrest_binary() -> Path:
    """``pgbackrest`` from PATH, or :class:`CouldNotCheck` naming the package."""
    found = shutil.which("pgbackrest")
    if found is None:
        raise CouldNotCheck(
            "backup.mechanism is pgbackrest but no pgbackrest binary is installed (apt-get install "
            "pgbackrest)",
            ErrorReason.TOOL_MISSING,
        )
    return Path(found)


def lsn_bytes(lsn: str) -> int:
    """``16/B374D848`` → its byte position."""
    high, _, low = lsn.partition("/")
    return (int(high, 16) << 32) + int(low, 16)


def _segment_end(walfile: str, segment_size: int) -> int:
    """Byte position where WAL file ``walfile`` (24 hex digits: timeline, log, segment) ends."""
    log, seg = int(walfile[8:16], 16), int(walfile[16:24], 16)
    return (log * (0x1_0000_0000 // segment_size) + seg + 1) * segment_size


@dataclass(frozen=True)
class ArchiverState:
    """What ``pg_stat_archiver`` and the settings around it say."""

    archive_mode: str
    archive_timeout: str
    archived_count: int
    last_archived_wal: str | None
    age_s: float | None  # of the newest archived segment, on the server's clock
    failed_count: int
    last_failed_wal: str | None
    failing: bool  # the newest attempt failed (last_failed_time after last_archived_time)
    pending_bytes: int | None  # WAL written after the newest archived segment

    def evidence(self) -> dict[str, Any]:
        """The facts, for the check's evidence."""
        return {
            "archive_mode": self.archive_mode,
            "archive_timeout": self.archive_timeout,
            "archived_count": self.archived_count,
            "last_archived_wal": self.last_archived_wal,
            "failed_count": self.failed_count,
            "last_failed_wal": self.last_failed_wal,
            "pending_wal_bytes": self.pending_bytes,
        }


def read_archiver(conn: Conn) -> ArchiverState:
    """Read the archiver's state; a lost server is :class:`CouldNotCheck`."""
    try:
        row = conn.execute(
            "SELECT current_setting('archive_mode'), current_setting('archive_timeout'), archived_count,"
            " last_archived_wal, extract(epoch FROM now() - last_archived_time)::float8, failed_count,"
            " last_failed_wal, coalesce(last_failed_time > last_archived_time"
            " OR (last_failed_time IS NOT NULL AND last_archived_time IS NULL), false),"
            " CASE WHEN pg_is_in_recovery() THEN NULL ELSE pg_current_wal_lsn()::text END,"
            " (SELECT setting::bigint * CASE unit WHEN 'B' THEN 1 WHEN 'kB' THEN 1024 ELSE 1048576 END"
            " FROM pg_settings WHERE name = 'wal_segment_size') FROM pg_stat_archiver"
        ).fetchone()
    except psycopg.Error as exc:
        raise CouldNotCheck(f"cannot read pg_stat_archiver: {exc}", ErrorReason.UNREACHABLE) from None
    if row is None:
        raise CouldNotCheck("pg_stat_archiver returned no row", ErrorReason.UNEXPECTED_ANSWER)
    mode, timeout, count, last_wal, age, failed, failed_wal, failing, lsn, segsize = row
    pending = None
    if lsn is not None and last_wal and len(str(last_wal)) >= 24 and str(last_wal)[:24].isalnum():
        pending = max(0, lsn_bytes(str(lsn)) - _segment_end(str(last_wal), int(segsize)))
    return ArchiverState(
        archive_mode=str(mode),
        archive_timeout=str(timeout),
        archived_count=int(count),
        last_archived_wal=None if last_wal is None else str(last_wal),
        age_s=None if age is None else float(age),
        failed_count=int(failed),
        last_failed_wal=None if failed_wal is None else str(failed_wal),
        failing=bool(failing),
        pending_bytes=pending,
    )


@dataclass(frozen=True)
class BackupInfo:
    """pgBackRest's view of one stanza: its status and newest backup."""

    status_code: int
    status_message: str
    backups: int
    newest_label: str | None
    newest_age_s: float | None
    wal_max: str | None
    oldest_label: str | None = None
    oldest_start_age_s: float | None = None
    oldest_wal_start: str | None = None
    wal_min: str | None = None

    @property
    def wal_from_oldest(self) -> bool:
        """Whether the archive still holds the WAL from the oldest backup's start on (no gap behind it)."""
        if self.oldest_wal_start is None or self.wal_min is None:
            return False
        return self.wal_min[8:] <= self.oldest_wal_start[8:]  # log and segment; timelines may differ


def _parse_info(stanza: Mapping[str, Any], now: float) -> BackupInfo:
    status = stanza.get("status") or {}
    backups = [b for b in stanza.get("backup") or [] if isinstance(b, dict)]
    newest = max(backups, key=lambda b: b.get("timestamp", {}).get("stop", 0), default=None)
    archives = [a for a in stanza.get("archive") or [] if isinstance(a, dict)]
    stop = newest.get("timestamp", {}).get("stop") if newest else None
    oldest = min(backups, key=lambda b: b.get("timestamp", {}).get("start", 0), default=None)
    start = oldest.get("timestamp", {}).get("start") if oldest else None
    oldest_wal = (oldest.get("archive") or {}).get("start") if oldest else None
    wal_min = next((a.get("min") for a in archives if a.get("min")), None)
    return BackupInfo(
        status_code=int(status.get("code", -1)),
        status_message=str(status.get("message", ""))[:200],
        backups=len(backups),
        newest_label=str(newest.get("label"))[:80] if newest else None,
        newest_age_s=None if stop is None else max(0.0, now - float(stop)),
        wal_max=str(archives[-1].get("max"))[:40] if archives and archives[-1].get("max") else None,
        oldest_label=str(oldest.get("label"))[:80] if oldest else None,
        oldest_start_age_s=None if start is None else max(0.0, now - float(start)),
        oldest_wal_start=None if oldest_wal is None else str(oldest_wal)[:40],
        wal_min=None if wal_min is None else str(wal_min)[:40],
    )


def pgbackrest_info(stanza: str, config: str | None, user: str | None = None) -> BackupInfo:
    """``pgbackrest info --output=json`` for ``stanza``; a tool that fails is :class:`CouldNotCheck`."""
    argv = [
        str(pgbackrest_binary()),
        *([f"--config={config}"] if config else []),
        f"--stanza={stanza}",
        "--output=json",
    ]
    try:
        done = subprocess.run(
            [*argv, "info"], capture_output=True, text=True, timeout=_INFO_TIMEOUT_S, user=user, check=False
        )
    except subprocess.TimeoutExpired:
        raise CouldNotCheck("pgbackrest info did not answer within 60 s", ErrorReason.TIMEOUT) from None
    if done.returncode != 0:
        tail = " | ".join(done.stderr.strip().splitlines()[-2:])[:300]
        raise CouldNotCheck(
            f"pgbackrest info failed (exit {done.returncode}): {tail}", ErrorReason.TOOL_FAILED
        )
    try:
        parsed = json.loads(done.stdout)
    except json.JSONDecodeError:
        raise CouldNotCheck("pgbackrest info wrote no JSON", ErrorReason.TOOL_FAILED) from None
    entry = next((s for s in parsed if isinstance(s, dict) and s.get("name") == stanza), None)
    if entry is None:
        raise CouldNotCheck(f"pgbackrest info knows no stanza {stanza!r}", ErrorReason.MISCONFIGURED)
    return _parse_info(entry, dt.datetime.now(dt.UTC).timestamp())
