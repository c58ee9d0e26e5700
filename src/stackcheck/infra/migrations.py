"""Apply a team's migrations (a folder of plain SQL files) to a throwaway database before the checks.

Files run in name order (``001_schema.sql``, ``002_rls.sql``...), statement by statement in autocommit mode
so that ``ALTER SYSTEM`` and ``CREATE INDEX CONCURRENTLY`` work as they do in a team's own tooling. After the
last file the configuration is reloaded, and when a migration changed a setting that needs a restart
(``ALTER SYSTEM SET shared_buffers``) the server is restarted, so the checks see what production would.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from stackcheck._exceptions import CouldNotCheck, ErrorReason, UsageError
from stackcheck.infra.base import PostgresServer
from stackcheck.infra.sqlscript import split_sql

__all__ = ["MigrationRun", "apply_migrations", "migration_files"]


@dataclass(frozen=True)
class MigrationRun:
    """What applying the folder did."""

    files: tuple[str, ...]
    statements: int
    restarted: bool


def migration_files(folder: Path) -> list[Path]:
    """The ``*.sql`` files of ``folder`` in name order; a missing folder is a usage error."""
    if not folder.is_dir():
        raise UsageError(
            f"postgres.migrations: folder {folder} does not exist", "paths are relative to the profile"
        )
    return sorted(p for p in folder.iterdir() if p.suffix == ".sql" and p.is_file())


def apply_migrations(server: PostgresServer, folder: Path) -> MigrationRun:
    """Run every file of ``folder`` against ``server``; a failing statement is :class:`CouldNotCheck`."""
    import psycopg  # the data extra: imported where used (stackcheck.extras)

    files = migration_files(folder)
    count = 0
    try:
        with psycopg.connect(server.dsn, autocommit=True, connect_timeout=10, prepare_threshold=None) as conn:
            for path in files:
                for statement in split_sql(path.read_text(encoding="utf-8")):
                    try:
                        conn.execute(statement.sql.encode())
                    except psycopg.Error as exc:
                        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
                        raise CouldNotCheck(
                            f"migration {path.name}:{statement.line} failed: {first}",
                            ErrorReason.START_FAILED,
                        ) from None
                    count += 1
            conn.execute("SELECT pg_reload_conf()")
            # pg_file_settings parses the files now; pg_settings.pending_restart would race the reload.
            row = conn.execute(
                "SELECT count(*) FROM pg_file_settings"
                " WHERE NOT applied AND error = 'setting could not be applied'"
            ).fetchone()
            pending = bool(row and row[0])
    except psycopg.OperationalError as exc:
        raise CouldNotCheck(
            f"cannot connect to {server.display} to apply migrations: {exc}", ErrorReason.UNREACHABLE
        ) from None
    if pending and server.managed:
        server.stop()
        server.start()
    return MigrationRun(tuple(p.name for p in files), count, pending and server.managed)
