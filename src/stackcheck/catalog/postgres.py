"""Checks of the ``postgres`` suite: version, extensions, settings and schema, verified on a real server."""

from __future__ import annotations

from typing import Any

from stackcheck.catalog.spec import CheckSpec, Requires, Severity, SuiteName

_common: dict[str, Any] = {"suite": SuiteName.POSTGRES, "section": "postgres", "needs_target": False}

VERSION = CheckSpec(
    id="pg.version",
    requires=(Requires(keys=("postgres.version",), reason="postgres.version is not set"),),
    title="PostgreSQL server version satisfies postgres.version",
    severity=Severity.HIGH,
    remediation="Upgrade the PostgreSQL server to a version postgres.version allows.",
    fails_on=("profile:pg-wrong.yaml",),
    controls=("SOC2:CC7.1", "SOC2:CC8.1"),
    **_common,
)
EXTENSIONS = CheckSpec(
    id="pg.extensions",
    requires=(Requires(keys=("postgres.extensions",), reason="postgres.extensions lists no extensions"),),
    title="Each required extension is installed (or, if the profile says so, installable) and usable",
    severity=Severity.HIGH,
    reads=("postgres.extensions_state",),
    remediation=(
        "CREATE EXTENSION it in the database (install the server package first), and add it to "
        "shared_preload_libraries when it needs preloading."
    ),
    fails_on=(
        "profile:pg-wrong.yaml",
        "profile:pg-local.yaml",
        "test:tests/integration/test_pgbouncer.py::"
        "test_statement_pooling_reads_an_installed_extension_without_a_transaction_block",
    ),
    controls=("SOC2:CC8.1",),
    **_common,
)
SETTINGS = CheckSpec(
    id="pg.settings",
    requires=(Requires(keys=("postgres.settings",), reason="postgres.settings lists no settings"),),
    title="Each tuned server setting has the profile's value (the server's, not the verifier's role's)",
    severity=Severity.MEDIUM,
    remediation=(
        "Set the listed parameters to the profile's values (postgresql.conf or ALTER SYSTEM) and reload "
        "or restart."
    ),
    fails_on=("profile:pg-wrong.yaml",),
    controls=("SOC2:CC7.1", "SOC2:CC8.1"),
    **_common,
)
SSL = CheckSpec(
    id="pg.ssl",
    requires=(Requires(keys=("postgres.require_ssl",), reason="postgres.require_ssl is false"),),
    title="SSL is on and a non-SSL login is refused (when postgres.require_ssl)",
    severity=Severity.HIGH,
    remediation="Turn ssl on and make pg_hba.conf use hostssl (and reject hostnossl) for remote logins.",
    fails_on=("profile:pg-wrong.yaml",),
    controls=(
        "OWASP-ASVS:9.2.2",
        "SOC2:CC6.7",
        "PCI-DSS:8.3.2",
        "GDPR:Art.32(1)(a)",
        "DPDP:S8(5)",
        "DPDP:R6(1)(a)",
    ),
    **_common,
)
RLS = CheckSpec(
    id="pg.rls",
    requires=(Requires(keys=("postgres.rls_tables",), reason="postgres.rls_tables lists no tables"),),
    title="Listed tables have row-level security enabled (and forced), with at least one policy",
    severity=Severity.CRITICAL,
    reads=("postgres.rls_forced",),
    remediation="ALTER TABLE ... ENABLE (and FORCE) ROW LEVEL SECURITY, with at least one policy per table.",
    fails_on=("profile:pg-wrong.yaml",),
    controls=(
        "OWASP-ASVS:4.1.3",
        "OWASP-ASVS:4.2.1",
        "SOC2:CC6.1",
        "GDPR:Art.25(2)",
        "GDPR:Art.32(1)(b)",
        "DPDP:S8(5)",
        "DPDP:R6(1)(b)",
    ),
    **_common,
)
UUIDV7 = CheckSpec(
    id="pg.uuidv7",
    requires=(Requires(keys=("postgres.uuidv7",), reason="postgres.uuidv7 names no function"),),
    title="The server generates RFC 9562 version-7 UUIDs with the current time",
    severity=Severity.MEDIUM,
    remediation=(
        "Generate ids with a UUIDv7 function (PostgreSQL 18's uuidv7() or an extension), not "
        "gen_random_uuid()."
    ),
    fails_on=("profile:pg-wrong.yaml",),
    controls=("SOC2:CC8.1",),
    **_common,
)
VECTOR = CheckSpec(
    id="pg.vector",
    title="pgvector round trip: vector column, ANN index, nearest-neighbour query returns the right row",
    severity=Severity.HIGH,
    reads=("postgres.vector_index",),
    remediation=(
        "Install pgvector on the server (CREATE EXTENSION vector) so vector columns and ANN indexes work."
    ),
    fails_on=("profile:pg-local.yaml",),
    controls=("SOC2:CC8.1",),
    **_common,
)
TIMESERIES = CheckSpec(
    id="pg.timeseries",
    requires=(Requires(keys=("postgres.hypertables",), reason="postgres.hypertables lists no tables"),),
    title="Named hypertables exist, with the retention/compression policies the profile asks for",
    severity=Severity.MEDIUM,
    remediation=(
        "Convert the table with create_hypertable() and add the retention/compression policies the "
        "profile names."
    ),
    fails_on=("profile:pg-wrong.yaml",),
    controls=("SOC2:A1.1", "GDPR:Art.5(1)(e)"),
    **_common,
)
EXTENSIONS_ABSENT = CheckSpec(
    id="pg.extensions_absent",
    requires=(
        Requires(keys=("postgres.extensions_absent",), reason="postgres.extensions_absent lists none"),
    ),
    title="Each extension the profile forbids is not installed in the database",
    severity=Severity.HIGH,
    remediation="DROP EXTENSION it in the database (and stop shipping its package if no database needs it).",
    fails_on=(
        "profile:pg-wrong.yaml",
        "test:tests/integration/test_data_extensions.py::test_a_forbidden_extension_fails_once_created",
    ),
    controls=("OWASP-ASVS:14.2.2", "SOC2:CC7.1", "SOC2:CC8.1"),
    **_common,
)
SSLMODE = CheckSpec(
    id="pg.sslmode",
    requires=(Requires(keys=("postgres.sslmode",), reason="postgres.sslmode is not set"),),
    reads=("postgres.ca_bundle", "postgres.server_name"),
    title="A client with the profile's sslmode (verify-ca/verify-full) connects: the certificate validates",
    severity=Severity.HIGH,
    remediation=(
        "Serve a certificate issued by the CA clients trust (postgres.ca_bundle) that names the host they "
        "connect to (subjectAltName), with ssl on."
    ),
    fails_on=(
        "test:tests/integration/test_data_client_tls.py::test_verify_full_fails_on_a_wrong_host_or_an_untrusted_certificate",
        "test:tests/integration/test_data_client_tls.py::test_verify_full_fails_when_the_server_has_ssl_off",
    ),
    controls=("OWASP-ASVS:9.2.1", "SOC2:CC6.7", "GDPR:Art.32(1)(a)", "DPDP:S8(5)", "DPDP:R6(1)(a)"),
    **_common,
)
PARTITIONING = CheckSpec(
    id="pg.partitioning",
    requires=(
        Requires(keys=("postgres.partitioned_tables",), reason="postgres.partitioned_tables lists no tables"),
    ),
    title="Listed tables are partitioned with the profile's strategy and key, with enough partitions",
    severity=Severity.MEDIUM,
    remediation=(
        "Create the table with PARTITION BY <strategy> (<key>) and attach its partitions (a plain table "
        "cannot be altered into a partitioned one: create the new table and move the rows)."
    ),
    fails_on=(
        "profile:pg-wrong.yaml",
        "test:tests/integration/test_data_partitions.py::test_wrong_strategy_key_or_too_few_partitions_fail",
    ),
    controls=("SOC2:A1.1", "SOC2:CC8.1"),
    **_common,
)
CONNECTIONS = CheckSpec(
    id="pg.connections",
    title="max_connections is high enough and every application pool fits (a full pool really connects)",
    severity=Severity.HIGH,
    requires=(
        Requires(
            keys=("postgres.max_connections", "postgres.pool_size"),
            any_of=True,
            reason="neither postgres.max_connections nor postgres.pool_size is set",
        ),
    ),
    reads=("postgres.app_instances",),
    remediation=(
        "Raise max_connections or shrink the application pools until every pool fits beside the reserved "
        "slots."
    ),
    fails_on=("profile:pg-wrong.yaml",),
    controls=("SOC2:A1.1",),
    **_common,
)
POOL = CheckSpec(
    id="pg.pool",
    requires=(
        Requires(
            keys=("postgres.pool_probe", "postgres.application_name", "postgres.pool_size"),
            reason="postgres.pool_probe, application_name and pool_size are not all set",
        ),
    ),
    title="Under a burst of requests, the service's connections (by application_name) never exceed its pool",
    severity=Severity.HIGH,
    reads=("postgres.pool_idle_s", "postgres.pool_min"),
    remediation=(
        "Route every query through one bounded pool of pool_size connections (no per-request connections, "
        "no overflow beyond the pool), opened with the profile's application_name."
    ),
    fails_on=(
        "defect:pool-unbounded",
        "defect:pool-keeps-idle",
        "test:tests/integration/test_pg_pool.py::test_a_connection_per_request_fails",
        "test:tests/integration/test_pg_pool.py::test_sqlalchemy_queuepool_passes_only_without_overflow",
    ),
    controls=("SOC2:A1.1", "SOC2:CC7.1"),
    suite=SuiteName.POSTGRES,
    section="postgres",
    needs_target=True,
)

CHECKS: tuple[CheckSpec, ...] = (
    VERSION,
    EXTENSIONS,
    EXTENSIONS_ABSENT,
    SETTINGS,
    SSL,
    SSLMODE,
    RLS,
    UUIDV7,
    VECTOR,
    TIMESERIES,
    PARTITIONING,
    CONNECTIONS,
    POOL,
)
