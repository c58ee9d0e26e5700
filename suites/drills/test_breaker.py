"""Suite ``drills``, circuit breaker and timeouts: the service under toxiproxy's faults, timed from outside.

For each dependency of ``resilience.dependencies`` stackcheck launches a fresh instance of the service
(``service.command``, fixture ``proxied_service``) with toxiproxy between it and the run's Postgres/Redis,
then makes the dependency slow (``latency`` toxic) or hung (``timeout`` toxic) and times the answers of
``resilience.path`` and of the health endpoint. An answer in under half of the dependency's timeout
(``resilience.dependency_timeout_ms`` / ``timeouts_ms``) did not wait on it (docs/suites/drills-breaker.md).
"""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest

from stackcheck.catalog import breaker as checks
from stackcheck.probes.breaker import (
    Answer,
    Fault,
    count_until_open,
    fault_latency_ms,
    timed_get,
    wait_for_success,
    wait_for_trial,
    waited_threshold_ms,
)
from stackcheck.testing import (
    CouldNotCheck,
    ErrorReason,
    EvidenceRecorder,
    HttpProbe,
    Profile,
    ProxiedService,
    ResilienceSection,
    profile_of,
    require,
)

POLL_S = 0.25
EXTRA_CALLS = 3  # calls beyond breaker_failures before "it never opened"


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    profile = profile_of(metafunc.config)
    if "dependency" not in metafunc.fixturenames or profile is None or profile.resilience is None:
        return
    deps = profile.resilience.dependencies
    metafunc.parametrize("dependency", [pytest.param(d, id=d, marks=pytest.mark.services(d)) for d in deps])


@pytest.fixture
def dependency() -> str | None:
    """Replaced by one parameter per ``resilience.dependencies`` entry."""
    return None


def _section(profile: Profile) -> ResilienceSection:
    return require(profile.resilience, "profile has no `resilience` section")


def _proxied(request: pytest.FixtureRequest, name: str) -> ProxiedService:
    proxied: ProxiedService = request.getfixturevalue("proxied_service")
    if name not in proxied.proxies:
        raise CouldNotCheck(
            f"service.command is not wired to {name} ({{postgres_dsn}} / {{redis_url}}): the drill cannot "
            "put toxiproxy between them",
            ErrorReason.UNEXPECTED_ANSWER,
        )
    return proxied


def _probe(proxied: ProxiedService, timeout_ms: float) -> HttpProbe:
    # The client waits past the injected latency, so that "no breaker" shows as a slow answer, not a timeout.
    timeout_s = fault_latency_ms(timeout_ms) / 1000 + 5
    service = proxied.service
    return HttpProbe(service.url, timeout_s=timeout_s, deadline_s=timeout_s, verify=service.ca_bundle or True)


def _baseline(http: HttpProbe, path: str) -> Answer:
    answer = timed_get(http, path)
    if not answer.ok:
        raise CouldNotCheck(
            f"GET {path} answered {answer.status} before any fault: the drill needs it to answer 2xx while "
            "the dependencies are healthy (resilience.path)",
            ErrorReason.UNEXPECTED_ANSWER,
        )
    return answer


def _ms(answers: list[Answer]) -> list[float]:
    return [round(a.elapsed_ms) for a in answers]


class Drill:
    """One breaker drill: the dependency, the promise, the call, and where the evidence goes."""

    def __init__(
        self,
        name: str,
        what: str,
        promise: tuple[int, float, float],
        proxied: ProxiedService,
        fetch: Callable[[], Answer],
        evidence: EvidenceRecorder,
    ) -> None:
        self.name, self.what = name, what
        self.failures_max, self.open_s, self.timeout_ms = promise  # failures, open period s, timeout ms
        self.proxied, self.fetch, self.evidence = proxied, fetch, evidence

    @property
    def bound_s(self) -> float:
        """Latest a trial may come after opening: 1.5 x the open period + 2 s (+ one timeout)."""
        return 1.5 * self.open_s + 2 + self.timeout_ms / 1000

    def judge_trial(self, half_open_s: float | None) -> None:
        """The trial came, after about the open period."""
        assert half_open_s is not None, (
            f"the breaker never let a trial call through within {self.bound_s:g} s of opening "
            f"(breaker_open_s {self.open_s:g} s): it stays open"
        )
        assert 0.5 * self.open_s <= half_open_s <= self.bound_s, (
            f"the breaker tried again {half_open_s:g} s after it opened, not after about {self.open_s:g} s "
            "(resilience.breaker_open_s, judged within 0.5x to 1.5x + 2 s)"
        )

    def closes(self, since: float) -> tuple[Answer | None, bool]:
        """Poll (fault removed) until 2xx and confirm; record it. The first success and whether it held."""
        first_ok, confirmed = wait_for_success(self.fetch, self.bound_s + self.timeout_ms / 1000, POLL_S)
        closed = first_ok is not None and all(a.ok for a in confirmed)
        self.evidence.record(
            closed_again=closed, closed_after_s=round(first_ok.started - since, 2) if first_ok else None
        )
        return first_ok, closed


