"""The ``pgbouncer`` suite (``pgbouncer.config``, ``pgbouncer.pools``) proven both ways on a real PgBouncer
1.18 (Debian's package) in front of a real Postgres 15, both started by the harness, through the real CLI.

Djinn's ADR: "Pool mode: transaction, Max client connections: 100, Default pool size: 25". Needs Debian's
``pgbouncer`` and the PostgreSQL binaries; skips otherwise.
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import psycopg
import pytest
import yaml

from fixtures.datastores import LocalPostgres, PgBouncer, pgbouncer_binary
from stackcheck.infra.base import free_port
from tests.integration.conftest import REPO, Run, cli_env, verify

pytestmark = [
    pytest.mark.integration,
    pytest.mark.local_binaries,
    pytest.mark.skipif(
        pgbouncer_binary() is None, reason="pgbouncer is not installed (apt-get install pgbouncer)"
    ),
]

DJINN = {"pool_mode": "transaction", "max_client_conn": 100, "default_pool_size": 25}
COMPLIANT = {"stats_users": "verifier", "max_client_conn": "100", "default_pool_size": "25"}
_runs = itertools.count()


def run_suite(tmp_path: Path, dsn: str, section: Mapping[str, Any] = DJINN) -> Run:
    n = next(_runs)
    path = tmp_path / f"pgbouncer-{n}.yaml"
    body = {"name": f"pgbouncer-{n}", "pgbouncer": {"admin_dsn": "${SC_PGBOUNCER_ADMIN}", **section}}
    path.write_text(yaml.safe_dump(body))
    return verify(
        path,
        "--suite",
        "pgbouncer",
        "--infra",
        "external",
        report_dir=tmp_path / f"r{n}",
        env=cli_env(SC_PGBOUNCER_ADMIN=dsn),
    )


def client(bouncer: PgBouncer, database: str = "postgres") -> psycopg.Connection[Any]:
    """An application's connection through the pooler: a live pool for SHOW POOLS to list."""
    return psycopg.connect(bouncer.dsn("verifier", database), autocommit=True, prepare_threshold=None)


def pools_result(run: Run) -> dict[str, Any]:
    found = run.results("pgbouncer.pools")
    assert len(found) == 1, (run.statuses(), run.stderr)
    return found[0]


def test_a_pooler_configured_as_the_adr_says_passes(tmp_path: Path) -> None:
    with LocalPostgres() as pg:
        pg.add_role("verifier")
        bouncer = PgBouncer(pg, "verifier", settings=COMPLIANT)
        with bouncer, client(bouncer) as app:
            app.execute("SELECT 1")
            section = {**DJINN, "settings": {"server_reset_query": "DISCARD ALL", "log_connections": True}}
            run = run_suite(tmp_path, bouncer.dsn("verifier", "pgbouncer"), section)
    assert run.code == 0, (run.statuses(), run.stderr)
    assert run.statuses() == {
        "pgbouncer.config[pool_mode]": "passed",
        "pgbouncer.config[max_client_conn]": "passed",
        "pgbouncer.config[default_pool_size]": "passed",
        "pgbouncer.config[server_reset_query]": "passed",
        "pgbouncer.config[log_connections]": "passed",
        "pgbouncer.pools": "passed",
    }
    config = run.results("pgbouncer.config")[0]
    assert (config["evidence"]["expected"], config["evidence"]["observed"]) == ("transaction", "transaction")
    pools = pools_result(run)
    assert pools["evidence"]["observed"] == {"pool_mode": "transaction", "pool_size": 25}, pools
    assert pools["evidence"]["details"]["pools"] == {"postgres/verifier": "transaction"}
    assert bouncer.postgres.passwords["verifier"] not in str(run.report)


def test_session_mode_and_other_sizes_fail(tmp_path: Path) -> None:
    with LocalPostgres() as pg:
        pg.add_role("verifier")
        drifted = {**COMPLIANT, "default_pool_size": "20"}
        with PgBouncer(pg, "verifier", pool_mode="session", settings=drifted) as bouncer:
            run = run_suite(tmp_path, bouncer.dsn("verifier", "pgbouncer"))
    statuses = run.statuses()
    assert run.code == 1, (statuses, run.stderr)
    assert statuses["pgbouncer.config[pool_mode]"] == "failed"
    assert statuses["pgbouncer.config[default_pool_size]"] == "failed"
    assert statuses["pgbouncer.config[max_client_conn]"] == "passed"
    mode = next(r for r in run.results("pgbouncer.config") if r["subject"] == "pool_mode")
    assert mode["message"] == "pool_mode is session on the pooler, the profile says transaction", mode
    pools = pools_result(run)
    assert pools["status"] == "failed" and pools["evidence"]["observed"]["pool_mode"] == "session", pools


