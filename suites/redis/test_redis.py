"""Suite ``redis``: the cache and queue the architecture promises, verified on a real server.

Values are read with ``INFO`` where possible (managed services block ``CONFIG``); nothing is written.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
import redis
from packaging.version import Version

from stackcheck.catalog import redis as checks
from stackcheck.probes.redis import (
    AclUser,
    acl_user,
    config_get,
    format_size,
    parse_redis_size,
    session_user,
    unauthenticated_client,
)
from stackcheck.probes.redis_ttl import CLOCK_SLACK_S, KeyTtl, key_label, sample_ttls
from stackcheck.testing import (
    CouldNotCheck,
    EvidenceRecorder,
    Profile,
    RedisSection,
    RedisServer,
    RedisTtl,
    UsageError,
    profile_of,
    require,
    version_specifier,
)

LISTED_KEYS = 10  # violating keys named in the evidence, per kind


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    profile = profile_of(metafunc.config)
    ttls = profile.redis.ttls if profile and profile.redis else []
    if "ttl_rule" in metafunc.fixturenames and ttls:
        metafunc.parametrize("ttl_rule", ttls, ids=[t.pattern for t in ttls])


@pytest.fixture
def ttl_rule() -> RedisTtl | None:
    """Replaced by one parameter per ``redis.ttls`` entry."""
    return None


@pytest.fixture
def redis_section(profile: Profile) -> RedisSection:
    """The profile's ``redis`` section (the plugin already skipped the check when it is absent)."""
    return require(profile.redis, "profile has no `redis` section")


def _size(value: str | int, key: str) -> int:
    try:
        return parse_redis_size(value)
    except ValueError as exc:
        raise UsageError(f"{key}: {exc}") from None


@pytest.mark.check(checks.VERSION)
def test_server_version_satisfies_requirement(
    redis_section: RedisSection,
    redis_client: redis.Redis,
    redis_server: RedisServer,
    evidence: EvidenceRecorder,
) -> None:
    wanted = require(redis_section.version, "redis.version is not set")
    info = redis_client.info("server")
    version = str(info["redis_version"])
    evidence.record(
        expected=wanted,
        observed=version,
        op="in",
        mode=info.get("redis_mode"),
        provider=redis_server.provider,
        server=redis_server.where,
    )
    evidence.message = f"Redis {version} satisfies {wanted}"
    assert Version(version) in version_specifier(wanted), f"Redis {version} does not satisfy {wanted}"


@pytest.mark.check(checks.EVICTION)
def test_eviction_policy(
    redis_section: RedisSection, redis_client: redis.Redis, evidence: EvidenceRecorder
) -> None:
    wanted = require(redis_section.maxmemory_policy, "redis.maxmemory_policy is not set")
    info = redis_client.info("memory")
    policy, limit = str(info["maxmemory_policy"]), int(info["maxmemory"])
    evidence.record(expected=wanted, observed=policy, op="==", maxmemory=limit)
    evidence.message = f"maxmemory-policy {policy} with maxmemory {limit} bytes"
    assert policy == wanted, f"maxmemory-policy is {policy}, the profile says {wanted}"
    assert wanted == "noeviction" or limit > 0, (
        f"maxmemory-policy is {policy} but maxmemory is 0 (no limit), so nothing is ever evicted"
    )


