"""Suite ``postgres``: the database the architecture promises, verified on a real server.

Read-only checks use the session connection; checks that must create something (an extension, a vector
table) do it inside a transaction that is always rolled back, so a staging database is left as it was.
"""

from __future__ import annotations

from contextlib import nullcontext

import psycopg
import pytest
from packaging.version import Version
from psycopg import sql
from psycopg.rows import TupleRow

from stackcheck.catalog import postgres as checks
from stackcheck.probes.pgsettings import compare_setting
from stackcheck.probes.postgres import (
    connect_or_none,
    connect_postgres,
    create_or_fail,
    open_connections,
    rolled_back,
    run_or_fail,
    same_interval,
    server_setting,
    server_version,
    uuid_fields,
    vector_round_trip,
)
from stackcheck.testing import (
    CouldNotCheck,
    EvidenceRecorder,
    PostgresHypertable,
    PostgresSection,
    PostgresServer,
    UsageError,
    profile_of,
    require,
    version_specifier,
)

Conn = psycopg.Connection[TupleRow]
LIVE_POOL_CAP = 200  # bound on connections the live pool check opens


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    profile = profile_of(metafunc.config)
    section = profile.postgres if profile else None
    if section is None:
        return
    params: dict[str, tuple[list[object], list[str]]] = {
        "extension": (list(section.required_extensions()), list(section.required_extensions())),
        "setting": (list(section.settings), list(section.settings)),
        "rls_table": (list(section.rls_tables), list(section.rls_tables)),
        "hypertable": (list(section.hypertables), [h.name for h in section.hypertables]),
    }
    for name, (values, ids) in params.items():
        if name in metafunc.fixturenames and values:
            metafunc.parametrize(name, values, ids=ids)


@pytest.fixture
def extension() -> str | None:
    """Replaced by one parameter per ``postgres.extensions`` entry."""
    return None


@pytest.fixture
def setting() -> str | None:
    """Replaced by one parameter per ``postgres.settings`` key."""
    return None


@pytest.fixture
def rls_table() -> str | None:
    """Replaced by one parameter per ``postgres.rls_tables`` entry."""
    return None


@pytest.fixture
def hypertable() -> PostgresHypertable | None:
    """Replaced by one parameter per ``postgres.hypertables`` entry."""
    return None


@pytest.mark.check(checks.VERSION)
def test_server_version_satisfies_requirement(
    postgres: PostgresSection, pg: Conn, postgres_server: PostgresServer, evidence: EvidenceRecorder
) -> None:
    wanted = require(postgres.version, "postgres.version is not set")
    version, full = server_version(pg)
    evidence.record(
        expected=wanted,
        observed=version,
        op="in",
        server_version=full,
        provider=postgres_server.provider,
        server=postgres_server.where,
    )
    evidence.message = f"PostgreSQL {version} satisfies {wanted}"
    assert Version(version) in version_specifier(wanted), f"PostgreSQL {version} does not satisfy {wanted}"


_INSTALLED = (
    "SELECT e.extversion, n.nspname FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace"
    " WHERE e.extname = %s"
)
_USABLE = {
    # pg_stat_statements installs without being preloaded, but then collects nothing and errors on use.
    "pg_stat_statements": "SELECT count(*) FROM {schema}.pg_stat_statements",
}


@pytest.mark.check(checks.EXTENSIONS)
def test_required_extension_is_installed(
    extension: str | None,
    postgres: PostgresSection,
    pg: Conn,
    postgres_server: PostgresServer,
    evidence: EvidenceRecorder,
) -> None:
    name = require(extension, "postgres.extensions lists no extensions")
    mode = postgres.required_extensions()[name]
    installed = pg.execute(_INSTALLED, (name,)).fetchone()
    available = pg.execute(
        "SELECT default_version FROM pg_available_extensions WHERE name = %s", (name,)
    ).fetchone()
    evidence.record(expected="installed" if mode == "installed" else "installed or installable", op="in")
    if installed is None and available is None:
        evidence.record(observed="not available")
        raise AssertionError(f"extension {name} is neither installed nor available on this server")
    if installed is None and mode == "installed":
        # The ADR's "uses X" means the database has it; that stackcheck's role could create it is no answer.
        evidence.record(
            observed="not installed (available)", default_version=available[0] if available else None
        )
        raise AssertionError(
            f"extension {name} is not installed in this database (it is available: CREATE EXTENSION {name};"
            f" write {{name: {name}, state: available}} in postgres.extensions if shipping it is enough)"
        )
    # A connection of its own: some extensions end the session with FATAL when they cannot load. Only a
    # creation needs the rolled-back transaction: reading an installed one needs none, and PgBouncer in
    # statement mode refuses transaction blocks.
    with (
        connect_postgres(postgres_server.dsn, postgres_server.display) as conn,
        rolled_back(conn, f"create extension {name}") if installed is None else nullcontext(),
    ):
        state = "installed"
        evidence.record(observed="available, not creatable" if installed is None else "installed, not usable")
        if installed is None:
            create_or_fail(conn, name)
            state = "installable"
            evidence.record(observed="installable, not usable")
            installed = conn.execute(_INSTALLED, (name,)).fetchone()
            assert installed is not None, f"CREATE EXTENSION {name} left no extension behind"
        version, schema = str(installed[0]), str(installed[1])
        if name in _USABLE:
            probe = sql.SQL(_USABLE[name]).format(schema=sql.Identifier(schema))
            run_or_fail(conn, probe, f"extension {name} is {state} but not usable")
    evidence.record(
        observed=state, version=version, schema=schema, default_version=available[0] if available else None
    )
    evidence.message = f"{name} {version} {state}"