@pytest.mark.check(checks.CIRCUIT_BREAKER)
def test_breaker_opens_after_n_failures_tries_again_after_the_open_period_and_closes(
    dependency: str | None, request: pytest.FixtureRequest, profile: Profile, evidence: EvidenceRecorder
) -> None:
    name = require(dependency, "resilience.dependencies lists no dependency")
    rs = _section(profile)
    failures_max = require(rs.breaker_failures, "resilience.breaker_failures is not set")
    open_s = require(rs.breaker_open_s, "resilience.breaker_open_s is not set")
    timeout_ms = rs.timeout_ms(name)
    proxied = _proxied(request, name)
    evidence.record(expected=failures_max, unit="failures", op="<=", dependency=name, fault=rs.fault)
    with _probe(proxied, timeout_ms) as http:

        def fetch() -> Answer:  # the phases take the call as a function
            return timed_get(http, rs.path)

        baseline = _baseline(http, rs.path)
        evidence.record(baseline_ms=round(baseline.elapsed_ms), dependency_timeout_ms=timeout_ms)
        promise = (failures_max, open_s, timeout_ms)
        drill = Drill(name, f"GET {rs.path}", promise, proxied, fetch, evidence)
        if rs.fault == "down":
            _refused_connections(drill)
        else:
            _slow_dependency(drill, rs.fault)


def _slow_dependency(d: Drill, fault: Fault) -> None:
    """Latency or hang: calls wait until the breaker opens (fast answers), one trial waits, then it closes."""
    d.proxied.inject(d.name, fault, fault_latency_ms(d.timeout_ms))
    try:
        failed, first_fast = count_until_open(d.fetch, d.timeout_ms, d.failures_max + EXTRA_CALLS, d.what)
        d.evidence.record(observed=len(failed) if first_fast else None, failure_ms=_ms(failed))
        assert first_fast is not None, (
            f"the breaker did not open: all {len(failed)} calls of {d.what} waited on {d.name} (each >= "
            f"{d.timeout_ms / 2:g} ms, {max(_ms(failed))} ms at most) while it was faulted, none was "
            f"refused fast (no breaker, or one opening later than breaker_failures {d.failures_max})"
        )
        opened_at = failed[-1].ended
        waited_ms = waited_threshold_ms(failed, d.timeout_ms)
        still_open = [first_fast] + [d.fetch() for _ in range(2)]
        d.evidence.record(open_ms=_ms(still_open), open_status=sorted({a.status or 0 for a in still_open}))
        assert len(failed) <= d.failures_max, (
            f"the breaker opened after {len(failed)} failed calls, not after {d.failures_max} "
            "(resilience.breaker_failures)"
        )
        assert not any(a.waited(waited_ms) for a in still_open), (
            f"once open, {d.what} waited again at once: {_ms(still_open)} ms (a failing call took "
            f">= {waited_ms:.0f} ms)"
        )
        trial, refused = wait_for_trial(d.fetch, waited_ms, d.bound_s, POLL_S)
        half_open_s = round(trial.started - opened_at, 2) if trial else None
        reopened = not d.fetch().waited(waited_ms) if trial else None
        d.evidence.record(
            open_s=d.open_s,
            half_open_s=half_open_s,
            reopened_after_failed_trial=reopened,
            refused_while_open=len(refused) + len(still_open),
            refused_max_ms=max(_ms(refused + still_open)),
        )
    finally:
        d.proxied.clear(d.name)
    first_ok, closed = d.closes(time.monotonic())
    d.judge_trial(half_open_s)
    assert reopened, f"after its trial call failed, the breaker did not open again: {d.what} waited"
    assert closed, f"once {d.name} was healthy again, {d.what} did not answer 2xx again" + (
        "" if first_ok else f" within {d.bound_s:g} s"
    )
    d.evidence.message = (
        f"opened after {len(failed)} failed calls (each ~{max(_ms(failed))} ms); open answers "
        f"{max(_ms(still_open + refused))} ms at most; trial after {half_open_s:g} s "
        f"(breaker_open_s {d.open_s:g}); closed again once {d.name} was back"
    )


