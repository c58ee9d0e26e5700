"""Suite ``health``: the probes that orchestrators, load balancers and blue-green switches rely on."""

from __future__ import annotations

import pytest

from stackcheck.catalog import health as checks
from stackcheck.probes.percentile import percentile
from stackcheck.testing import EvidenceRecorder, HealthSection, HttpProbe, Profile, profile_of, require


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    profile = profile_of(metafunc.config)
    health = profile.health if profile else None
    if "extra_path" in metafunc.fixturenames and health and health.extra:
        extra = list(dict.fromkeys(health.extra))
        metafunc.parametrize("extra_path", extra, ids=extra)
    if "probe_path" in metafunc.fixturenames and health:
        # One result per distinct path: live and ready often share one (`/health`).
        paths = list(dict.fromkeys(p for p in (health.live, health.ready, health.startup) if p))
        if paths:
            metafunc.parametrize("probe_path", paths, ids=paths)


@pytest.fixture
def extra_path() -> str | None:
    """Replaced by one parameter per ``health.extra`` endpoint; ``None`` when the profile lists none."""
    return None


@pytest.fixture
def probe_path() -> str | None:
    """Replaced by one parameter per configured probe endpoint (live, ready, startup)."""
    return None


@pytest.fixture
def health(profile: Profile) -> HealthSection:
    """The profile's ``health`` section (the plugin already skipped the check when it is absent)."""
    return require(profile.health, "profile has no `health` section")


def assert_answers_2xx(http: HttpProbe, path: str, evidence: EvidenceRecorder) -> None:
    """GET ``path`` once and require a 2xx status."""
    __tracebackhide__ = True
    exchange = http.get(path)
    evidence.record(
        expected="2xx", observed=exchange.status, url=exchange.url, elapsed_ms=round(exchange.elapsed_ms, 1)
    )
    evidence.message = f"GET {path} -> {exchange.status}"
    assert 200 <= exchange.status < 300, f"GET {path} answered {exchange.status}, not 2xx"


@pytest.mark.check(checks.LIVE)
def test_liveness_endpoint_answers_2xx(
    health: HealthSection, http: HttpProbe, evidence: EvidenceRecorder
) -> None:
    assert_answers_2xx(http, require(health.live, "health.live is not set"), evidence)


@pytest.mark.check(checks.READY)
def test_readiness_endpoint_answers_2xx(
    health: HealthSection, http: HttpProbe, evidence: EvidenceRecorder
) -> None:
    assert_answers_2xx(http, require(health.ready, "health.ready is not set"), evidence)


@pytest.mark.check(checks.STARTUP)
def test_startup_endpoint_answers_2xx(
    health: HealthSection, http: HttpProbe, evidence: EvidenceRecorder
) -> None:
    assert_answers_2xx(
        http, require(health.startup, "the profile names no health.startup endpoint"), evidence
    )


@pytest.mark.check(checks.EXTRA)
def test_each_extra_endpoint_answers_2xx(
    extra_path: str | None, http: HttpProbe, evidence: EvidenceRecorder
) -> None:
    assert_answers_2xx(http, require(extra_path, "the profile lists no health.extra endpoints"), evidence)


@pytest.mark.check(checks.LATENCY)
def test_health_endpoints_answer_within_max_latency(
    probe_path: str | None, health: HealthSection, http: HttpProbe, evidence: EvidenceRecorder
) -> None:
    bound = require(health.max_latency_ms, "health.max_latency_ms is not set")
    path = require(probe_path, "no health endpoint configured")
    warm_up = http.get(path)  # connection set-up is not the endpoint's latency
    evidence.record(expected=bound, op="<=", unit="ms")
    # The promise is a fast *answer*: the latency of a 404 or a redirect proves nothing about it.
    assert 200 <= warm_up.status < 300, (
        f"GET {path} answered {warm_up.status}, not 2xx: a fast error does not keep the latency promise"
    )
    exchanges = [http.get(path) for _ in range(health.samples)]
    bad = sorted({e.status for e in exchanges if not 200 <= e.status < 300})
    assert not bad, f"GET {path} answered {bad} during sampling, not only 2xx"
    samples = [e.elapsed_ms for e in exchanges]
    observed = percentile(samples, health.latency_percentile)
    pct = f"p{health.latency_percentile:g}"
    evidence.record(
        expected=bound,
        op="<=",
        observed=round(observed, 1),
        unit="ms",
        percentile=pct,
        samples=len(samples),
        p50_ms=round(percentile(samples, 50), 1),
        max_ms=round(max(samples), 1),
    )
    evidence.message = f"{pct} of GET {path} over {len(samples)} samples: {observed:.1f} ms"
    assert observed <= bound, f"{pct} of GET {path} is {observed:.1f} ms, above {bound:g} ms"
