"""Probes the ``postgres`` suite runs on a live server, kept out of the suite so they are typed and tested.

Every probe distinguishes "the server said no" (an :class:`AssertionError`: the check fails) from "we lost
the server" (:class:`CouldNotCheck`: the check errors).
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from typing import Any

import psycopg
from psycopg import sql
from psycopg.abc import Query
from psycopg.rows import TupleRow

from stackcheck._exceptions import CouldNotCheck, ErrorReason, UsageError
from stackcheck.probes.pgsettings import ROLE_SOURCES, ServerSetting, command_line_settings, in_base_unit

__all__ = [
    "Attempt",
    "SettingRead",
    "UuidFields",
    "VectorResult",
    "connect_or_none",
    "connect_postgres",
    "create_or_fail",
    "login_failure",
    "open_connections",
    "rolled_back",
    "run_or_fail",
    "same_interval",
    "server_setting",
    "server_version",
    "uuid_fields",
    "vector_round_trip",
]

Conn = psycopg.Connection[TupleRow]
_VECTOR_ROWS = 200
_TARGET_ID = 137


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def _refusal(exc: psycopg.Error, what: str) -> Exception:
    # The server's own refusal carries a SQLSTATE — even a FATAL one that ends the session, as TimescaleDB
    # does when it is not preloaded. No SQLSTATE, a connection class (08) or a shutdown (57P) means the
    # server went away: that is "could not check", not non-compliance.
    state = exc.sqlstate or ""
    if not state or state.startswith(("08", "57P")):
        return CouldNotCheck(f"lost the connection to Postgres: {_first_line(exc)}", ErrorReason.UNREACHABLE)
    return AssertionError(f"{what}: {_first_line(exc)}")


def run_or_fail(conn: Conn, query: Query, what: str) -> psycopg.Cursor[TupleRow]:
    """Execute ``query``; a server-side refusal fails the check with ``what`` and the server's reason."""
    try:
        return conn.execute(query)
    except psycopg.Error as exc:
        raise _refusal(exc, what) from None


def create_or_fail(conn: Conn, extension: str) -> None:
    """``CREATE EXTENSION ... CASCADE`` (the caller rolls it back); the server's refusal fails the check,
    but a refusal of stackcheck's own role (no CREATE privilege, not a superuser) is :class:`CouldNotCheck`:
    whether the verifier may create it says nothing about the server."""
    statement = sql.SQL("CREATE EXTENSION {} CASCADE").format(sql.Identifier(extension))
    try:
        conn.execute(statement)
    except psycopg.errors.InsufficientPrivilege as exc:
        raise CouldNotCheck(
            f"extension {extension} is available, but stackcheck's role may not create it to prove it loads"
            f" ({_first_line(exc)}); install it, or run as a role that may",
            ErrorReason.ACCESS_DENIED,
        ) from None
    except psycopg.Error as exc:
        raise _refusal(exc, f"extension {extension} is available but cannot be created") from None


@contextmanager
def rolled_back(conn: Conn, what: str) -> Iterator[None]:
    """A transaction that is always rolled back; a pooler that refuses transaction blocks (PgBouncer in
    statement mode) is :class:`CouldNotCheck` (``access_denied``): without one, ``what`` would change the
    database for good."""
    with ExitStack() as stack:
        try:
            stack.enter_context(conn.transaction(force_rollback=True))
        except psycopg.errors.ProtocolViolation as exc:
            raise CouldNotCheck(
                f"cannot {what} in a rolled-back transaction: the server refused the transaction block "
                f"({_first_line(exc)}); connect to Postgres directly or through a session/transaction pool",
                ErrorReason.ACCESS_DENIED,
            ) from None
        yield


@dataclass(frozen=True)
class Attempt:
    """A connection attempt: the connection, or why it was refused."""

    conn: Conn | None
    error: str | None
    sqlstate: str | None


def connect_or_none(dsn: str, **params: Any) -> Attempt:
    """Try to log in with ``dsn`` (plus libpq ``params``); never raises for a refused login."""
    try:
        conn = psycopg.connect(dsn, autocommit=True, connect_timeout=10, prepare_threshold=None, **params)
    except psycopg.Error as exc:
        return Attempt(None, _first_line(exc), exc.sqlstate)
    return Attempt(conn, None, None)


def connect_postgres(dsn: str, display: str, timeout_s: int = 10) -> Conn:
    """A new autocommit connection; an unreachable server or a refused login is :class:`CouldNotCheck`.

    Statements are never prepared server-side (``prepare_threshold=None``): behind a transaction-mode
    pooler (PgBouncer) a statement psycopg prepared on its 6th use stays on the pooled server connection
    and the next run collides with it (``DuplicatePreparedStatement``).
    """
    try:
        return psycopg.connect(dsn, autocommit=True, connect_timeout=timeout_s, prepare_threshold=None)
    except psycopg.OperationalError as exc:
        raise login_failure(exc, display) from None


