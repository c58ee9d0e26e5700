"""Checks of the ``redis`` suite: the cache and queue, verified on a real server."""

from __future__ import annotations

from typing import Any

from stackcheck.catalog.spec import CheckSpec, Requires, Severity, SuiteName

_common: dict[str, Any] = {"suite": SuiteName.REDIS, "section": "redis", "needs_target": False}

VERSION = CheckSpec(
    id="redis.version",
    requires=(Requires(keys=("redis.version",), reason="redis.version is not set"),),
    title="Redis server version satisfies redis.version",
    severity=Severity.HIGH,
    remediation="Upgrade the Redis server to a version redis.version allows.",
    fails_on=("profile:redis-wrong.yaml",),
    controls=("SOC2:CC7.1", "SOC2:CC8.1"),
    **_common,
)
EVICTION = CheckSpec(
    id="redis.eviction",
    requires=(Requires(keys=("redis.maxmemory_policy",), reason="redis.maxmemory_policy is not set"),),
    title="maxmemory-policy is the profile's, and a memory limit makes it take effect",
    severity=Severity.HIGH,
    reads=("redis.maxmemory",),
    remediation="Set maxmemory-policy to the profile's value and a maxmemory limit so it takes effect.",
    fails_on=("profile:redis-wrong.yaml",),
    controls=("SOC2:A1.1",),
    **_common,
)
PERSISTENCE = CheckSpec(
    id="redis.persistence",
    requires=(
        Requires(
            keys=(
                "redis.appendonly",
                "redis.appendfsync",
                "redis.rdb_snapshots",
            ),
            reason="the profile sets none of redis.appendonly, redis.appendfsync, redis.rdb_snapshots",
            any_of=True,
        ),
    ),
    title="AOF and RDB persistence are on or off as the profile says, and the last write succeeded",
    severity=Severity.HIGH,
    remediation=(
        "Set appendonly/appendfsync/save as the profile says and check the last background save succeeded."
    ),
    fails_on=("profile:redis-wrong.yaml",),
    controls=("SOC2:A1.2",),
    **_common,
)
MAXMEMORY = CheckSpec(
    id="redis.maxmemory",
    requires=(Requires(keys=("redis.maxmemory",), reason="redis.maxmemory is not set"),),
    title="maxmemory equals the profile's limit (Redis units normalised)",
    severity=Severity.MEDIUM,
    remediation=(
        "Set maxmemory to the profile's limit (redis.conf or CONFIG SET, persisted with CONFIG REWRITE)."
    ),
    fails_on=("profile:redis-wrong.yaml",),
    controls=("SOC2:A1.1",),
    **_common,
)
AUTH = CheckSpec(
    id="redis.auth",
    requires=(Requires(keys=("redis.require_auth",), reason="redis.require_auth is false"),),
    title="An unauthenticated command is refused (when redis.require_auth)",
    severity=Severity.CRITICAL,
    remediation=(
        "Require a password (requirepass or ACL users without nopass) and disable the default user's open"
        " access."
    ),
    fails_on=("profile:redis-wrong.yaml",),
    controls=(
        "OWASP-ASVS:2.10.2",
        "SOC2:CC6.1",
        "PCI-DSS:8.3.1",
        "GDPR:Art.32(1)(b)",
        "DPDP:S8(5)",
        "DPDP:R6(1)(b)",
    ),
    **_common,
)

ACL = CheckSpec(
    id="redis.acl",
    requires=(
        Requires(
            keys=("redis.default_user", "redis.acl_users"),
            reason="the profile sets neither redis.default_user nor redis.acl_users",
            any_of=True,
        ),
    ),
    title="The ACL is as the profile says: the default user disabled, the named users present and enabled",
    severity=Severity.CRITICAL,
    remediation=(
        "ACL SETUSER default off, and create each named user with ACL SETUSER NAME on >password ...; "
        "persist it (aclfile + ACL SAVE, or the user directives of redis.conf)."
    ),
    fails_on=(
        "test:tests/integration/test_data_redis_acl.py::test_an_enabled_default_user_or_a_missing_user_fails",
    ),
    controls=(
        "OWASP-ASVS:2.10.2",
        "OWASP-ASVS:4.1.3",
        "SOC2:CC6.1",
        "SOC2:CC6.3",
        "PCI-DSS:8.3.1",
        "GDPR:Art.32(1)(b)",
        "DPDP:S8(5)",
        "DPDP:R6(1)(b)",
    ),
    **_common,
)

TTL = CheckSpec(
    id="redis.ttl",
    requires=(Requires(keys=("redis.ttls",), reason="redis.ttls lists no key pattern"),),
    title="Keys of each pattern expire, and none has a TTL longer than the profile's (sampled with SCAN)",
    severity=Severity.MEDIUM,
    reads=("redis.ttl_sample",),
    remediation=(
        "Write the pattern's keys with an expiry (SET ... EX, SETEX, EXPIRE) no longer than max_s, and give "
        "existing keys one (EXPIRE)."
    ),
    fails_on=("test:tests/integration/test_redis_ttl.py::test_keys_without_expiry_or_too_long_fail",),
    controls=("SOC2:A1.1", "GDPR:Art.5(1)(e)"),
    **_common,
)

CHECKS: tuple[CheckSpec, ...] = (VERSION, EVICTION, PERSISTENCE, MAXMEMORY, AUTH, ACL, TTL)
