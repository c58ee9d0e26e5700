"""Suite ``postgres``, the schema's shape: extensions that must be absent, tables that must be partitioned.

Read-only: everything comes from the catalog (``pg_extension``, ``pg_partitioned_table``,
``pg_partition_tree``) of the DSN's database.
"""

from __future__ import annotations

import psycopg
import pytest
from psycopg.rows import TupleRow

from stackcheck.catalog import postgres as checks
from stackcheck.probes.pgpartitions import partition_key_parts, read_partitioning
from stackcheck.testing import EvidenceRecorder, PostgresPartitionedTable, profile_of, require

Conn = psycopg.Connection[TupleRow]


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    profile = profile_of(metafunc.config)
    section = profile.postgres if profile else None
    if section is None:
        return
    if "absent_extension" in metafunc.fixturenames and section.extensions_absent:
        names = list(section.extensions_absent)
        metafunc.parametrize("absent_extension", names, ids=names)
    if "partitioned_table" in metafunc.fixturenames and section.partitioned_tables:
        tables = list(section.partitioned_tables)
        metafunc.parametrize("partitioned_table", tables, ids=[t.table for t in tables])


@pytest.fixture
def absent_extension() -> str | None:
    """Replaced by one parameter per ``postgres.extensions_absent`` entry."""
    return None


@pytest.fixture
def partitioned_table() -> PostgresPartitionedTable | None:
    """Replaced by one parameter per ``postgres.partitioned_tables`` entry."""
    return None


@pytest.mark.check(checks.EXTENSIONS_ABSENT)
def test_forbidden_extension_is_not_installed(
    absent_extension: str | None, pg: Conn, evidence: EvidenceRecorder
) -> None:
    name = require(absent_extension, "postgres.extensions_absent lists no extensions")
    installed = pg.execute(
        "SELECT e.extversion, n.nspname FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace"
        " WHERE e.extname = %s",
        (name,),
    ).fetchone()
    shipped = pg.execute("SELECT 1 FROM pg_available_extensions WHERE name = %s", (name,)).fetchone()
    database = pg.info.dbname
    if installed is not None:
        version, schema = str(installed[0]), str(installed[1])
        evidence.record(expected="absent", observed="installed", op="==", version=version, schema=schema)
        evidence.record(database=database)
        raise AssertionError(
            f"extension {name} {version} is installed in database {database} (schema {schema}); the profile"
            f" says it must be absent (DROP EXTENSION {name})"
        )
    observed = "not installed (shipped with the server)" if shipped else "not installed (not shipped)"
    evidence.record(expected="absent", observed="absent", op="==", state=observed, database=database)
    evidence.message = f"{name} is {observed} in database {database}"


@pytest.mark.check(checks.PARTITIONING)
def test_table_is_partitioned_as_the_profile_says(
    partitioned_table: PostgresPartitionedTable | None, pg: Conn, evidence: EvidenceRecorder
) -> None:
    spec = require(partitioned_table, "postgres.partitioned_tables lists no tables")
    expected: dict[str, object] = {"partitioned": True}
    if spec.strategy:
        expected["strategy"] = spec.strategy
    wanted_key = partition_key_parts(spec.key) if spec.key is not None else None
    if wanted_key is not None:
        expected["key"] = wanted_key
    if spec.min_partitions:
        expected["partitions"] = f">= {spec.min_partitions}"
    found = read_partitioning(pg, spec.table)
    if found is None:
        evidence.record(expected=expected, observed={"table": None})
        raise AssertionError(f"table {spec.table} does not exist (migrations applied? search_path?)")
    observed: dict[str, object] = {"partitioned": found.partitioned}
    if found.partitioned:
        observed |= {"strategy": found.strategy, "key": found.key, "partitions": found.partitions}
    evidence.record(
        expected=expected,
        observed=observed,
        table=found.table,
        kind=found.kind,
        key_definition=found.key_definition,
        leaf_partitions=found.leaves,
        default_partition=found.default_partition,
        inheritance_children=None if found.partitioned else found.partitions,
    )
    if not found.partitioned:
        children = (
            f"; it has {found.partitions} inheritance child(ren) (a TimescaleDB hypertable or partitioning by"
            " inheritance), which are not declarative partitions"
            if found.partitions
            else ""
        )
        raise AssertionError(f"{found.table} is {found.kind}, not partitioned{children}")
    count = f"{found.partitions} partition{'' if found.partitions == 1 else 's'}"
    evidence.message = f"{found.table} is partitioned by {found.key_definition}, {count}" + (
        f" ({found.leaves} leaves)" if found.leaves != found.partitions else ""
    )
    problems = []
    if spec.strategy and found.strategy != spec.strategy:
        problems.append(f"by {found.strategy}, the profile says {spec.strategy}")
    if wanted_key is not None and found.key != wanted_key:
        problems.append(f"on ({', '.join(found.key)}), the profile says ({', '.join(wanted_key)})")
    if spec.min_partitions and found.partitions < spec.min_partitions:
        problems.append(f"into {count}, fewer than the {spec.min_partitions} wanted")
    assert not problems, f"{found.table} is partitioned " + "; ".join(problems)