def test_a_database_override_fails_the_pools(tmp_path: Path) -> None:
    # The [pgbouncer] defaults are the ADR's, but one [databases] entry runs in session mode and another
    # with a pool of its own: SHOW CONFIG alone would miss both.
    with LocalPostgres() as pg:
        pg.add_role("verifier")
        databases = {"app": "pool_mode=session", "reports": "pool_size=50"}
        bouncer = PgBouncer(pg, "verifier", settings=COMPLIANT, databases=databases)
        with bouncer, client(bouncer, "app"):
            run = run_suite(tmp_path, bouncer.dsn("verifier", "pgbouncer"))
    statuses = run.statuses()
    assert {k: v for k, v in statuses.items() if k.startswith("pgbouncer.config")} == {
        "pgbouncer.config[pool_mode]": "passed",
        "pgbouncer.config[max_client_conn]": "passed",
        "pgbouncer.config[default_pool_size]": "passed",
    }
    pools = pools_result(run)
    assert pools["status"] == "failed", pools
    assert pools["evidence"]["details"]["overrides"] == {
        "database app": "pool_mode session",
        "database reports": "pool_size 50",
        "pool app/verifier": "pool_mode session",
    }
    assert "database app runs pool_mode session" in pools["message"]
    assert run.code == 1


def test_an_unreachable_or_refused_console_is_error_not_failed(tmp_path: Path) -> None:
    unreachable = run_suite(tmp_path, f"postgresql://stats@127.0.0.1:{free_port()}/pgbouncer")
    for result in unreachable.results("pgbouncer.config") + unreachable.results("pgbouncer.pools"):
        assert (result["status"], result["error_reason"]) == ("error", "unreachable"), result
    assert unreachable.code == 3
    with LocalPostgres() as pg:
        pg.add_role("verifier")
        # The user may log in through the pooler but is in neither stats_users nor admin_users.
        without_stats = {k: v for k, v in COMPLIANT.items() if k != "stats_users"}
        with PgBouncer(pg, "verifier", settings=without_stats) as bouncer:
            refused = run_suite(tmp_path, bouncer.dsn("verifier", "pgbouncer"))
    result = pools_result(refused)
    assert (result["status"], result["error_reason"]) == ("error", "access_denied"), result
    assert "stats_users" in result["message"] and refused.code == 3


def test_an_admin_dsn_naming_another_database_is_a_usage_error(tmp_path: Path) -> None:
    run = run_suite(tmp_path, f"postgresql://stats@127.0.0.1:{free_port()}/postgres")
    assert run.code == 2, (run.stdout, run.stderr)
    assert "pgbouncer.admin_dsn names the database postgres" in run.stdout + run.stderr


def test_the_djinn_profile_verifies_its_pooler_claims(tmp_path: Path) -> None:
    # The shipped seed profile as its team runs it: the platform's pooler given with --set.
    with LocalPostgres() as pg:
        pg.add_role("verifier")
        with PgBouncer(pg, "verifier", settings=COMPLIANT) as bouncer:
            run = verify(
                REPO / "policies" / "profiles" / "djinn.yaml",
                "--suite",
                "pgbouncer",
                "--set",
                "pgbouncer.admin_dsn=${SC_PGBOUNCER_ADMIN}",
                report_dir=tmp_path / "djinn",
                env=cli_env(SC_PGBOUNCER_ADMIN=bouncer.dsn("verifier", "pgbouncer")),
            )
    assert run.code == 0, (run.statuses(), run.stderr)
    assert run.report is not None
    claims = {c["id"]: c["status"] for c in run.report["claims"] if c["id"].startswith("pgbouncer-")}
    assert claims == {
        "pgbouncer-pool-mode-transaction": "verified",
        "pgbouncer-max-client-connections-100": "verified",
        "pgbouncer-default-pool-size-25": "verified",
    }
