"""The restore drill's bounded writer, and the integrity comparison of what it wrote with what came back.

The writer commits one timestamped row at a time (autocommit, so every acknowledged ``INSERT`` is a
committed transaction) and records each row only once the server acknowledged it: what it recorded is what
the primary promised to keep. :func:`compare` holds the restored rows against that record: they must be
exactly its first *n* rows (none altered, none missing in between, none invented), with equal checksums.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass

import psycopg

from stackcheck.probes.postgres import Conn
from stackcheck.wait import wait_until

__all__ = [
    "BULK_TABLE",
    "TABLE",
    "Integrity",
    "Row",
    "Writer",
    "bulk_checksum",
    "checksum",
    "compare",
    "create_tables",
    "preload",
    "read_rows",
]

TABLE = "stackcheck_drill"
BULK_TABLE = "stackcheck_drill_bulk"
_BULK_ROW_BYTES = 1000


@dataclass(frozen=True)
class Row:
    """One row of the drill table: its sequence number, client wall-clock time of writing, a payload."""

    id: int
    written_at: float
    payload: str


def checksum(rows: Sequence[Row]) -> str:
    """sha256 of the rows in order (id, written_at at full precision, payload)."""
    digest = hashlib.sha256()
    for row in rows:
        digest.update(f"{row.id}|{row.written_at!r}|{row.payload}\n".encode())
    return digest.hexdigest()


def create_tables(conn: Conn) -> None:
    """The drill table (and the bulk table :func:`preload` fills)."""
    conn.execute(
        f"CREATE TABLE {TABLE} (id bigint PRIMARY KEY, written_at double precision NOT NULL, payload text)"
    )
    conn.execute(f"CREATE TABLE {BULK_TABLE} (id bigint PRIMARY KEY, payload text NOT NULL)")


def preload(conn: Conn, megabytes: float) -> int:
    """Fill the bulk table with about ``megabytes`` MB of 1 kB rows; the number of rows."""
    rows = int(megabytes * 1024 * 1024 / _BULK_ROW_BYTES)
    if rows > 0:
        conn.execute(
            f"INSERT INTO {BULK_TABLE} SELECT g, repeat(md5(g::text), %s) FROM generate_series(1, %s) g",
            (_BULK_ROW_BYTES // 32, rows),
        )
    return rows


def bulk_checksum(conn: Conn) -> tuple[int, str]:
    """Row count and an order-independent checksum of the bulk table (computed in the server)."""
    found = conn.execute(
        f"SELECT count(*), coalesce(sum(('x' || substr(md5(id::text || ':' || payload), 1, 15))::bit(60)"
        f"::bigint), 0)::text FROM {BULK_TABLE}"
    ).fetchone()
    assert found is not None
    return int(found[0]), str(found[1])


def read_rows(conn: Conn) -> list[Row]:
    """Every row of the drill table, in order."""
    return [
        Row(int(i), float(t), str(p))
        for i, t, p in conn.execute(f"SELECT id, written_at, payload FROM {TABLE} ORDER BY id")
    ]


class Writer:
    """Commits a row every ``interval_s`` on its own connection until stopped or ``max_rows`` are in.

    ``rows`` holds the acknowledged rows; ``error`` the first failure (the writer then stops).
    """

    def __init__(self, dsn: str, interval_s: float, max_rows: int) -> None:
        self.dsn = dsn
        self.interval_s = interval_s
        self.max_rows = max_rows
        self.rows: list[Row] = []
        self.error: str | None = None
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="stackcheck-drill-writer", daemon=True)

    def start(self) -> None:
        """Start writing in the background."""
        self._thread.start()

    def _run(self) -> None:
        try:
            with psycopg.connect(self.dsn, autocommit=True, prepare_threshold=None) as conn:
                for n in range(1, self.max_rows + 1):
                    if self._stop.is_set():
                        return
                    row = Row(n, time.time(), hashlib.sha256(str(n).encode()).hexdigest()[:40])
                    conn.execute(
                        f"INSERT INTO {TABLE} VALUES (%s, %s, %s)", (row.id, row.written_at, row.payload)
                    )
                    self.rows.append(row)
                    self._stop.wait(self.interval_s)
        except psycopg.Error as exc:
            self.error = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__

    @property
    def done(self) -> bool:
        """Whether the writer has stopped on its own (``max_rows`` reached, or an error)."""
        return self._thread.ident is not None and not self._thread.is_alive()

    def stop(self, timeout_s: float = 30) -> None:
        """Stop after the row in flight; wait for the thread."""
        self._stop.set()
        self._thread.join(timeout_s)

    def wait_rows(self, count: int, timeout_s: float) -> bool:
        """Wait (bounded) until at least ``count`` rows are acknowledged."""
        wait_until(lambda: len(self.rows) >= count or self.error is not None, timeout_s, 0.02)
        return len(self.rows) >= count


@dataclass(frozen=True)
class Integrity:
    """The restored rows held against the writer's record."""

    rows_written: int
    rows_restored: int
    prefix_intact: bool  # the restored rows are exactly the first rows_restored rows written
    checksum_written: str  # of the written rows up to the recovery point
    checksum_restored: str
    unknown_rows: int  # restored rows the writer never had acknowledged

    @property
    def checksum_match(self) -> bool:
        """Whether the checksums up to the recovery point agree."""
        return self.prefix_intact and self.checksum_written == self.checksum_restored


def compare(written: Sequence[Row], restored: Sequence[Row]) -> Integrity:
    """Hold ``restored`` against ``written`` (both in id order)."""
    known = restored[: len(written)]
    prefix = list(written[: len(known)])
    return Integrity(
        rows_written=len(written),
        rows_restored=len(restored),
        prefix_intact=list(known) == prefix,
        checksum_written=checksum(prefix),
        checksum_restored=checksum(restored),
        unknown_rows=max(0, len(restored) - len(written)),
    )
