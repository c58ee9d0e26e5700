"""Checks of the ``pgbouncer`` suite: the connection pooler, read from its admin console."""

from __future__ import annotations

from typing import Any

from stackcheck.catalog.spec import CheckSpec, Requires, Severity, SuiteName

_ADMIN = Requires(
    keys=("pgbouncer.admin_dsn",),
    reason="pgbouncer.admin_dsn is not set (stackcheck never starts a PgBouncer: point it at the pooler's "
    "admin console, database pgbouncer)",
)
_common: dict[str, Any] = {"suite": SuiteName.PGBOUNCER, "section": "pgbouncer", "needs_target": False}

CONFIG = CheckSpec(
    id="pgbouncer.config",
    requires=(
        _ADMIN,
        Requires(
            keys=(
                "pgbouncer.pool_mode",
                "pgbouncer.max_client_conn",
                "pgbouncer.default_pool_size",
                "pgbouncer.settings",
            ),
            reason="the profile states no PgBouncer setting",
            any_of=True,
        ),
    ),
    title="Each pooler setting (pool_mode, max_client_conn, default_pool_size, ...) has the profile's value",
    severity=Severity.MEDIUM,
    remediation=(
        "Set the listed settings in pgbouncer.ini ([pgbouncer] section) and RELOAD (or restart) the pooler."
    ),
    fails_on=("test:tests/integration/test_pgbouncer_suite.py::test_session_mode_and_other_sizes_fail",),
    controls=("SOC2:A1.1", "SOC2:CC8.1"),
    **_common,
)
POOLS = CheckSpec(
    id="pgbouncer.pools",
    requires=(
        _ADMIN,
        Requires(
            keys=("pgbouncer.pool_mode", "pgbouncer.default_pool_size"),
            reason="neither pgbouncer.pool_mode nor pgbouncer.default_pool_size is set",
            any_of=True,
        ),
    ),
    title="No database or pool overrides the pool mode or size: every one runs as the profile says",
    severity=Severity.MEDIUM,
    reads=("pgbouncer.pool_mode", "pgbouncer.default_pool_size"),
    remediation=(
        "Remove the pool_mode/pool_size options of the [databases] entries (and pool_mode of [users]) that "
        "differ, or make them the profile's, and RELOAD the pooler."
    ),
    fails_on=("test:tests/integration/test_pgbouncer_suite.py::test_a_database_override_fails_the_pools",),
    controls=("SOC2:A1.1", "SOC2:CC8.1"),
    **_common,
)

CHECKS: tuple[CheckSpec, ...] = (CONFIG, POOLS)