# libpq reports a refused login without a SQLSTATE: the server's (or PgBouncer's) FATAL text tells a login
# it refused (a wrong password, no CONNECT privilege, an hba rule) from a server that was never reached.
_LOGIN_REFUSED = (
    "password authentication failed",
    "sasl authentication failed",
    "permission denied for database",
    "no pg_hba.conf entry",
    "pg_hba.conf rejects",
    "is not permitted to log in",
    "no such user",
)
_NO_DATABASE = ("no such database",)


def login_failure(exc: psycopg.OperationalError, display: str) -> CouldNotCheck:
    """Why a connection attempt failed: a refused login is ``access_denied`` (a wrong password or a role
    without CONNECT is the verifier's credentials, never the server's compliance), a missing database is
    ``misconfigured`` (the DSN), anything else ``unreachable``."""
    text = str(exc)
    lowered = text.lower()
    refused = next((line for line in text.splitlines() if "FATAL" in line), _first_line(exc))
    reason = refused.split("FATAL:", 1)[-1].strip()
    if any(marker in lowered for marker in _LOGIN_REFUSED) or (
        "role " in lowered and "does not exist" in lowered
    ):
        return CouldNotCheck(
            f"Postgres at {display} refused the login: {reason} (check the user, password and database"
            " privileges in postgres.dsn)",
            ErrorReason.ACCESS_DENIED,
        )
    if any(marker in lowered for marker in _NO_DATABASE) or (
        "database " in lowered and "does not exist" in lowered
    ):
        return CouldNotCheck(
            f"Postgres at {display} has no such database: {reason} (check the database in postgres.dsn)",
            ErrorReason.MISCONFIGURED,
        )
    return CouldNotCheck(
        f"cannot connect to Postgres at {display}: {_first_line(exc)}", ErrorReason.UNREACHABLE
    )


def server_version(conn: Conn) -> tuple[str, str]:
    """``("17.12", "17.12 (Debian 17.12-0+deb13u1)")`` — from server_version_num, so betas parse too."""
    row = conn.execute(
        "SELECT current_setting('server_version_num')::int, current_setting('server_version')"
    ).fetchone()
    assert row is not None
    num, full = int(row[0]), str(row[1])
    # Since PostgreSQL 10: MMmmmm (major, minor); before: MMmmpp (major.minor, patch).
    short = (
        f"{num // 10000}.{num % 10000}" if num >= 100000 else f"{num // 10000}.{num // 100 % 100}.{num % 100}"
    )
    return short, full


@dataclass(frozen=True)
class UuidFields:
    """The parts of a UUID that tell a version-7 UUID apart (RFC 9562)."""

    version: int
    rfc_variant: bool
    unix_ms: int


def uuid_fields(text: str) -> UuidFields:
    """Version, variant and (for v7) the 48-bit Unix millisecond timestamp of a UUID string."""
    digits = text.replace("-", "").lower()
    if len(digits) != 32 or any(c not in "0123456789abcdef" for c in digits):
        raise AssertionError(f"{text!r} is not a UUID")
    return UuidFields(
        version=int(digits[12], 16), rfc_variant=digits[16] in "89ab", unix_ms=int(digits[:12], 16)
    )


@dataclass(frozen=True)
class VectorResult:
    """What the pgvector round trip saw."""

    expected_id: int
    nearest_id: int | None
    index_used: bool
    plan_nodes: list[str]
    version: str
    rows: int
    distance: float | None


def _embedding(i: int) -> list[float]:
    # Points on a helix: distinct, deterministic, and the nearest neighbour of a nudged point is unambiguous.
    return [round(math.cos(i / 3), 6), round(math.sin(i / 3), 6), round(i / _VECTOR_ROWS, 6)]


def _literal(vec: list[float]) -> str:
    return "[" + ",".join(f"{x:.6f}" for x in vec) + "]"


def _plan_nodes(plan: Any) -> list[str]:
    nodes: list[str] = []
    stack = [plan[0]["Plan"]] if isinstance(plan, list) else [plan["Plan"]]
    while stack:
        node = stack.pop()
        label = str(node.get("Node Type"))
        if node.get("Index Name"):
            label += f" using {node['Index Name']}"
        nodes.append(label)
        stack.extend(node.get("Plans", []))
    return nodes


_VECTOR_EXTENSION = (
    "SELECT e.extversion, n.nspname FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace"
    " WHERE e.extname = 'vector'"
)


