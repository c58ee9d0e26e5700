"""Data layer: stackcheck's `postgres`/`redis` verdicts beside `psql` and `redis-cli` run as a superuser.

The harness builds every configuration itself from Debian's packages (:mod:`fixtures.datastores`): a local
PostgreSQL 15 with settings right and wrong, a verifier role with its own ``ALTER ROLE ... SET``, extensions
installed / only shipped / absent, ``ssl`` on (SSL-only ``pg_hba.conf``) and off behind a
``sslmode=verify-full`` DSN, the same server through PgBouncer 1.18 in transaction mode (run twice), and
Redis 7 with ``maxmemory-policy``/``appendonly`` right and wrong, read by an admin and by an ACL user
without ``CONFIG``. The reference readings are ``SHOW``/``pg_settings``/``pg_extension`` through ``psql`` as a
superuser without settings of its own, and ``CONFIG GET`` through ``redis-cli`` as the admin user.
"""

from __future__ import annotations

import dataclasses
import shutil
import tempfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from accuracy.harness import Verdicts, run_tool, stackcheck
from accuracy.model import Row, Unavailable

__all__ = ["rows"]

PSQL = "psql (superuser)"
REDIS_CLI = "redis-cli CONFIG GET (admin)"


@dataclass(frozen=True)
class Expect:
    """One row to read from a run: the check (and subject), the truth, and the reference reading."""

    check: str
    subject: str | None
    truth: str
    truth_detail: str
    reference: str
    reference_agrees: bool | None
    decision: str = ""


def _psql(dsn: str, query: str) -> str:
    done = run_tool([shutil.which("psql") or "psql", dsn, "-XAtc", query], timeout_s=60)
    if done.returncode == 0:
        return done.stdout.strip()
    lines = done.stderr.strip().splitlines()
    return f"refused: {lines[-1] if lines else done.returncode}"


def _redis_cli(url: str, *command: str) -> str:
    done = run_tool([shutil.which("redis-cli") or "redis-cli", "-u", url, "--no-auth-warning", *command], 60)
    return " ".join(done.stdout.split())


def _verify(suite: str, section: Mapping[str, Any], url: str) -> Verdicts:
    key = "dsn" if suite == "postgres" else "url"
    profile = {"name": f"accuracy-{suite}", suite: {key: "${SC_URL}", **section}}
    return stackcheck(
        "verify", profile, "--suite", suite, "--infra", "external", env={"SC_URL": url}, timeout_s=300
    )


def _rows(suite: str, case: str, run: Verdicts, tool: str, expects: list[Expect]) -> Iterator[Row]:
    for e in expects:
        try:
            status, detail = run.status(e.check, e.subject), run.detail(e.check, e.subject)
        except LookupError as exc:
            status, detail = "missing", str(exc)[:160]
        name = f"{e.check}[{e.subject}]" if e.subject else e.check
        yield Row(
            suite=suite,
            case=case,
            check=name,
            truth=e.truth,
            truth_detail=e.truth_detail,
            reference_tool=tool,
            reference=e.reference,
            reference_agrees=e.reference_agrees,
            stackcheck=status,
            stackcheck_detail=detail,
            decision=e.decision if status != e.truth else "",
        )


def _need() -> None:
    from fixtures.datastores import pgbouncer_binary
    from stackcheck.infra.local import find_postgres_bindir, find_redis_server

    missing = [
        what
        for what, ok in (
            ("PostgreSQL binaries (apt-get install postgresql)", find_postgres_bindir() is not None),
            ("psql (apt-get install postgresql-client)", shutil.which("psql") is not None),
            ("pgbouncer (apt-get install pgbouncer)", pgbouncer_binary() is not None),
            ("redis-server (apt-get install redis-server)", find_redis_server() is not None),
            ("redis-cli (apt-get install redis-tools)", shutil.which("redis-cli") is not None),
        )
        if not ok
    ]
    if missing:
        raise Unavailable("missing " + ", ".join(missing))


def _setting_rows(ref: str, wanted: Mapping[str, tuple[str, str, bool]]) -> list[Expect]:
    """``wanted``: name -> (profile value, configured value in pg_settings form, configured == profile)."""
    found: list[Expect] = []
    for name, (profile_value, configured, matches) in wanted.items():
        seen = _psql(ref, f"SELECT setting || ' (' || source || ')' FROM pg_settings WHERE name = '{name}'")
        found.append(
            Expect(
                "pg.settings",
                name,
                "passed" if matches else "failed",
                f"server {name} = {configured} (base unit), profile {profile_value}",
                f"pg_settings: {seen}",
                seen.split(" ")[0] == configured,
            )
        )
    return found