@pytest.mark.check(checks.PERSISTENCE)
def test_persistence_as_profile_says(
    redis_section: RedisSection, redis_client: redis.Redis, evidence: EvidenceRecorder
) -> None:
    wants = {
        "appendonly": redis_section.appendonly,
        "appendfsync": redis_section.appendfsync,
        "rdb_snapshots": redis_section.rdb_snapshots,
    }
    expected = {k: v for k, v in wants.items() if v is not None}
    if not expected:
        pytest.skip("none of redis.appendonly, redis.appendfsync, redis.rdb_snapshots is set")
    info = redis_client.info("persistence")
    # INFO works for every user; CONFIG GET (appendfsync, save) is often denied (managed services, ACL
    # users with -config). What INFO shows is judged either way; only what neither can tell is an error.
    observed: dict[str, object] = {"appendonly": bool(int(info.get("aof_enabled", 0)))}
    unreadable: dict[str, CouldNotCheck] = {}
    readers: dict[str, Callable[[], object]] = {
        "appendfsync": lambda: config_get(redis_client, "appendfsync"),
        "rdb_snapshots": lambda: bool(config_get(redis_client, "save").strip()),
    }
    for key, read in readers.items():
        if key in expected:
            try:
                observed[key] = read()
            except CouldNotCheck as exc:
                unreadable[key] = exc
    known = {k: observed[k] for k in expected if k in observed}
    evidence.record(
        expected=expected,
        observed=known,
        op="==",
        aof_last_write_status=info.get("aof_last_write_status"),
        rdb_last_bgsave_status=info.get("rdb_last_bgsave_status"),
        unreadable={k: str(v) for k, v in unreadable.items()},
    )
    evidence.message = ", ".join(f"{k} {v}" for k, v in known.items())
    for key, value in known.items():
        assert value == expected[key], f"{key} is {value}, the profile says {expected[key]}"
    if observed["appendonly"]:
        status = info.get("aof_last_write_status", "ok")
        assert status == "ok", f"AOF is on but its last write failed (aof_last_write_status {status})"
    if observed.get("rdb_snapshots"):
        status = info.get("rdb_last_bgsave_status", "ok")
        assert status == "ok", (
            f"RDB snapshots are on but the last one failed (rdb_last_bgsave_status {status})"
        )
    if unreadable:
        first = next(iter(unreadable.values()))
        judged = f"; {evidence.message} as the profile says" if known else ""
        raise CouldNotCheck(f"{', '.join(unreadable)} cannot be read: {first}{judged}", first.reason)


@pytest.mark.check(checks.MAXMEMORY)
def test_maxmemory_equals_profile(
    redis_section: RedisSection, redis_client: redis.Redis, evidence: EvidenceRecorder
) -> None:
    wanted = redis_section.maxmemory
    if wanted is None:  # the spec's requires already skipped it; this narrows the type
        pytest.skip("redis.maxmemory is not set")
    wanted_bytes = _size(wanted, "redis.maxmemory")
    limit = int(redis_client.info("memory")["maxmemory"])
    evidence.record(
        expected=str(wanted),
        observed=format_size(limit, wanted),
        op="==",
        expected_bytes=wanted_bytes,
        observed_bytes=limit,
    )
    evidence.message = f"maxmemory {format_size(limit, wanted)} ({limit} bytes)"
    assert limit == wanted_bytes, f"maxmemory is {format_size(limit, wanted)}, the profile says {wanted}"


@pytest.mark.check(checks.AUTH)
def test_unauthenticated_command_refused(
    redis_section: RedisSection,
    redis_server: RedisServer,
    evidence: EvidenceRecorder,
) -> None:
    # No authenticated client here: a URL without the password must not stop this check from judging.
    if not redis_section.require_auth:
        pytest.skip("redis.require_auth is false")
    anonymous = unauthenticated_client(redis_server.url)
    try:
        anonymous.ping()
        outcome, reason = "accepted", "PING answered PONG without credentials"
    except redis.AuthenticationError as exc:
        outcome, reason = "refused", str(exc)
    except redis.ResponseError as exc:
        if "NOAUTH" not in str(exc) and "NOPERM" not in str(exc):
            raise
        outcome, reason = "refused", str(exc)
    finally:
        anonymous.close()
    evidence.record(expected="refused", observed=outcome, op="==", reply=reason)
    evidence.message = f"an unauthenticated PING was refused ({reason})"
    assert outcome == "refused", (
        "Redis answers commands without authentication (set requirepass or ACL users)"
    )


def _acl_state(user: AclUser | None) -> str:
    return "missing" if user is None else "on" if user.enabled else "off"


