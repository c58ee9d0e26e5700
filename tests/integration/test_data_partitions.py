"""``postgres.partitioned_tables`` (``pg.partitioning``) proven both ways on a real PostgreSQL 15.

One server holds tables partitioned by range, list and hash (one sub-partitioned), a plain table and a
table partitioned by inheritance; each profile entry is judged through the real CLI (``--infra external``).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from fixtures.datastores import LocalPostgres
from tests.integration.conftest import Run, judge

pytestmark = [pytest.mark.integration, pytest.mark.local_binaries]

SCHEMA = (
    "CREATE TABLE events (id bigint, created_at timestamptz NOT NULL) PARTITION BY RANGE (created_at)",
    "CREATE TABLE events_2026_01 PARTITION OF events FOR VALUES FROM ('2026-01-01') TO ('2026-02-01')",
    "CREATE TABLE events_2026_02 PARTITION OF events FOR VALUES FROM ('2026-02-01') TO ('2026-03-01')",
    "CREATE TABLE events_default PARTITION OF events DEFAULT",
    "CREATE SCHEMA billing",
    "CREATE TABLE billing.invoices (region text, tenant_id int, total numeric) PARTITION BY LIST (region)",
    "CREATE TABLE billing.invoices_eu PARTITION OF billing.invoices FOR VALUES IN ('eu')"
    " PARTITION BY HASH (tenant_id)",
    "CREATE TABLE billing.invoices_eu_0 PARTITION OF billing.invoices_eu"
    " FOR VALUES WITH (MODULUS 2, REMAINDER 0)",
    "CREATE TABLE billing.invoices_eu_1 PARTITION OF billing.invoices_eu"
    " FOR VALUES WITH (MODULUS 2, REMAINDER 1)",
    "CREATE TABLE billing.invoices_us PARTITION OF billing.invoices FOR VALUES IN ('us')",
    "CREATE TABLE sessions (tenant_id int, user_id int) PARTITION BY HASH (tenant_id, user_id)",
    "CREATE TABLE sessions_0 PARTITION OF sessions FOR VALUES WITH (MODULUS 1, REMAINDER 0)",
    "CREATE TABLE audit_log (at timestamptz, line text)",
    "CREATE TABLE legacy (at date)",
    "CREATE TABLE legacy_2025 () INHERITS (legacy)",
)


@pytest.fixture(scope="module")
def postgres() -> Iterator[LocalPostgres]:
    """A PostgreSQL 15 with the schema above, and two ordinary roles: ``verifier`` may use schema billing,
    ``outsider`` may not."""
    with LocalPostgres() as pg:
        pg.sql(*SCHEMA)
        pg.add_role("verifier", "GRANT USAGE ON SCHEMA billing TO verifier")
        pg.add_role("outsider")
        yield pg


@pytest.fixture
def server(postgres: LocalPostgres) -> str:
    """The DSN of the role that may read every schema."""
    return postgres.role_dsn("verifier")


def judge_tables(tmp_path: Path, tables: list[dict[str, Any]], dsn: str) -> Run:
    """``stackcheck verify --suite postgres --infra external`` with only ``partitioned_tables`` set."""
    return judge(tmp_path, "postgres", {"partitioned_tables": tables}, dsn)


def by_table(run: Run) -> dict[str, dict[str, Any]]:
    return {str(r["subject"]): r for r in run.results("pg.partitioning")}


def test_tables_partitioned_as_declared_pass(tmp_path: Path, server: str) -> None:
    run = judge_tables(
        tmp_path,
        [
            {"table": "events", "strategy": "range", "key": "Created_At", "min_partitions": 3},
            {"table": "billing.invoices", "strategy": "list", "key": ["region"], "min_partitions": 2},
            {"table": "billing.invoices_eu", "strategy": "hash", "key": "tenant_id"},
            {"table": "sessions", "strategy": "hash", "key": "tenant_id, user_id"},
            {"table": "public.events"},
        ],
        server,
    )
    results = by_table(run)
    assert {t: r["status"] for t, r in results.items()} == dict.fromkeys(results, "passed"), results
    assert run.code == 0
    events = results["events"]["evidence"]
    assert events["observed"] == {
        "partitioned": True,
        "strategy": "range",
        "key": ["created_at"],
        "partitions": 3,
    }
    assert events["details"]["default_partition"] == "events_default"
    assert events["details"]["key_definition"] == "RANGE (created_at)"
    invoices = results["billing.invoices"]
    assert invoices["evidence"]["details"]["leaf_partitions"] == 3  # two hash leaves under eu, and us
    assert "2 partitions (3 leaves)" in invoices["message"]


def test_wrong_strategy_key_or_too_few_partitions_fail(tmp_path: Path, server: str) -> None:
    run = judge_tables(
        tmp_path,
        [
            {"table": "events", "strategy": "list", "key": "created_at"},
            {"table": "billing.invoices", "key": "tenant_id"},
            {"table": "sessions", "key": "tenant_id"},  # only the first column of a two-column key
            {"table": "public.events", "min_partitions": 12},
            {"table": "audit_log", "strategy": "range", "key": "at"},
            {"table": "legacy", "strategy": "range"},
            {"table": "no_such_table"},
        ],
        server,
    )
    results = by_table(run)
    assert {t: r["status"] for t, r in results.items()} == dict.fromkeys(results, "failed"), results
    assert run.code == 1
    messages = {t: r["message"] for t, r in results.items()}
    assert messages["events"] == "public.events is partitioned by range, the profile says list"
    assert messages["billing.invoices"] == (
        "billing.invoices is partitioned on (region), the profile says (tenant_id)"
    )
    assert "on (tenant_id, user_id), the profile says (tenant_id)" in messages["sessions"]
    assert (
        messages["public.events"]
        == "public.events is partitioned into 3 partitions, fewer than the 12 wanted"
    )
    assert messages["audit_log"] == "public.audit_log is a plain table, not partitioned"
    assert "1 inheritance child(ren)" in messages["legacy"] and "not declarative" in messages["legacy"]
    assert "does not exist" in messages["no_such_table"]
    plain = results["audit_log"]["evidence"]
    assert plain["expected"] == {"partitioned": True, "strategy": "range", "key": ["at"]}
    assert plain["observed"] == {"partitioned": False}


def test_a_schema_the_verifier_may_not_use_is_error_not_failed(
    tmp_path: Path, postgres: LocalPostgres
) -> None:
    run = judge_tables(
        tmp_path, [{"table": "billing.invoices", "strategy": "list"}], postgres.role_dsn("outsider")
    )
    result = run.results("pg.partitioning")[0]
    assert (result["status"], result["error_reason"]) == ("error", "access_denied"), result
    assert "permission denied for schema billing" in result["message"] and "GRANT USAGE" in result["message"]


def test_unreachable_server_is_error(tmp_path: Path) -> None:
    from stackcheck.infra.base import free_port

    run = judge_tables(tmp_path, [{"table": "events"}], f"postgresql://v@127.0.0.1:{free_port()}/postgres")
    result = run.results("pg.partitioning")[0]
    assert (result["status"], result["error_reason"]) == ("error", "unreachable"), result
    assert run.code == 3