def _refused_connections(d: Drill) -> None:
    """Down: calls fail fast either way, so the breaker shows once the dependency is back: still 503 (open)
    until its trial, about the open period after the last failure, succeeds."""
    d.proxied.inject(d.name, "down")
    try:
        failed = [d.fetch() for _ in range(d.failures_max)]
    finally:
        d.proxied.clear(d.name)
    opened_at = failed[-1].ended
    answered = [a for a in failed if a.ok]
    if answered:
        raise CouldNotCheck(
            f"{d.what} answered {answered[0].status} while {d.name} refused connections: it does not use the "
            "dependency (set resilience.path to an endpoint that does)",
            ErrorReason.UNEXPECTED_ANSWER,
        )
    back = d.fetch()  # the dependency accepts connections again: an open breaker still refuses
    d.evidence.record(
        observed=d.failures_max if not back.ok else None,
        failure_ms=_ms(failed),
        status_once_back=back.status,
        open_s=d.open_s,
    )
    assert not back.ok, (
        f"the breaker did not open: after {d.failures_max} calls failed on refused connections, {d.what} "
        f"answered {back.status} at once when {d.name} was back (no breaker, or one opening later)"
    )
    first_ok, closed = d.closes(opened_at)
    half_open_s = round(first_ok.started - opened_at, 2) if first_ok else None
    d.evidence.record(half_open_s=half_open_s)
    d.judge_trial(half_open_s)
    assert closed, f"{d.what} answered 2xx once, then not again: {d.name} is healthy, the breaker flaps"
    d.evidence.message = (
        f"after {d.failures_max} calls failed on refused connections, {d.what} kept answering {back.status} "
        f"once {d.name} was back, until its trial {half_open_s:g} s after opening (breaker_open_s "
        f"{d.open_s:g}); closed again"
    )


@pytest.mark.check(checks.DEPENDENCY_TIMEOUT)
def test_health_answers_within_its_bound_and_the_path_gives_up_while_a_dependency_hangs(
    dependency: str | None, request: pytest.FixtureRequest, profile: Profile, evidence: EvidenceRecorder
) -> None:
    name = require(dependency, "resilience.dependencies lists no dependency")
    rs = _section(profile)
    bound_ms = require(rs.health_timeout_ms, "resilience.health_timeout_ms is not set")
    ready = profile.health.ready if profile.health else None
    health_path = require(rs.health_path or ready, "neither resilience.health_path nor health.ready is set")
    timeout_ms = rs.timeout_ms(name)
    proxied = _proxied(request, name)
    with _probe(proxied, max(timeout_ms, bound_ms)) as http:
        _baseline(http, rs.path)
        _baseline(http, health_path)
        proxied.inject(name, "hang")
        try:
            health = timed_get(http, health_path)
            path = timed_get(http, rs.path)
        finally:
            proxied.clear(name)
    path_bound_ms = 1.5 * timeout_ms + 1000
    evidence.record(
        expected=bound_ms,
        observed=round(health.elapsed_ms) if health.status is not None else None,
        unit="ms",
        op="<=",
        dependency=name,
        health_path=health_path,
        health_status=health.status,
        path=rs.path,
        path_status=path.status,
        path_ms=round(path.elapsed_ms),
        path_bound_ms=path_bound_ms,
    )
    assert health.status is not None, (
        f"GET {health_path} gave no answer in {health.elapsed_ms / 1000:.1f} s while {name} hung "
        f"(bound {bound_ms:g} ms): the health check waits on the dependency without a timeout"
    )
    assert health.elapsed_ms <= bound_ms, (
        f"GET {health_path} took {health.elapsed_ms:.0f} ms while {name} hung (bound {bound_ms:g} ms)"
    )
    if health_path == ready:
        assert not health.ok, (
            f"GET {health_path} answered {health.status} while {name} hung: it hides the hang"
        )
    assert path.status is not None and path.elapsed_ms <= path_bound_ms, (
        f"GET {rs.path} answered only after {path.elapsed_ms:.0f} ms while {name} hung: no dependency "
        f"timeout (its resilience timeout is {timeout_ms:g} ms, judged with 1.5x + 1 s)"
    )
    evidence.message = (
        f"while {name} hung, {health_path} answered {health.status} in {health.elapsed_ms:.0f} ms (bound "
        f"{bound_ms:g} ms) and {rs.path} gave up after {path.elapsed_ms:.0f} ms"
    )