@pytest.mark.check(checks.ACL)
def test_acl_default_user_disabled_and_named_users_enabled(
    redis_section: RedisSection, redis_client: redis.Redis, evidence: EvidenceRecorder
) -> None:
    expected: dict[str, str] = {"default": "off"} if redis_section.default_user == "disabled" else {}
    expected |= dict.fromkeys(redis_section.acl_users, "on")
    me = session_user(redis_client)
    evidence.record(expected=expected, op="==", session_user=me)
    if "default" in expected and me == "default":
        # stackcheck itself is logged in as the default user: it is enabled, whatever ACL GETUSER may say.
        evidence.record(observed={"default": "on"})
        raise AssertionError(
            "the default user is enabled: stackcheck logged in as it (ACL SETUSER default off, and log in "
            "as a named user in redis.url)"
        )
    users = {name: acl_user(redis_client, name) for name in expected}
    observed = {name: _acl_state(user) for name, user in users.items()}
    if observed.get("default") == "missing":
        observed["default"] = "off"  # no default user at all: nobody logs in without a name
    nopass = sorted(n for n, u in users.items() if u and u.enabled and u.nopass and n != "default")
    evidence.record(
        observed=observed,
        flags={name: list(user.flags) for name, user in users.items() if user is not None},
        nopass=nopass,
    )
    problems = []
    for name, want in expected.items():
        got = observed[name]
        if got == want:
            continue
        if name == "default" and want == "off":
            problems.append("the default user is enabled (ACL SETUSER default off)")
        elif got == "missing":
            problems.append(f"ACL user {name} does not exist")
        else:
            problems.append(f"ACL user {name} exists but is disabled (off)")
    evidence.message = ", ".join(f"{n} {state}" for n, state in observed.items())
    if nopass:
        evidence.message += f" ({', '.join(nopass)}: nopass, any password logs in)"
    assert not problems, "; ".join(problems)


def _too_long(key: KeyTtl, max_s: int) -> bool:
    # Remaining TTL above max_s: set above it. remaining + idle is a lower bound of the TTL it was set with
    # (idle <= age), so above max_s (plus the LRU clock's slack) it was set too long too.
    bound = key.set_at_least_s
    return key.remaining_s is not None and (
        key.remaining_s > max_s or (bound is not None and bound > max_s + CLOCK_SLACK_S)
    )


@pytest.mark.check(checks.TTL)
def test_keys_of_pattern_expire_within_max(
    ttl_rule: RedisTtl | None,
    redis_section: RedisSection,
    redis_client: redis.Redis,
    evidence: EvidenceRecorder,
) -> None:
    rule = require(ttl_rule, "redis.ttls lists no key pattern")
    sample = sample_ttls(redis_client, rule.pattern, redis_section.ttl_sample)
    keys = sample.keys
    persistent = [k for k in keys if k.remaining_s is None]
    too_long = [k for k in keys if rule.max_s is not None and _too_long(k, rule.max_s)]
    remaining = [k.remaining_s for k in keys if k.remaining_s is not None]
    bounds = [b for k in keys if (b := k.set_at_least_s) is not None]

    def label(key: KeyTtl) -> str:
        return key_label(key.key, rule.pattern, rule.show_keys)

    expected: dict[str, object] = {"expires": True, "max_s": rule.max_s}
    if rule.min_s is not None:
        expected["min_s"] = rule.min_s
    evidence.record(
        expected=expected,
        observed={
            "sampled": len(keys),
            "without_expiry": len(persistent),
            "above_max": len(too_long),
            "max_remaining_s": round(max(remaining), 1) if remaining else None,
        },
        op="<=",
        pattern=rule.pattern,
        max_set_at_least_s=round(max(bounds), 1) if bounds else None,
        min_remaining_s=round(min(remaining), 1) if remaining else None,
        keys_without_expiry=[
            key_label(k.key, rule.pattern, rule.show_keys) for k in persistent[:LISTED_KEYS]
        ],
        keys_above_max={label(k): round(k.set_at_least_s or 0, 1) for k in too_long[:LISTED_KEYS]},
        scan_calls=sample.scan_calls,
        scan_complete=sample.complete,
        vanished=sample.vanished,
        idle_unreadable=sample.idle_unreadable,
        min_s_judged=False,
    )
    scope = "every matching key" if sample.complete else f"a sample ({sample.scan_calls} SCAN calls)"
    if not keys:
        if rule.require_keys:
            evidence.message = f"no key matches {rule.pattern}"
            raise AssertionError(f"no key matches {rule.pattern} ({scope}), and require_keys is set")
        pytest.skip(f"no key matches {rule.pattern} ({scope}): nothing to judge (require_keys: fail instead)")
    longest = f"{max(remaining):.0f} s" if remaining else "none"
    evidence.message = f"{len(keys)} keys of {rule.pattern} read ({scope}); longest remaining TTL {longest}"
    problems = []
    if persistent:
        problems.append(f"{len(persistent)} of {len(keys)} keys of {rule.pattern} have no TTL (never expire)")
    if too_long:
        worst = max(k.set_at_least_s or 0 for k in too_long)
        problems.append(
            f"{len(too_long)} of {len(keys)} keys of {rule.pattern} were set with a TTL above {rule.max_s} s "
            f"(up to at least {worst:.0f} s)"
        )
    assert not problems, "; ".join(problems)