def _postgres_rows() -> Iterator[Row]:
    from fixtures.certs import issue_set
    from fixtures.datastores import LocalPostgres, PgBouncer

    with LocalPostgres({"statement_timeout": "0", "work_mem": "8MB"}) as pg:
        ref = pg.add_role("ref", "ALTER ROLE ref SUPERUSER")
        plain = pg.add_role("plain", "GRANT CREATE ON DATABASE postgres TO plain")
        verifier = pg.add_role("verifier", "ALTER ROLE verifier SET statement_timeout = '30s'")
        superverifier = pg.add_role(
            "suverifier",
            "ALTER ROLE suverifier SUPERUSER",
            "ALTER ROLE suverifier SET statement_timeout = '30s'",
        )
        pg.sql("CREATE EXTENSION pgcrypto")
        right = {"work_mem": "8MB", "statement_timeout": "0", "shared_buffers": "128MB"}
        wrong = {"work_mem": "4MB", "statement_timeout": "30s", "shared_buffers": "256MB"}
        base = {"work_mem": "8192", "statement_timeout": "0", "shared_buffers": "16384"}
        expect_right = _setting_rows(ref, {k: (v, base[k], True) for k, v in right.items()})
        expect_wrong = _setting_rows(ref, {k: (v, base[k], False) for k, v in wrong.items()})
        yield from _rows(
            "postgres",
            "settings as configured, ordinary role",
            _verify("postgres", {"settings": right}, plain),
            PSQL,
            expect_right,
        )
        yield from _rows(
            "postgres",
            "settings differ, ordinary role",
            _verify("postgres", {"settings": wrong}, plain),
            PSQL,
            expect_wrong,
        )
        override = _psql(verifier, "SELECT current_setting('statement_timeout')")
        seen = _psql(
            ref, "SELECT setting || ' (' || source || ')' FROM pg_settings WHERE name = 'statement_timeout'"
        )
        hidden = Expect(
            "pg.settings",
            "statement_timeout",
            "failed",
            "server statement_timeout = 0; the verifier's role sets 30s for itself; profile 30s",
            f"pg_settings: {seen}; the verifier's own session: {override}",
            seen.startswith("0 "),
            decision="An ordinary role cannot read the server's value under its own ALTER ROLE ... SET "
            "(pg_file_settings and postmaster.opts need a superuser): stackcheck says error (access_denied, "
            "'hides the server's value') rather than judge its own override (docs/suites/postgres.md).",
        )
        yield from _rows(
            "postgres",
            "per-role override on the (ordinary) verifier hides server value 0",
            _verify("postgres", {"settings": {"statement_timeout": "30s"}}, verifier),
            PSQL,
            [hidden],
        )
        yield from _rows(
            "postgres",
            "per-role override on a superuser verifier, server value 0",
            _verify("postgres", {"settings": {"statement_timeout": "30s"}}, superverifier),
            PSQL,
            [dataclasses.replace(hidden, decision="")],
        )
        installed = _psql(ref, "SELECT string_agg(extname, ',' ORDER BY extname) FROM pg_extension")
        shipped = _psql(
            ref,
            "SELECT string_agg(name, ',' ORDER BY name) FROM pg_available_extensions"
            " WHERE name IN ('pgcrypto', 'pg_trgm', 'no_such_ext')",
        )
        reading = f"pg_extension: {installed}; pg_available_extensions: {shipped}"
        ok = "pgcrypto" in installed and "pg_trgm" not in installed and shipped == "pg_trgm,pgcrypto"
        extensions = ["pgcrypto", "pg_trgm", "no_such_ext"]
        yield from _rows(
            "postgres",
            "extensions_state installed (default); verifier may CREATE",
            _verify("postgres", {"extensions": extensions}, plain),
            PSQL,
            [
                Expect("pg.extensions", "pgcrypto", "passed", "created in the database", reading, ok),
                Expect("pg.extensions", "pg_trgm", "failed", "shipped, not created", reading, ok),
                Expect("pg.extensions", "no_such_ext", "failed", "not shipped", reading, ok),
            ],
        )
        yield from _rows(
            "postgres",
            "extensions_state available; verifier may CREATE",
            _verify("postgres", {"extensions": extensions, "extensions_state": "available"}, plain),
            PSQL,
            [
                Expect("pg.extensions", "pgcrypto", "passed", "created in the database", reading, ok),
                Expect("pg.extensions", "pg_trgm", "passed", "shipped, creatable (trusted)", reading, ok),
                Expect("pg.extensions", "no_such_ext", "failed", "not shipped", reading, ok),
            ],
        )
        # ssl = off on this server; the DSN demands verify-full against a real CA.
        ssl = _psql(ref, "SHOW ssl")
        plain_login = _psql(pg.role_dsn("plain", sslmode="disable"), "SELECT 'accepted'")
        ca_folder = Path(tempfile.mkdtemp(prefix="stackcheck-accuracy-ca-"))
        ca = issue_set(ca_folder).ca_file
        dsn = pg.role_dsn("plain", sslmode="verify-full", sslrootcert=str(ca))
        direct = _psql(dsn, "SELECT 1")
        yield from _rows(
            "postgres",
            "ssl = off behind a sslmode=verify-full DSN",
            _verify("postgres", {"version": ">=15", "require_ssl": True}, dsn),
            PSQL,
            [
                Expect(
                    "pg.ssl",
                    None,
                    "failed",
                    "ssl off, non-SSL logins accepted",
                    f"SHOW ssl: {ssl}; sslmode=disable login: {plain_login}",
                    ssl == "off" and plain_login == "accepted",
                ),
                Expect(
                    "pg.version",
                    None,
                    "error",
                    "the DSN cannot connect (verify-full, no TLS on the server)",
                    f"psql with the same DSN: {direct[:100]}",
                    "SSL" in direct,
                ),
            ],
        )
        shutil.rmtree(ca_folder, ignore_errors=True)
        with PgBouncer(pg, "plain") as bouncer:
            through = bouncer.dsn("plain")
            for n in (1, 2):
                yield from _rows(
                    "postgres",
                    f"through PgBouncer (transaction pooling), run {n}: settings as configured",
                    _verify("postgres", {"settings": right, "extensions": ["pgcrypto"]}, through),
                    f"{PSQL}, direct",
                    [*expect_right, Expect("pg.extensions", "pgcrypto", "passed", "created", reading, ok)],
                )
            yield from _rows(
                "postgres",
                "through PgBouncer (transaction pooling): settings differ",
                _verify("postgres", {"settings": wrong}, through),
                f"{PSQL}, direct",
                expect_wrong,
            )
    with LocalPostgres(ssl_only=True) as tls:
        assert tls.certs is not None
        ref = tls.add_role("ref", "ALTER ROLE ref SUPERUSER") + "?sslmode=require"
        dsn = tls.add_role("verifier") + f"?sslmode=verify-full&sslrootcert={tls.certs.ca_file}"
        ssl = _psql(ref, "SHOW ssl")
        plain_login = _psql(tls.role_dsn("verifier", sslmode="disable"), "SELECT 'accepted'")
        refused = "accepted" not in plain_login
        yield from _rows(
            "postgres",
            "ssl = on, pg_hba hostnossl reject, verify-full DSN",
            _verify("postgres", {"version": ">=15", "require_ssl": True}, dsn),
            PSQL,
            [
                Expect(
                    "pg.ssl",
                    None,
                    "passed",
                    "ssl on, non-SSL logins rejected",
                    f"SHOW ssl: {ssl}; sslmode=disable login: {plain_login[:80]}",
                    ssl == "on" and refused,
                ),
                Expect("pg.version", None, "passed", "15.x >= 15", f"SHOW ssl: {ssl}", ssl == "on"),
            ],
        )


