"""The drafting rules, one registry: a rule is a pattern and a function giving ``{dotted key: value}``.

Adding a rule is one constant in the module of its section and one line in :data:`RULES` (rules register
nowhere else). Order matters only for ties: when two rules set one key from one sentence, the first wins.
"""

from __future__ import annotations

from stackcheck.adr.model import Rule
from stackcheck.adr.rules import data, health, http, ops, tls

__all__ = ["RULES"]

RULES: tuple[Rule, ...] = (
    health.HEALTH_ENDPOINTS,
    health.HEALTH_LATENCY,
    health.DOCKER_HEALTHCHECK_TIMEOUT,
    health.READY_RECOVERY,
    health.READY_DEPENDENCIES,
    http.METRICS_PATH,
    http.METRIC_TYPES,
    http.RATE_LIMIT,
    http.CORS_RESTRICTIVE,
    http.CORS_ORIGINS,
    http.METRICS_PRIVATE,
    http.NOTHING_EXPOSED,
    tls.TLS_MIN_VERSION,
    tls.ALLOWED_CIPHERS,
    tls.STRONG_CIPHERS,
    tls.CERT_RENEWAL,
    tls.TLS_POLICY,
    tls.CERT_DAYS_LEFT,
    tls.HTTP_REDIRECT,
    tls.HEADERS_NAMED,
    tls.HEADER_LINE,
    tls.HSTS_MAX_AGE,
    data.PG_VERSION,
    data.PG_EXTENSIONS,
    data.PG_SETTING,
    data.PG_REQUIRE_SSL,
    data.PG_POOL_SIZE,
    data.PGBOUNCER_SETTING,
    data.APP_INSTANCES,
    data.PG_RLS,
    data.PG_UUIDV7,
    data.REDIS_VERSION,
    data.REDIS_EVICTION,
    data.REDIS_AOF,
    data.REDIS_FSYNC,
    data.REDIS_MAXMEMORY,
    data.PG_EXTENSIONS_ABSENT,
    data.PG_SSLMODE,
    data.PG_PARTITIONED,
    data.REDIS_DEFAULT_USER,
    data.REDIS_ACL_USERS,
    data.REDIS_AUTH,
    ops.SLO_PERCENTILE,
    ops.SLO_ERROR_RATIO,
    ops.SLO_THROUGHPUT,
    ops.RECOVERY_OBJECTIVES,
    ops.ALLOWED_REGIONS,
    ops.SCANNER_TARGETS,
    ops.SCAN_FAIL_ON,
)
