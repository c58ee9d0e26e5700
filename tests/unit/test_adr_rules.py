"""Every drafting rule both ways: it fires on its sentence with the right keys, and not on a near miss."""

from __future__ import annotations

from typing import Any

import pytest

from stackcheck.adr.model import Kind, Rule, Sentence
from stackcheck.adr.rules import RULES, data, health, http, ops, tls


def s(text: str, *parents: str, heading: str = "Decision", kind: Kind = Kind.ITEM) -> Sentence:
    return Sentence(text, "adr.md", 1, kind, "", ("ADR", heading), parents)


def apply(rule: Rule, sentence: Sentence) -> dict[str, Any] | None:
    match = rule.pattern.search(sentence.text)
    return None if match is None else rule.build(match, sentence)


LIVENESS = "Liveness Probe (/health)"
READINESS = ("Readiness Probe (/ready)", "Checks:")

FIRES: list[tuple[Rule, Sentence, dict[str, Any]]] = [
    (
        health.HEALTH_ENDPOINTS,
        s("Health checks: /health, /ready"),
        {"health.live": "/health", "health.ready": "/ready"},
    ),
    (
        health.HEALTH_ENDPOINTS,
        s("/freshness: Data freshness summary", "Health Endpoints"),
        {"health.extra": ["/freshness"]},
    ),
    (health.HEALTH_LATENCY, s("Responds in <100ms", LIVENESS), {"health.max_latency_ms": 100}),
    (health.HEALTH_LATENCY, s("Health probes respond in under 2 s"), {"health.max_latency_ms": 2000}),
    (
        health.DOCKER_HEALTHCHECK_TIMEOUT,
        s("HEALTHCHECK --interval=30s --timeout=3s CMD curl"),
        {"health.max_latency_ms": 3000},
    ),
    (health.READY_RECOVERY, s("/ready recovers within 20 s of a restart"), {"health.ready_recovery_s": 20}),
    (health.READY_DEPENDENCIES, s("DB connected", *READINESS), {"health.ready_dependencies": ["postgres"]}),
    (http.METRICS_PATH, s("Metrics: /metrics (Prometheus)"), {"metrics.path": "/metrics"}),
    (
        http.METRIC_TYPES,
        s("It exposes orders_created_total (a counter)"),
        {"metrics.required": ["orders_created_total"], "metrics.types": {"orders_created_total": "counter"}},
    ),
    (
        http.RATE_LIMIT,
        s("Rate limiting (100 req/min per IP)"),
        {"rate_limit.requests": 100, "rate_limit.per_seconds": 60, "rate_limit.scope": "ip"},
    ),
    (
        http.RATE_LIMIT,
        s("POST /login is limited to 5 attempts per 10 minutes"),
        {
            "rate_limit.requests": 5,
            "rate_limit.per_seconds": 600,
            "rate_limit.path": "/login",
            "rate_limit.method": "POST",
        },
    ),
    (http.CORS_RESTRICTIVE, s("CORS policy restrictive"), {"cors.allowed_origins": []}),
    (
        http.CORS_ORIGINS,
        s("CORS allows https://app.example.com only, for GET and POST"),
        {"cors.allowed_origins": ["https://app.example.com"], "cors.methods": ["GET", "POST"]},
    ),
    (http.NOTHING_EXPOSED, s("No unnecessary endpoints exposed"), {"exposure.builtin": True}),
    (http.NOTHING_EXPOSED, s("/.env must never be served"), {"exposure.forbidden_paths": ["/.env"]}),
    (tls.TLS_MIN_VERSION, s("TLS 1.3 only"), {"tls.min_version": "1.3"}),
    (tls.TLS_MIN_VERSION, s("Edge: TLS 1.2 and 1.3 only"), {"tls.min_version": "1.2"}),
    (tls.STRONG_CIPHERS, s("Strong cipher suites"), {}),  # verified by tls.ciphers: no key of its own
    (tls.CERT_RENEWAL, s("Certificate auto-renewal (Let's Encrypt)"), {}),
    (
        tls.TLS_POLICY,
        s("Ciphers follow Mozilla's intermediate profile"),
        {"tls.policy": "mozilla-intermediate"},
    ),
    (
        tls.CERT_DAYS_LEFT,
        s("Alert when a certificate has fewer than 20 days left"),
        {"tls.cert_min_days_left": 20},
    ),
    (tls.HTTP_REDIRECT, s("Requests on port 8080 redirect to HTTPS"), {"tls.http_port": 8080}),
    (
        tls.HEADERS_NAMED,
        s("Security headers (CSP, HSTS, etc.)"),
        {"headers.required": ["strict-transport-security", "content-security-policy"]},
    ),
    (
        tls.HEADER_LINE,
        s("X-Frame-Options: DENY"),
        {"headers.required": ["x-frame-options"], "headers.values": {"x-frame-options": "DENY"}},
    ),
    (
        tls.ALLOWED_CIPHERS,
        s("Only TLS_AES_128_GCM_SHA256 and ECDHE-RSA-AES128-GCM-SHA256 are offered"),
        {"tls.allowed_ciphers": ["TLS_AES_128_GCM_SHA256", "ECDHE-RSA-AES128-GCM-SHA256"]},
    ),
    (http.METRICS_PRIVATE, s("The metrics endpoint must not be public"), {"metrics.public": False}),
    (
        http.RATE_LIMIT,
        s("Clients sending an X-API-Key header are limited to 1000 requests per hour per key"),
        {
            "rate_limit.requests": 1000,
            "rate_limit.per_seconds": 3600,
            "rate_limit.scope": "header",
            "rate_limit.header": "X-API-Key",
        },
    ),
    (
        http.CORS_ORIGINS,
        s("CORS allows https://a.example with credentials"),
        {"cors.allowed_origins": ["https://a.example"], "cors.allow_credentials": True},
    ),
    (
        tls.HEADER_LINE,
        s("Strict-Transport-Security: max-age=31536000; includeSubDomains"),
        {
            "headers.required": ["strict-transport-security"],
            "headers.hsts_min_age_s": 31536000,
            "headers.hsts_include_subdomains": True,
        },
    ),
    (
        tls.HSTS_MAX_AGE,
        s("HSTS with a max-age of one year"),
        {"headers.required": ["strict-transport-security"], "headers.hsts_min_age_s": 31536000},
    ),
    (data.PG_VERSION, s("Database: Managed PostgreSQL 16"), {"postgres.version": ">=16"}),
    (data.PG_VERSION, s("image: postgres:15-alpine"), {"postgres.version": ">=15"}),
    (data.PG_EXTENSIONS, s("pgvector for embeddings"), {"postgres.extensions": ["vector"]}),
    (
        data.PG_EXTENSIONS,
        s("PostGIS and pg_trgm available on the server"),
        {"postgres.extensions": ["postgis", "pg_trgm"], "postgres.extensions_state": "available"},
    ),
    (
        data.PG_SETTING,
        s("ALTER SYSTEM SET shared_buffers = '256MB';"),
        {"postgres.settings": {"shared_buffers": "256MB"}},
    ),
    (data.PG_SETTING, s("SET random_page_cost TO 1.1"), {"postgres.settings": {"random_page_cost": 1.1}}),
    (data.PG_REQUIRE_SSL, s("Database connection over SSL"), {"postgres.require_ssl": True}),
    (data.PG_POOL_SIZE, s("Connection Pool (max 20 connections)"), {"postgres.pool_size": 20}),
    (data.PG_POOL_SIZE, s("DB_POOL_SIZE: 20"), {"postgres.pool_size": 20}),
    (
        data.PGBOUNCER_SETTING,
        s("-- Pool mode: transaction", "Connection pooling with PgBouncer"),
        {"pgbouncer.pool_mode": "transaction"},
    ),
    (
        data.PGBOUNCER_SETTING,
        s("-- Max client connections: 100", "Connection pooling with PgBouncer"),
        {"pgbouncer.max_client_conn": 100},
    ),
    (
        data.PGBOUNCER_SETTING,
        s("default_pool_size = 25", "[pgbouncer] section of pgbouncer.ini"),
        {"pgbouncer.default_pool_size": 25},
    ),
    (data.APP_INSTANCES, s("Instances: 2 per environment (4 total)"), {"postgres.app_instances": 4}),
    (data.APP_INSTANCES, s("Auto Scaling (3-10 tasks)"), {"postgres.app_instances": 10}),
    (
        data.PG_RLS,
        s("Row-level security is enabled and forced on accounts and payments"),
        {"postgres.rls_tables": ["accounts", "payments"], "postgres.rls_forced": True},
    ),
    (data.PG_UUIDV7, s("Keys come from uuidv7()"), {"postgres.uuidv7": "uuidv7"}),
    (data.REDIS_VERSION, s("Cache Layer: Redis 7"), {"redis.version": ">=7"}),
    (data.REDIS_EVICTION, s("Eviction Policy: allkeys-lru"), {"redis.maxmemory_policy": "allkeys-lru"}),
    (data.REDIS_AOF, s("Cache: Production Redis (2GB, AOF persistence)"), {"redis.appendonly": True}),
    (data.REDIS_AOF, s("command: redis-server --appendonly no"), {"redis.appendonly": False}),
    (data.REDIS_FSYNC, s("appendfsync everysec"), {"redis.appendfsync": "everysec"}),
    (data.REDIS_MAXMEMORY, s("maxmemory 512mb"), {"redis.maxmemory": "512mb"}),
    (data.REDIS_MAXMEMORY, s("Cache: Production Redis (2GB, AOF persistence)"), {"redis.maxmemory": "2gb"}),
    (
        data.REDIS_MAXMEMORY,
        s("2GB Total Capacity", heading="Cache Architecture (Redis)"),
        {"redis.maxmemory": "2gb"},
    ),
    (data.REDIS_AUTH, s("Redis requires authentication (requirepass)"), {"redis.require_auth": True}),
    (
        data.PG_EXTENSIONS_ABSENT,
        s("The plperlu extension must not be installed anywhere"),
        {"postgres.extensions_absent": ["plperlu"]},
    ),
    (data.PG_SSLMODE, s("Workers connect with sslmode=verify-ca"), {"postgres.sslmode": "verify-ca"}),
    (
        data.PG_PARTITIONED,
        s("audit_events is partitioned by range on created_at"),
        {
            "postgres.partitioned_tables": [
                {"table": "audit_events", "strategy": "range", "key": "created_at"}
            ]
        },
    ),
    (
        data.PG_PARTITIONED,
        s("CREATE TABLE metrics (ts timestamptz, v float) PARTITION BY LIST (tenant_id);"),
        {"postgres.partitioned_tables": [{"table": "metrics", "strategy": "list", "key": "tenant_id"}]},
    ),
    (
        data.REDIS_DEFAULT_USER,
        s("ACL SETUSER default off"),
        {"redis.default_user": "disabled", "redis.require_auth": True},
    ),
    (
        data.REDIS_ACL_USERS,
        s("Redis ACL users app and worker must exist"),
        {"redis.acl_users": ["app", "worker"]},
    ),
    (ops.SLO_PERCENTILE, s("API response time p95 < 200ms"), {"slo.p95_ms": 200}),
    (ops.SLO_PERCENTILE, s("p99 under 1 s for searches"), {"slo.p99_ms": 1000}),
    (ops.SLO_ERROR_RATIO, s("Error rate > 1%"), {"slo.error_ratio": 0.01}),
    (ops.SLO_THROUGHPUT, s("The API sustains at least 500 requests per second"), {"slo.rps": 500}),
    (ops.RECOVERY_OBJECTIVES, s("RTO: 4 hours (Recovery Time Objective)"), {"backup.rto_minutes": 240}),
    (ops.RECOVERY_OBJECTIVES, s("recovery_point_objective: < 5 minutes"), {"backup.rpo_minutes": 5}),
    (
        ops.ALLOWED_REGIONS,
        s("All data must stay in eu-central-1"),
        {"scan.allowed_regions": ["eu-central-1"]},
    ),
    (
        ops.SCAN_FAIL_ON,
        s("bandit blocks merges on medium findings; HIGH or CRITICAL CVEs fail the build"),
        {"scan.fail_on": {"bandit": "medium", "image.vulnerabilities": "high"}},
    ),
    (ops.SCAN_FAIL_ON, s("Any checkov failure breaks the build"), {"scan.fail_on": {"checkov": "any"}}),
    (
        ops.SCANNER_TARGETS,
        s("CI runs bandit on services/api and checkov on infra/"),
        {"scan.code_paths": ["services/api"], "scan.iac_paths": ["infra/"]},
    ),
]