@pytest.mark.check(checks.SETTINGS)
def test_setting_has_profile_value(
    setting: str | None, postgres: PostgresSection, pg: Conn, evidence: EvidenceRecorder
) -> None:
    name = require(setting, "postgres.settings lists no settings")
    wanted = postgres.settings[name]
    read = server_setting(pg, name)
    if read is None:
        evidence.record(expected=wanted, observed=None)
        raise AssertionError(f"the server has no setting {name} (misspelt, or its extension is not loaded)")
    server = read.server
    try:
        result = compare_setting(wanted, server)
    except ValueError as exc:
        raise UsageError(f"postgres.settings.{name}: {exc}") from None
    evidence.record(
        expected=result.expected,
        observed=result.observed,
        unit=result.unit,
        op="==",
        server_setting=server.setting,
        server_unit=server.unit,
        source=read.source,
        session_setting=read.session,
        session_source=read.session_source,
        overrides=read.overrides,
    )
    own = (
        f" (stackcheck's own session: {read.session}, {read.session_source})"
        if read.session != server.setting
        else ""
    )
    evidence.message = f"{name} = {result.observed} ({read.source}){own}"
    if read.overrides:
        evidence.message += f"; also set by {', '.join(read.overrides)}"
    assert result.matches, (
        f"{name} is {result.observed} on the server ({read.source}), the profile says {result.expected}{own}"
    )


@pytest.mark.check(checks.SSL)
def test_ssl_on_and_plain_login_refused(
    postgres: PostgresSection,
    request: pytest.FixtureRequest,
    postgres_server: PostgresServer,
    evidence: EvidenceRecorder,
) -> None:
    if not postgres.require_ssl:
        pytest.skip("postgres.require_ssl is false")
    plain = connect_or_none(postgres_server.dsn, sslmode="disable")
    dsn_error: str | None = None
    try:
        pg: Conn = request.getfixturevalue("pg")
    except CouldNotCheck as exc:
        # The DSN's own connection failed (e.g. sslmode=verify-full against a server with ssl = off). A
        # login without SSL that succeeds is the finding itself; if that is refused too, nothing is known.
        if plain.conn is None:
            raise
        pg, dsn_error = plain.conn, str(exc)
    try:
        ssl_row = pg.execute("SELECT current_setting('ssl')").fetchone()
        session = pg.execute("SELECT ssl, version FROM pg_stat_ssl WHERE pid = pg_backend_pid()").fetchone()
    finally:
        if plain.conn is not None:
            plain.conn.close()
    ssl_on = bool(ssl_row and ssl_row[0] == "on")
    refused = plain.error is not None
    evidence.record(
        expected={"ssl": "on", "non_ssl_login": "refused"},
        observed={"ssl": "on" if ssl_on else "off", "non_ssl_login": "refused" if refused else "accepted"},
        op="==",
        session_ssl=bool(session and session[0]),
        session_tls=session[1] if session else None,
        refusal=plain.error,
        dsn_connection=dsn_error or "connected",
    )
    evidence.message = f"ssl on; a non-SSL login was refused ({plain.error})"
    assert ssl_on, "the server has ssl = off" + (
        f" (so the DSN's connection failed: {dsn_error})" if dsn_error else ""
    )
    assert refused, (
        "the server accepted a login without SSL (add `hostnossl all all all reject` to pg_hba.conf)"
    )


