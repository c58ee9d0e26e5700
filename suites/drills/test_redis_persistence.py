"""Suite ``drills``, the Redis persistence drill: what a Redis with AOF acknowledged survives a crash.

On the run's own Redis (``--infra docker|local``, never ``--infra external``): ``KEYS`` keys are written, the
drill waits for the fsync the profile's ``redis.appendfsync`` implies, the server is killed with SIGKILL (no
shutdown, no final save), started again on the same data directory, and every key must be back with its
value. A profile that says persistence is off (``redis.appendonly: false``: a cache) is ``skipped``, saying
so: there is nothing to recover, and losing the keys is what it promised.
"""

from __future__ import annotations

import secrets
import threading
import time

import pytest
import redis

from stackcheck.catalog import drills as checks
from stackcheck.testing import (
    CouldNotCheck,
    ErrorReason,
    EvidenceRecorder,
    Profile,
    RedisSection,
    RedisServer,
    require,
)

KEYS = 1000  # keys written: enough to span several AOF writes, small enough to write in well under a second
BATCH = 200  # keys per pipeline (and per MGET when reading them back)
TIMEOUT_S = 10
# What the drill waits between the last acknowledged write and the kill, per appendfsync. `always` fsyncs
# before answering; `everysec` within a second (Redis may hold a write back up to 2 s while an fsync is
# slow); `no` leaves it to the kernel, whose page cache a process kill does not lose either.
FSYNC_WAIT_S = {"always": 0.0, "everysec": 2.5, "no": 2.5}


def _client(server: RedisServer) -> redis.Redis:
    return redis.Redis.from_url(server.url, socket_connect_timeout=TIMEOUT_S, socket_timeout=TIMEOUT_S)


def _present(client: redis.Redis, keys: list[str], value: bytes) -> int:
    """How many of ``keys`` hold ``value``."""
    found = 0
    for start in range(0, len(keys), BATCH):
        values = client.mget(keys[start : start + BATCH])
        found += sum(v == value for v in values)
    return found


@pytest.mark.check(checks.REDIS_PERSISTENCE)
def test_keys_survive_a_kill_9_and_a_restart_on_the_same_data_directory(
    profile: Profile, request: pytest.FixtureRequest, evidence: EvidenceRecorder
) -> None:
    section: RedisSection = require(profile.redis, "profile has no `redis` section")
    if section.appendonly is False:
        if section.rdb_snapshots:
            pytest.skip(
                "redis.appendonly: false: only RDB snapshots are promised, and a kill -9 loses the writes "
                "since the last one by design; the drill verifies AOF"
            )
        pytest.skip("persistence off (redis.appendonly: false): a cache only, nothing to recover")
    # Only now: a cache-only profile starts no server for this drill (stackcheck.infra.select).
    redis_server: RedisServer = request.getfixturevalue("redis_server")
    if not redis_server.managed:
        pytest.skip("Redis was not started by stackcheck (--infra external): it is never killed")
    fsync = section.appendfsync or "everysec"  # Redis's default
    tag = secrets.token_hex(6)
    keys = [f"stackcheck:drill:{tag}:{i}" for i in range(KEYS)]
    value = f"stackcheck-drill-{tag}".encode()
    client = _client(redis_server)
    try:
        try:
            for start in range(0, KEYS, BATCH):
                pipe = client.pipeline(transaction=False)
                for key in keys[start : start + BATCH]:
                    pipe.set(key, value)
                pipe.execute()
        except redis.RedisError as exc:
            raise CouldNotCheck(
                f"cannot write the drill's keys to {redis_server.display}: {exc}", ErrorReason.UNREACHABLE
            ) from None
        finally:
            client.close()
        threading.Event().wait(FSYNC_WAIT_S[fsync])
        redis_server.kill()
        restarted_at = time.monotonic()
        redis_server.start()  # waits until the server answers again (CouldNotCheck if it does not)
        back_s = time.monotonic() - restarted_at
        client = _client(redis_server)
        try:
            recovered = _present(client, keys, value)
        except redis.RedisError as exc:
            raise CouldNotCheck(
                f"cannot read the drill's keys back from {redis_server.display}: {exc}",
                ErrorReason.UNREACHABLE,
            ) from None
    finally:
        try:
            for start in range(0, KEYS, BATCH):  # the drill's keys are its own: leave the server as it was
                client.delete(*keys[start : start + BATCH])
        except redis.RedisError:
            pass  # a server that did not come back: nothing to clean, the error above says why
        finally:
            client.close()

    evidence.record(
        expected=KEYS,
        observed=recovered,
        unit="keys",
        op="==",
        keys_written=KEYS,
        keys_recovered=recovered,
        keys_lost=KEYS - recovered,
        appendfsync=fsync,
        fsync_wait_s=FSYNC_WAIT_S[fsync],
        back_s=round(back_s, 2),
        provider=redis_server.provider,
    )
    assert recovered == KEYS, (
        f"{KEYS - recovered} of {KEYS} keys were lost after a kill -9 and a restart of Redis "
        "(redis.appendonly: true promises them): the server runs without AOF, or on a data directory "
        "that does not outlive the process"
    )
    evidence.message = (
        f"all {KEYS} keys back after a kill -9 (appendfsync {fsync}); Redis answered again "
        f"{back_s:.1f} s after the restart"
    )
