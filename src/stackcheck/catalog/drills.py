"""Checks of the ``drills`` suite: recovery promises exercised on real processes stackcheck started itself.

Each drill ends or kills something (a service it launched, a Redis it started) and measures what the
architecture promised about the way back; none ever touches a server or service it did not start.
"""

from __future__ import annotations

from stackcheck.catalog.spec import CheckSpec, Requires, Severity, SuiteName

SIGTERM = CheckSpec(
    id="drill.sigterm",
    title="On SIGTERM the service finishes its in-flight requests, takes no new ones and exits 0 in time",
    severity=Severity.HIGH,
    requires=(
        Requires(
            keys=("service.drain_path",),
            reason="service.drain_path names no slow endpoint to hold requests in flight on",
        ),
    ),
    reads=("service.drain_s", "service.drain_requests"),
    remediation=(
        "Handle SIGTERM: stop accepting connections (or answer 503), let the in-flight requests finish, "
        "then exit with code 0 within service.drain_s (gunicorn --graceful-timeout, uvicorn's shutdown)."
    ),
    fails_on=(
        "defect:no-drain",
        "defect:drain-exit-code",
        "test:tests/integration/test_drills_process.py::test_gunicorn_whose_graceful_timeout_is_shorter_than_a_request_fails",
    ),
    suite=SuiteName.DRILLS,
    section="service",  # the drill launches a service process of its own and ends it
    needs_target=False,
    controls=("SOC2:A1.2", "SOC2:A1.3"),
)

REDIS_PERSISTENCE = CheckSpec(
    id="drill.redis_persistence",
    title="Keys written to a Redis with AOF survive a kill -9 and a restart on the same data directory",
    severity=Severity.HIGH,
    requires=(
        Requires(
            keys=("redis.appendonly",),
            reason="redis.appendonly is not set: the profile promises no persistence to drill",
            any_of=True,  # appendonly: false is a statement of its own (cache only: skipped, saying so)
        ),
    ),
    reads=("redis.appendfsync", "redis.rdb_snapshots"),
    remediation=(
        "Run Redis with appendonly yes (and the appendfsync the architecture states) on a data directory "
        "that outlives the process, as the profile promises."
    ),
    fails_on=(
        "test:tests/integration/test_drills_process.py::test_a_redis_started_without_aof_loses_the_keys",
    ),
    suite=SuiteName.DRILLS,
    section="redis",
    needs_target=False,
    controls=("SOC2:A1.2", "SOC2:A1.3"),
)

CHECKS: tuple[CheckSpec, ...] = (SIGTERM, REDIS_PERSISTENCE)