@pytest.mark.check(checks.RLS)
def test_table_has_row_level_security(
    rls_table: str | None, postgres: PostgresSection, pg: Conn, evidence: EvidenceRecorder
) -> None:
    table = require(rls_table, "postgres.rls_tables lists no tables")
    row = pg.execute(
        "SELECT c.relrowsecurity, c.relforcerowsecurity,"
        " (SELECT count(*) FROM pg_policy p WHERE p.polrelid = c.oid)"
        " FROM pg_class c WHERE c.oid = to_regclass(%s)",
        (table,),
    ).fetchone()
    expected = {"enabled": True, "forced": postgres.rls_forced, "policies": ">= 1"}
    if row is None:
        evidence.record(expected=expected, observed=None)
        raise AssertionError(f"table {table} does not exist (migrations applied? search_path?)")
    enabled, forced, policies = bool(row[0]), bool(row[1]), int(row[2])
    evidence.record(expected=expected, observed={"enabled": enabled, "forced": forced, "policies": policies})
    evidence.message = f"{table}: RLS enabled{', forced' if forced else ''}, {policies} policies"
    assert enabled, f"row-level security is not enabled on {table}"
    assert forced or not postgres.rls_forced, (
        f"row-level security is not forced on {table} (the owner bypasses it)"
    )
    assert policies >= 1, (
        f"{table} has RLS enabled but no policy (every row is hidden: the policy is missing)"
    )


@pytest.mark.check(checks.UUIDV7)
def test_uuidv7_generation(postgres: PostgresSection, pg: Conn, evidence: EvidenceRecorder) -> None:
    function = require(postgres.uuidv7, "postgres.uuidv7 names no function")
    call = sql.SQL("SELECT {}()::text FROM generate_series(1, 5)").format(
        sql.Identifier(*function.split("."))
    )
    with pg.transaction(force_rollback=True):
        rows = run_or_fail(pg, call, f"{function}() cannot be called").fetchall()
        clock = pg.execute("SELECT extract(epoch FROM clock_timestamp())").fetchone()
    values = [str(r[0]) for r in rows]
    fields = [uuid_fields(v) for v in values]
    now_ms = float(clock[0]) * 1000 if clock else 0.0
    skew_s = max(abs(f.unix_ms - now_ms) for f in fields) / 1000
    versions = sorted({f.version for f in fields})
    evidence.record(
        expected={"version": 7, "variant": "RFC 9562", "clock_skew_s": "<= 60"},
        observed={
            "version": versions[0] if len(versions) == 1 else versions,
            "clock_skew_s": round(skew_s, 3),
        },
        samples=values,
    )
    evidence.message = f"{function}() returns version-7 UUIDs, e.g. {values[0]}"
    assert versions == [7], (
        f"{function}() returned version {', '.join(map(str, versions))} UUIDs, not version 7"
        f" (e.g. {values[0]})"
    )
    assert all(f.rfc_variant for f in fields), f"{function}() returned UUIDs without the RFC 9562 variant"
    assert len(set(values)) == len(values), f"{function}() returned the same UUID twice"
    assert skew_s <= 60, f"the UUIDs' timestamps are {skew_s:.0f} s away from the server clock"
    stamps = [f.unix_ms for f in fields]
    assert stamps == sorted(stamps), f"{function}() values are not time-ordered: {values}"


@pytest.mark.check(checks.VECTOR)
def test_vector_round_trip_with_ann_index(
    postgres: PostgresSection, request: pytest.FixtureRequest, evidence: EvidenceRecorder
) -> None:
    if "vector" not in postgres.required_extensions():  # decided before connecting (unreachable: no reason)
        pytest.skip("postgres.extensions does not list vector (pgvector)")
    pg: Conn = request.getfixturevalue("pg")
    result = vector_round_trip(pg, postgres.vector_index)
    evidence.record(
        expected={"nearest_id": result.expected_id, "index_used": True},
        observed={"nearest_id": result.nearest_id, "index_used": result.index_used},
        index=postgres.vector_index,
        plan=result.plan_nodes,
        pgvector=result.version,
        rows=result.rows,
        distance=round(result.distance, 6) if result.distance is not None else None,
    )
    evidence.message = (
        f"pgvector {result.version}: the {postgres.vector_index} index found row {result.nearest_id}"
        f" of {result.rows}"
    )
    assert result.nearest_id == result.expected_id, (
        f"nearest-neighbour query returned row {result.nearest_id}, expected {result.expected_id}"
    )
    assert result.index_used, f"the {postgres.vector_index} index was not used (plan: {result.plan_nodes})"