def _ensure_vector(conn: Conn) -> tuple[str, str]:
    """pgvector's version and schema, created if it is installable; the schema joins the search_path."""
    ext = conn.execute(_VECTOR_EXTENSION).fetchone()
    if ext is None:
        run_or_fail(conn, "CREATE EXTENSION vector", "pgvector is not installed and cannot be created")
        ext = conn.execute(_VECTOR_EXTENSION).fetchone()
        assert ext is not None
    version, schema = str(ext[0]), str(ext[1])
    # The type and the <-> operator live in the extension's schema, which may not be on the search_path.
    conn.execute(
        "SELECT set_config('search_path', current_setting('search_path') || ', ' || quote_ident(%s), true)",
        (schema,),
    )
    return version, schema


def _indexed_vectors(conn: Conn, index: str) -> None:
    """A temporary table of known vectors with an ANN index of kind ``index`` (hnsw or ivfflat)."""
    run_or_fail(
        conn,
        "CREATE TEMP TABLE stackcheck_vectors"
        " (id int PRIMARY KEY, embedding vector(3) NOT NULL) ON COMMIT DROP",
        "cannot create a table with a vector(3) column",
    )
    with conn.cursor() as cur:
        cur.executemany(
            "INSERT INTO stackcheck_vectors VALUES (%s, %s::vector)",
            [(i, _literal(_embedding(i))) for i in range(1, _VECTOR_ROWS + 1)],
        )
    options = sql.SQL("WITH (lists = 10)" if index == "ivfflat" else "")
    run_or_fail(
        conn,
        sql.SQL(
            "CREATE INDEX stackcheck_vectors_ann ON stackcheck_vectors USING {} (embedding vector_l2_ops) {}"
        ).format(sql.Identifier(index), options),
        f"cannot create a {index} index on the vector column",
    )
    conn.execute("ANALYZE stackcheck_vectors")


def vector_round_trip(conn: Conn, index: str) -> VectorResult:
    """Create a vector table and an ANN index, and ask for a nearest neighbour — all rolled back."""
    with conn.transaction(force_rollback=True):
        version, _ = _ensure_vector(conn)
        _indexed_vectors(conn, index)
        conn.execute("SET LOCAL enable_seqscan = off")
        if index == "ivfflat":
            conn.execute("SET LOCAL ivfflat.probes = 10")  # all lists: the answer must be exact
        target = _embedding(_TARGET_ID)
        probe = _literal([target[0] + 0.0001, target[1] - 0.0001, target[2] + 0.0001])
        query = (
            "SELECT id, embedding <-> %s::vector FROM stackcheck_vectors"
            " ORDER BY embedding <-> %s::vector LIMIT 1"
        )
        plan_row = conn.execute(f"EXPLAIN (FORMAT JSON) {query}", (probe, probe)).fetchone()
        nodes = _plan_nodes(plan_row[0]) if plan_row else []
        row = conn.execute(query, (probe, probe)).fetchone()
    return VectorResult(
        expected_id=_TARGET_ID,
        nearest_id=int(row[0]) if row else None,
        index_used=any("stackcheck_vectors_ann" in n for n in nodes),
        plan_nodes=nodes,
        version=version,
        rows=_VECTOR_ROWS,
        distance=float(row[1]) if row else None,
    )


def open_connections(dsn: str, count: int) -> int:
    """Open ``count`` connections at once (like a full pool); how many the server accepted.

    ``too_many_connections`` is the finding and ends the attempt; any other refusal is :class:`CouldNotCheck`.
    """
    conns: list[Conn] = []
    try:
        for _ in range(count):
            attempt = connect_or_none(dsn)
            if attempt.conn is None:
                if attempt.sqlstate != "53300" and "too many clients" not in (attempt.error or ""):
                    raise CouldNotCheck(
                        f"opening pool connection {len(conns) + 1} failed: {attempt.error}",
                        ErrorReason.UNEXPECTED_ANSWER,
                    )
                break
            conns.append(attempt.conn)
        return len(conns)
    finally:
        for conn in conns:
            conn.close()


def same_interval(conn: Conn, observed: str, wanted: str) -> bool:
    """Whether two interval texts are equal as PostgreSQL reads them (``'30 days'`` = ``'720 hours'``)."""
    try:
        row = conn.execute("SELECT %s::interval = %s::interval", (observed, wanted)).fetchone()
    except psycopg.errors.InvalidDatetimeFormat:
        raise UsageError(
            f"postgres.hypertables: {wanted!r} is not an interval (write e.g. '30 days')"
        ) from None
    return bool(row and row[0])


