"""Reading PgBouncer's admin console: ``SHOW CONFIG``, ``SHOW DATABASES``, ``SHOW POOLS``.

The console is the special database ``pgbouncer`` on the pooler's port. It speaks the simple query protocol
only and knows no transactions, so the connection is autocommit, never prepares (``prepare_threshold=None``)
and runs each ``SHOW`` without parameters (psycopg then sends a simple ``Query`` message). Nothing is
changed: stackcheck never sends ``RELOAD``, ``PAUSE`` or ``SET``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import psycopg
from psycopg.conninfo import conninfo_to_dict
from psycopg.rows import TupleRow

from stackcheck._exceptions import CouldNotCheck, ErrorReason, UsageError
from stackcheck.infra.external import expand_env
from stackcheck.redact import Redactor

__all__ = ["MAX_ROWS", "AdminConsole", "PoolEntry", "compare_value", "open_console"]

Conn = psycopg.Connection[TupleRow]
MAX_ROWS = 5000  # rows read from one SHOW: a pooler with more databases or pools is read in part
_TRUE, _FALSE = {"1", "on", "yes", "true"}, {"0", "off", "no", "false"}


@dataclass(frozen=True)
class PoolEntry:
    """One row of ``SHOW DATABASES`` or ``SHOW POOLS``: its name, mode and size (``None``: inherited)."""

    name: str
    pool_mode: str | None
    pool_size: int | None = None


def compare_value(wanted: str | int | bool, observed: str) -> bool:
    """Whether SHOW CONFIG's text ``observed`` is the profile's ``wanted``: numbers as numbers, booleans
    as PgBouncer prints them (1/0), text exactly (after trimming)."""
    text = observed.strip()
    if isinstance(wanted, bool):
        return text.lower() in (_TRUE if wanted else _FALSE)
    if isinstance(wanted, int):
        try:
            return float(text) == wanted
        except ValueError:
            return False
    return text == wanted.strip()


class AdminConsole:
    """An open admin console connection; ``SHOW`` results as dicts of column → value."""

    def __init__(self, conn: Conn, display: str) -> None:
        self.conn = conn
        self.display = display

    def show(self, what: str) -> list[dict[str, object]]:
        """``SHOW what`` (a fixed word of ours, never profile text), at most :data:`MAX_ROWS` rows."""
        try:
            cur = self.conn.execute(f"SHOW {what}".encode())
        except psycopg.Error as exc:
            raise CouldNotCheck(
                f"the admin console at {self.display} refused SHOW {what}: {str(exc).strip()[:200]}",
                ErrorReason.ACCESS_DENIED,
            ) from None
        names = [d.name for d in cur.description or ()]
        return [dict(zip(names, row, strict=True)) for row in cur.fetchmany(MAX_ROWS)]

    def config(self) -> dict[str, str]:
        """``SHOW CONFIG``: setting → value text."""
        return {str(r["key"]): "" if r["value"] is None else str(r["value"]) for r in self.show("CONFIG")}

    def databases(self) -> list[PoolEntry]:
        """``SHOW DATABASES`` without the console itself: each entry's own pool_mode (``None``: the
        default) and pool size."""
        return [
            PoolEntry(str(r["name"]), _text(r.get("pool_mode")), _int(r.get("pool_size")))
            for r in self.show("DATABASES")
            if r["name"] != "pgbouncer"
        ]

    def pools(self) -> list[PoolEntry]:
        """``SHOW POOLS`` without the console's: each live pool (database/user) and the mode it runs."""
        return [
            PoolEntry(f"{r['database']}/{r['user']}", _text(r.get("pool_mode")))
            for r in self.show("POOLS")
            if r["database"] != "pgbouncer"
        ]

    def close(self) -> None:
        """Close the connection."""
        self.conn.close()


def _text(value: object) -> str | None:
    return None if value is None or value == "" else str(value)


def _int(value: object) -> int | None:
    return int(value) if isinstance(value, int) or (isinstance(value, str) and value.isdigit()) else None


_REFUSED = ("not allowed", "password authentication failed", "sasl authentication failed", "no such user")


def open_console(template: str, environ: Mapping[str, str], timeout_s: int = 10) -> AdminConsole:
    """Connect to ``pgbouncer.admin_dsn`` (``${VAR}`` expanded from ``environ``); a DSN naming another
    database is a :class:`UsageError`, an unreachable pooler or a refused login :class:`CouldNotCheck`."""
    dsn = expand_env(template, environ, "pgbouncer.admin_dsn")
    display = Redactor().text(dsn)
    try:
        database = conninfo_to_dict(dsn).get("dbname")
    except psycopg.ProgrammingError:
        raise UsageError(
            "pgbouncer.admin_dsn is not a valid DSN", "e.g. postgresql://stats:${PW}@127.0.0.1:6432/pgbouncer"
        ) from None
    if database != "pgbouncer":
        raise UsageError(
            f"pgbouncer.admin_dsn names the database {database or '(none)'}, not the admin console",
            "end the DSN with /pgbouncer (the pooler's special admin database)",
        )
    try:
        conn = psycopg.connect(dsn, autocommit=True, connect_timeout=timeout_s, prepare_threshold=None)
    except psycopg.OperationalError as exc:
        text = str(exc)
        fatal = next((ln for ln in text.splitlines() if "FATAL" in ln), text.splitlines()[0] if text else "")
        reason = fatal.split("FATAL:", 1)[-1].strip()[:200]
        if any(marker in text.lower() for marker in _REFUSED):
            raise CouldNotCheck(
                f"PgBouncer at {display} refused the admin console login: {reason} (list the user in the "
                "pooler's stats_users or admin_users, and check its password in auth_file)",
                ErrorReason.ACCESS_DENIED,
            ) from None
        raise CouldNotCheck(
            f"cannot reach PgBouncer's admin console at {display}: {reason}", ErrorReason.UNREACHABLE
        ) from None
    console = AdminConsole(conn, display)
    try:
        version = console.show("VERSION")
    except CouldNotCheck:
        console.close()
        raise CouldNotCheck(
            f"{display} answers, but not as PgBouncer's admin console (SHOW VERSION refused)",
            ErrorReason.UNEXPECTED_ANSWER,
        ) from None
    if not version or not str(next(iter(version[0].values()), "")).startswith("PgBouncer"):
        console.close()
        raise CouldNotCheck(
            f"{display} answers, but not as PgBouncer's admin console", ErrorReason.UNEXPECTED_ANSWER
        )
    return console
