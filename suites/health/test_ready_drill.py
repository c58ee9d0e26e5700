"""Suite ``health``, the readiness fault drill: /ready must reflect each dependency; /live must not.

stackcheck starts the service itself (profile ``service.command``, fixture ``launched_service``) wired to the
run's throwaway Postgres and Redis, and to a loopback relay in front of each other dependency
(``{dep_NAME}``), then interrupts each dependency in ``health.ready_dependencies`` in turn: the server
itself for Postgres and Redis, the relay for the others.
"""

from __future__ import annotations

import time

import pytest

from stackcheck.catalog import health as checks
from stackcheck.probes.http import HttpProbe
from stackcheck.testing import (
    CouldNotCheck,
    ErrorReason,
    EvidenceRecorder,
    HealthSection,
    LaunchedService,
    PostgresServer,
    Profile,
    RedisServer,
    Relay,
    ServiceSession,
    profile_of,
    require,
    wait_until,
)

POLL_S = 0.2


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    profile = profile_of(metafunc.config)
    if "dependency" not in metafunc.fixturenames or profile is None or profile.health is None:
        return
    deps = profile.health.ready_dependencies
    if deps:
        params = [
            pytest.param(d, id=d, marks=pytest.mark.services(d))
            if isinstance(d, str)
            else pytest.param(d.name, id=d.name)
            for d in deps
        ]
        metafunc.parametrize("dependency", params)


@pytest.fixture
def dependency() -> str | None:
    """Replaced by one parameter per ``health.ready_dependencies`` entry (its name)."""
    return None


def _interrupted(request: pytest.FixtureRequest, name: str) -> PostgresServer | RedisServer | Relay:
    """What the drill stops or pauses for dependency ``name``: the run's server, or the relay before it."""
    if name in ("postgres", "redis"):
        services: ServiceSession = request.getfixturevalue("services")
        return services.postgres() if name == "postgres" else services.redis()
    relays: dict[str, Relay] = request.getfixturevalue("dependency_relays")
    relay = relays[name]
    relay.check_upstream()
    return relay


def _is_2xx(status: int) -> bool:
    return 200 <= status < 300


@pytest.mark.check(checks.READY_DEPENDENCIES)
def test_ready_turns_non_2xx_while_a_dependency_is_down_and_back_after(
    dependency: str | None,
    request: pytest.FixtureRequest,
    profile: Profile,
    evidence: EvidenceRecorder,
) -> None:
    name = require(dependency, "health.ready_dependencies lists no dependency to interrupt")
    health: HealthSection = require(profile.health, "profile has no `health` section")
    ready = require(health.ready, "health.ready is not set")
    live = require(health.live, "health.live is not set")
    server = _interrupted(request, name)
    if not server.managed:
        pytest.skip(f"{name} was not started by stackcheck (--infra external): it is never interrupted")
    if profile.service is None:
        pytest.skip("profile has no `service` section")
    service: LaunchedService = request.getfixturevalue("launched_service")
    bound = health.ready_recovery_s
    mode = health.drill
    with HttpProbe(service.url, timeout_s=5, verify=service.ca_bundle or True) as http:
        before = http.get(ready).status
        if not _is_2xx(before):
            raise CouldNotCheck(
                f"GET {ready} answered {before} before the drill; readiness cannot be drilled",
                ErrorReason.UNEXPECTED_ANSWER,
            )
        live_statuses: list[int] = []

        def ready_down() -> bool:
            live_statuses.append(http.get(live).status)
            return not _is_2xx(http.get(ready).status)

        interrupted_at = time.monotonic()
        (server.stop if mode == "stop" else server.pause)()
        try:
            went_down = wait_until(ready_down, bound, POLL_S, what=f"{ready} to turn non-2xx")
            down_s = time.monotonic() - interrupted_at
        finally:
            (server.start if mode == "stop" else server.resume)()
        restored_at = time.monotonic()
        came_back = wait_until(
            lambda: _is_2xx(http.get(ready).status), bound, POLL_S, what=f"{ready} to answer 2xx again"
        )
        up_s = time.monotonic() - restored_at

    verb = "stopped" if mode == "stop" else "paused"
    evidence.record(
        expected=bound,
        observed=round(down_s, 2) if went_down else None,
        unit="s",
        op="<=",
        dependency=name,
        drill=mode,
        recovery_s=round(up_s, 2) if came_back else None,
        live_statuses=sorted(set(live_statuses)),
        service_url=service.url,
        **({"relayed": server.upstream, "relay": server.address} if isinstance(server, Relay) else {}),
    )
    bad_live = sorted({s for s in live_statuses if s != 200})
    assert not bad_live, (
        f"GET {live} answered {bad_live} while {name} was {verb}: liveness must not follow it"
    )
    assert went_down, f"GET {ready} kept answering 2xx for {bound:g} s after {name} was {verb}"
    assert came_back, f"GET {ready} did not return to 2xx within {bound:g} s after {name} came back"
    evidence.message = (
        f"{ready} went non-2xx {down_s:.1f} s after {name} was {verb}, back to 2xx {up_s:.1f} s after it "
        f"returned; {live} stayed 200"
    )