MISSES: list[tuple[Rule, Sentence]] = [
    (health.HEALTH_ENDPOINTS, s("The API serves everything under /api/v1")),
    (health.HEALTH_LATENCY, s("The nightly report responds in 2 s")),
    (health.DOCKER_HEALTHCHECK_TIMEOUT, s("HEALTHCHECK --interval=30s CMD curl -f http://localhost/")),
    (health.READY_RECOVERY, s("The cluster recovers within 5 minutes")),
    (health.READY_DEPENDENCIES, s("DB connected", "Dashboard")),
    (http.METRICS_PATH, s("Metrics are shipped to Prometheus")),
    (http.METRIC_TYPES, s("It exposes a counter of orders")),
    (http.RATE_LIMIT, s("The service handles 100 requests per second at peak")),
    (http.RATE_LIMIT, s("API keys get a limit of 500 requests per hour per key")),
    (http.CORS_RESTRICTIVE, s("CORS policy permissive for local development")),
    (http.CORS_ORIGINS, s("CORS allows any origin, e.g. https://x.example")),
    (http.NOTHING_EXPOSED, s("No public database access")),
    (tls.TLS_MIN_VERSION, s("TLS 1.0 and 1.1 are disabled at the edge")),
    (tls.TLS_POLICY, s("Mozilla Firefox is supported")),
    (tls.STRONG_CIPHERS, s("Ciphers are listed in the appendix")),
    (tls.CERT_RENEWAL, s("Certificates are bought from a vendor")),
    (tls.CERT_DAYS_LEFT, s("Invoices are paid less than 30 days before expiry")),
    (tls.HTTP_REDIRECT, s("Port 8080 serves the API")),
    (tls.HEADERS_NAMED, s("Request headers are logged")),
    (tls.HEADER_LINE, s("Retry-After: 30")),
    (tls.ALLOWED_CIPHERS, s("Cipher suites follow the TLS_ policy of the platform")),
    (http.METRICS_PRIVATE, s("Metrics are public on the status page")),
    (tls.HSTS_MAX_AGE, s("HSTS preload list submission is planned")),
    (data.PG_VERSION, s("Allow: Port 5432 (PostgreSQL) from app only")),
    (data.PG_VERSION, s("PostgreSQL: $25 (20GB storage)")),
    (data.PG_EXTENSIONS, s("The pg_cron extension must not be installed")),
    (data.PG_EXTENSIONS, s("Vector tables for embeddings")),
    (data.PG_SETTING, s("SET the pool mode in PgBouncer")),
    (data.PG_REQUIRE_SSL, s("The database connection pool has 20 slots")),
    (data.PG_POOL_SIZE, s("Default pool size: 25", "Connection pooling with PgBouncer")),
    (data.PGBOUNCER_SETTING, s("Pool mode: transaction", "Odyssey pooler")),
    (data.APP_INSTANCES, s("Kubernetes cluster (3 nodes)")),
    (data.PG_RLS, s("Row-level security on all tables")),
    (data.PG_UUIDV7, s("IDs are UUIDv7")),
    (data.REDIS_VERSION, s("Allow: Port 6379 (Redis) from app only")),
    (data.REDIS_EVICTION, s("We do not use volatile-ttl")),
    (data.REDIS_AOF, s("Persistence: Volume-backed")),
    (data.REDIS_FSYNC, s("fsync is left to the OS")),
    (data.REDIS_MAXMEMORY, s("2GB total capacity", heading="Disks")),
    (data.REDIS_AUTH, s("Redis runs without a password in development")),
    (data.PG_EXTENSIONS_ABSENT, s("The pg_cron extension must be installed")),
    (data.PG_SSLMODE, s("Clients use sslmode=require")),
    (data.PG_PARTITIONED, s("The disk is partitioned by the hosting team")),
    (data.REDIS_DEFAULT_USER, s("The default user interface is disabled for guests")),
    (data.REDIS_ACL_USERS, s("Operators log in as admin to the dashboard")),
    (ops.SLO_PERCENTILE, s("Response time (p50, p95, p99)")),
    (ops.SLO_PERCENTILE, s("p50 < 50 ms")),
    (ops.SLO_ERROR_RATIO, s("Deployment failure rate < 5%")),
    (ops.SLO_THROUGHPUT, s("Request rate (requests/sec)")),
    (ops.RECOVERY_OBJECTIVES, s("Mean time to recovery < 1 hour")),
    (ops.ALLOWED_REGIONS, s("Primary: ap-south-1 (Mumbai) preferred")),
    (ops.SCANNER_TARGETS, s("Security scan (bandit)")),
    (ops.SCAN_FAIL_ON, s("Deploys fail over to the standby under high load")),
]


@pytest.mark.parametrize(
    ("rule", "sentence", "expected"), FIRES, ids=[f"{r.name}: {x.text}" for r, x, _ in FIRES]
)
def test_rule_fires_on_its_sentence(rule: Rule, sentence: Sentence, expected: dict[str, Any]) -> None:
    assert apply(rule, sentence) == expected


@pytest.mark.parametrize(("rule", "sentence"), MISSES, ids=[f"{r.name}: {x.text}" for r, x in MISSES])
def test_rule_ignores_a_near_miss(rule: Rule, sentence: Sentence) -> None:
    assert apply(rule, sentence) is None


def test_every_registered_rule_is_shown_both_ways() -> None:
    fired = {r.name for r, _, _ in FIRES}
    missed = {r.name for r, _ in MISSES}
    names = [r.name for r in RULES]
    assert len(names) == len(set(names)), "two rules share a name"
    assert set(names) == fired == missed


def test_every_key_a_rule_sets_is_a_profile_key() -> None:
    from stackcheck.catalog.spec import profile_key_exists

    for _rule, _sentence, expected in FIRES:
        for key in expected:
            assert profile_key_exists(key), key