@dataclass(frozen=True)
class SettingRead:
    """A setting as a new session of a role without settings of its own gets it on this database.

    ``server`` is that value (in ``pg_settings`` form), ``source`` where it comes from; ``session`` and
    ``session_source`` are what the verifier's own session has (they differ when its role, its DSN's
    ``options`` or PGOPTIONS override it); ``overrides`` lists each ALTER ROLE/DATABASE ... SET of it.
    """

    server: ServerSetting
    source: str
    session: str
    session_source: str
    overrides: list[str]


_OVERRIDES = """
SELECT s.setrole, s.setdatabase,
       s.setdatabase = (SELECT oid FROM pg_database WHERE datname = current_database()),
       coalesce(r.rolname, ''), coalesce(d.datname, ''), split_part(cfg, '=', 2)
FROM pg_db_role_setting s
LEFT JOIN pg_roles r ON r.oid = s.setrole
LEFT JOIN pg_database d ON d.oid = s.setdatabase
CROSS JOIN LATERAL unnest(s.setconfig) AS cfg
WHERE lower(split_part(cfg, '=', 1)) = %s
"""


def _describe(role: str, database: str, setting: str) -> str:
    if role and database:
        return f"ALTER ROLE {role} IN DATABASE {database} SET {setting}"
    if role:
        return f"ALTER ROLE {role} SET {setting}"
    return f"ALTER DATABASE {database} SET {setting}" if database else f"ALTER ROLE ALL SET {setting}"


def _superuser_reading(conn: Conn, name: str) -> tuple[str | None, str | None] | None:
    """(command-line value, configuration-file value) when this role may read both, else ``None``."""
    try:
        opts = conn.execute("SELECT pg_read_file('postmaster.opts')").fetchone()
        file_row = conn.execute(
            "SELECT setting FROM pg_file_settings WHERE name = %s AND applied ORDER BY seqno DESC LIMIT 1",
            (name,),
        ).fetchone()
    except psycopg.Error as exc:  # not a superuser (42501), or no postmaster.opts: cannot rebuild it
        if conn.broken:
            raise _refusal(exc, "reading the server's configuration") from None
        return None
    command_line = command_line_settings(str(opts[0]) if opts else "").get(name)
    return command_line, (str(file_row[0]) if file_row else None)


def server_setting(conn: Conn, name: str) -> SettingRead | None:
    """What a new session of a role without per-role settings gets for ``name`` here; ``None``: no such
    setting. The verifier's own per-role (or client) override is never taken for the server's value: when
    it hides that value and this role may not read the server's configuration, :class:`CouldNotCheck`."""
    row = conn.execute(
        "SELECT name, setting, unit, vartype, source, boot_val FROM pg_settings WHERE name = lower(%s)",
        (name,),
    ).fetchone()
    if row is None:
        return None
    session = ServerSetting(name=str(row[0]), setting=str(row[1]), unit=row[2], vartype=str(row[3]))
    session_source, boot = str(row[4]), str(row[5])
    found = conn.execute(_OVERRIDES, (session.name,)).fetchall()
    overrides = [_describe(str(r[3]), str(r[4]), f"{session.name} = {r[5]}") for r in found]
    if session_source not in ROLE_SOURCES:
        return SettingRead(session, session_source, session.setting, session_source, overrides)
    # The session's value is its own. Rebuild the server's from PostgreSQL's order of precedence:
    # ALTER DATABASE (this one) > ALTER ROLE ALL > command line > configuration file > built-in default.
    this_db = next((str(r[5]) for r in found if r[0] == 0 and r[2]), None)
    all_roles = next((str(r[5]) for r in found if r[0] == 0 and r[1] == 0), None)
    value, source = (this_db, "database") if this_db is not None else (all_roles, "global")
    if value is None:
        reading = _superuser_reading(conn, session.name)
        if reading is None:
            own = next((o for o in overrides if "ROLE" in o), f"the session's {session_source} setting")
            raise CouldNotCheck(
                f"{session.name} is {session.setting}{session.unit or ''} in stackcheck's session because of"
                f" its own {session_source} setting ({own}), which hides the server's value; reading the"
                " server's configuration (pg_file_settings, postmaster.opts) needs a superuser. Run it"
                " as a role without a setting of its own for this parameter",
                ErrorReason.ACCESS_DENIED,
            )
        command_line, in_file = reading
        value, source = next(
            (v, s)
            for v, s in ((command_line, "command line"), (in_file, "configuration file"), (boot, "default"))
            if v is not None
        )
    try:
        base = in_base_unit(value, session)
    except ValueError:
        raise CouldNotCheck(
            f"the server's {session.name} ({value!r}, {source}) is not a value stackcheck can read",
            ErrorReason.UNEXPECTED_ANSWER,
        ) from None
    server = ServerSetting(name=session.name, setting=base, unit=session.unit, vartype=session.vartype)
    return SettingRead(server, source, session.setting, session_source, overrides)