def _redis_rows() -> Iterator[Row]:
    from fixtures.datastores import LocalRedis

    users = {"verifier": "+@all -config", "admin": "+@all"}
    config = {
        "appendonly": "yes",
        "appendfsync": "everysec",
        "maxmemory": "64mb",
        "maxmemory-policy": "allkeys-lru",
    }
    with LocalRedis(config, users=users) as r:
        admin = r.url("default")
        seen = (
            _redis_cli(admin, "CONFIG", "GET", "maxmemory-policy")
            + " "
            + _redis_cli(admin, "CONFIG", "GET", "appendonly")
        )
        fsync = _redis_cli(admin, "CONFIG", "GET", "appendfsync")
        denied = _redis_cli(r.url("verifier"), "CONFIG", "GET", "appendonly")
        ok = seen == "maxmemory-policy allkeys-lru appendonly yes"
        cases: list[tuple[str, str, dict[str, Any], list[Expect]]] = [
            (
                "admin user; policy and AOF as configured",
                "admin",
                {"maxmemory_policy": "allkeys-lru", "appendonly": True, "appendfsync": "everysec"},
                [
                    Expect("redis.eviction", None, "passed", "allkeys-lru", seen, ok),
                    Expect("redis.persistence", None, "passed", "AOF on, everysec", f"{seen}; {fsync}", ok),
                ],
            ),
            (
                "admin user; profile wants noeviction, AOF off",
                "admin",
                {"maxmemory_policy": "noeviction", "appendonly": False},
                [
                    Expect("redis.eviction", None, "failed", "allkeys-lru, not noeviction", seen, ok),
                    Expect("redis.persistence", None, "failed", "AOF is on", seen, ok),
                ],
            ),
            (
                "ACL user without CONFIG; policy and AOF as configured",
                "verifier",
                {"maxmemory_policy": "allkeys-lru", "appendonly": True},
                [
                    Expect(
                        "redis.eviction", None, "passed", "allkeys-lru", f"{seen}; verifier: {denied}", ok
                    ),
                    Expect("redis.persistence", None, "passed", "AOF on (INFO aof_enabled:1)", seen, ok),
                ],
            ),
            (
                "ACL user without CONFIG; profile wants AOF off and volatile-lru",
                "verifier",
                {"maxmemory_policy": "volatile-lru", "appendonly": False, "appendfsync": "everysec"},
                [
                    Expect("redis.eviction", None, "failed", "allkeys-lru", seen, ok),
                    Expect(
                        "redis.persistence", None, "failed", "AOF is on", f"{seen}; verifier: {denied}", ok
                    ),
                ],
            ),
            (
                "ACL user without CONFIG; AOF on as wanted, appendfsync asked",
                "verifier",
                {"appendonly": True, "appendfsync": "everysec"},
                [
                    Expect(
                        "redis.persistence",
                        None,
                        "passed",
                        "AOF on, everysec",
                        f"{seen}; {fsync}; verifier: {denied}",
                        ok,
                        decision="appendfsync is only in CONFIG, which this user may not run, and INFO does "
                        "not show it: error (access_denied) naming it; appendonly alone is judged from INFO.",
                    )
                ],
            ),
        ]
        for case, user, section, expects in cases:
            yield from _rows("redis", case, _verify("redis", section, r.url(user)), REDIS_CLI, expects)
    with LocalRedis({"appendonly": "no", "maxmemory-policy": "noeviction"}, users=users) as r:
        admin = r.url("default")
        seen = (
            _redis_cli(admin, "CONFIG", "GET", "maxmemory-policy")
            + " "
            + _redis_cli(admin, "CONFIG", "GET", "appendonly")
        )
        ok = seen == "maxmemory-policy noeviction appendonly no"
        for case, section, truth in (
            (
                "ACL user without CONFIG; AOF off, profile wants it on",
                {"appendonly": True, "maxmemory_policy": "allkeys-lru"},
                "failed",
            ),
            (
                "ACL user without CONFIG; AOF off as wanted",
                {"appendonly": False, "maxmemory_policy": "noeviction"},
                "passed",
            ),
        ):
            yield from _rows(
                "redis",
                case,
                _verify("redis", section, r.url("verifier")),
                REDIS_CLI,
                [
                    Expect("redis.eviction", None, truth, "noeviction", seen, ok),
                    Expect("redis.persistence", None, truth, "AOF off", seen, ok),
                ],
            )


def _unreachable_rows() -> Iterator[Row]:
    from stackcheck.infra.base import free_port

    dsn = f"postgresql://verifier:nothing@127.0.0.1:{free_port()}/postgres"
    seen = _psql(dsn, "SELECT 1")
    refused = "refused" in seen
    section = {"version": ">=15", "extensions": ["pg_stat_statements"]}
    yield from _rows(
        "postgres",
        "nothing listens on the DSN's port; the profile lists no vector",
        _verify("postgres", section, dsn),
        "psql",
        [
            Expect("pg.vector", None, "skipped", "vector not asked for", seen[:100], refused),
            Expect("pg.version", None, "error", "no server to judge", seen[:100], refused),
        ],
    )


def rows() -> Iterator[Row]:
    """Start the configurations, read them with psql/redis-cli, run stackcheck on each."""
    _need()
    yield from _unreachable_rows()
    yield from _postgres_rows()
    yield from _redis_rows()