@pytest.mark.check(checks.TIMESERIES)
def test_hypertable_and_policies(
    hypertable: PostgresHypertable | None, pg: Conn, evidence: EvidenceRecorder
) -> None:
    spec = require(hypertable, "postgres.hypertables lists no tables")
    ts = pg.execute("SELECT extversion FROM pg_extension WHERE extname = 'timescaledb'").fetchone()
    expected: dict[str, object] = {"hypertable": True}
    if spec.retention:
        expected["retention"] = spec.retention
    if spec.compress_after:
        expected["compress_after"] = spec.compress_after
    if ts is None:
        evidence.record(expected=expected, observed={"timescaledb": None})
        raise AssertionError(f"TimescaleDB is not installed, so {spec.name} cannot be a hypertable")
    where = pg.execute(
        "SELECT n.nspname, c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
        " WHERE c.oid = to_regclass(%s)",
        (spec.name,),
    ).fetchone()
    if where is None:
        evidence.record(expected=expected, observed={"table": None})
        raise AssertionError(f"table {spec.name} does not exist")
    schema, table = str(where[0]), str(where[1])
    info = pg.execute(
        "SELECT compression_enabled, num_chunks FROM timescaledb_information.hypertables"
        " WHERE hypertable_schema = %s AND hypertable_name = %s",
        (schema, table),
    ).fetchone()
    jobs = {
        str(r[0]): r[1]
        for r in pg.execute(
            "SELECT proc_name, config FROM timescaledb_information.jobs"
            " WHERE hypertable_schema = %s AND hypertable_name = %s",
            (schema, table),
        ).fetchall()
    }
    drop_after = (jobs.get("policy_retention") or {}).get("drop_after")
    compress_after = (jobs.get("policy_compression") or {}).get("compress_after")
    observed = {
        "hypertable": info is not None,
        "retention": drop_after,
        "compression_enabled": bool(info and info[0]),
        "compress_after": compress_after,
    }
    evidence.record(expected=expected, observed=observed, timescaledb=ts[0], chunks=info[1] if info else None)
    evidence.message = f"{schema}.{table} is a hypertable" + (
        f" (retention {drop_after})" if drop_after else ""
    )
    assert info is not None, f"{schema}.{table} exists but is not a hypertable"
    if spec.retention:
        assert drop_after is not None, f"{schema}.{table} has no retention policy (wanted {spec.retention})"
        assert same_interval(pg, str(drop_after), spec.retention), (
            f"{schema}.{table} drops chunks after {drop_after}, the profile says {spec.retention}"
        )
    if spec.compress_after:
        assert info[0], f"compression is not enabled on {schema}.{table}"
        assert compress_after is not None, f"{schema}.{table} has no compression policy"
        assert same_interval(pg, str(compress_after), spec.compress_after), (
            f"{schema}.{table} compresses after {compress_after}, the profile says {spec.compress_after}"
        )


@pytest.mark.check(checks.CONNECTIONS)
def test_connections_fit_max_connections(
    postgres: PostgresSection, pg: Conn, postgres_server: PostgresServer, evidence: EvidenceRecorder
) -> None:
    if postgres.max_connections is None and postgres.pool_size is None:
        pytest.skip("neither postgres.max_connections nor postgres.pool_size is set")
    row = pg.execute(
        "SELECT current_setting('max_connections')::int,"
        " current_setting('superuser_reserved_connections')::int,"
        " coalesce(current_setting('reserved_connections', true), '0')::int,"
        " (SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend')"
    ).fetchone()
    assert row is not None
    max_conn, su_reserved, reserved, in_use = (int(v) for v in row)
    available = max_conn - su_reserved - reserved
    demand = (postgres.pool_size or 0) * postgres.app_instances
    expected: dict[str, object] = {}
    observed: dict[str, object] = {
        "max_connections": max_conn,
        "available_to_apps": available,
        "in_use": in_use,
    }
    if postgres.max_connections is not None:
        expected["max_connections"] = f">= {postgres.max_connections}"
    if demand:
        expected["pool_demand"] = f"{postgres.pool_size} x {postgres.app_instances} = {demand} <= available"
    evidence.record(expected=expected, observed=observed, op=">=")
    evidence.message = f"max_connections {max_conn}, {available} for applications, pools need {demand}"
    if postgres.max_connections is not None:
        assert max_conn >= postgres.max_connections, (
            f"max_connections is {max_conn}, the profile needs at least {postgres.max_connections}"
        )
    assert demand <= available, (
        f"{postgres.app_instances} pool(s) of {postgres.pool_size} need {demand} connections, "
        f"but only {available} are available to applications (max_connections {max_conn})"
    )
    if demand and postgres_server.managed:
        # Only on a throwaway server: on staging the real pools are already connected and need their slots.
        want = min(demand, LIVE_POOL_CAP)
        opened = open_connections(postgres_server.dsn, want)
        evidence.record(
            expected={**expected, "opened_at_once": want}, observed={**observed, "opened_at_once": opened}
        )
        evidence.message += f"; {opened} connections opened at once"
        assert opened >= want, f"only {opened} of {want} pool connections could be opened at once"
