"""Suite ``metrics``: the Prometheus exposition parses and carries what monitoring and the SLO need, and
the public side does not serve it when the profile says so (``metrics.public: false``)."""

from __future__ import annotations

import math

import pytest

from stackcheck.catalog import metrics as checks
from stackcheck.probes.exposure import REFUSALS, refused_all
from stackcheck.probes.metrics import (
    ACCEPT,
    Exposition,
    Malformed,
    exposition_format,
    find_family,
    latency_histogram,
    parse_exposition,
    unit_scale_ms,
)
from stackcheck.probes.metrics_exposure import PUBLIC_READ_BYTES, exposition_signs, public_variants
from stackcheck.testing import (
    CouldNotCheck,
    ErrorReason,
    EvidenceRecorder,
    Exchange,
    HttpProbe,
    MetricsSection,
    Profile,
    Target,
    require,
)


@pytest.fixture
def section(profile: Profile) -> MetricsSection:
    """The profile's ``metrics`` section (the plugin already skipped the check when it is absent)."""
    return require(profile.metrics, "profile has no `metrics` section")


@pytest.fixture(scope="module")
def scrape(request: pytest.FixtureRequest, target: Target, profile: Profile) -> Exchange:
    """One scrape of the metrics path (at most ``metrics.max_bytes``), shared by the suite, asking for
    OpenMetrics first as Prometheus does: from ``metrics.base_url`` when set, else from the target."""
    section = require(profile.metrics, "profile has no `metrics` section")
    if section.base_url is None:
        if not section.public:
            pytest.skip(
                "metrics.public is false and metrics.base_url is not set: the exposition is not on the "
                "target (set metrics.base_url to where stackcheck can scrape it)"
            )
        http: HttpProbe = request.getfixturevalue("http")
        return http.get(section.path, max_bytes=section.max_bytes, headers={"Accept": ACCEPT})
    verify = target.ca_bundle or True
    with HttpProbe(
        section.base_url, timeout_s=target.timeout_s, verify=verify, max_bytes=section.max_bytes
    ) as private:
        return private.get(section.path, headers={"Accept": ACCEPT})


def exposition_of(scrape: Exchange, evidence: EvidenceRecorder) -> Exposition:
    """The parsed exposition; a failed scrape or an unparsable text fails the calling check."""
    __tracebackhide__ = True
    assert scrape.status == 200, f"GET {scrape.url} answered {scrape.status}, not 200"
    if scrape.truncated:
        raise CouldNotCheck(
            f"the exposition at {scrape.url} is larger than {len(scrape.body):,} bytes: not read further "
            "(raise metrics.max_bytes to judge it)",
            ErrorReason.UNEXPECTED_ANSWER,
        )
    try:
        return parse_exposition(scrape.text, scrape.response.headers.get("content-type", ""))
    except Malformed as exc:
        evidence.record(observed="malformed", content_type=scrape.response.headers.get("content-type"))
        fmt = exposition_format(scrape.response.headers.get("content-type", ""))
        raise AssertionError(f"the {fmt} exposition at {scrape.url} is malformed: {exc}") from None


@pytest.mark.check(checks.EXPOSITION)
def test_metrics_path_serves_a_well_formed_exposition(scrape: Exchange, evidence: EvidenceRecorder) -> None:
    evidence.record(
        expected="200, well-formed",
        observed=scrape.status,
        content_type=scrape.response.headers.get("content-type"),
    )
    exposition = exposition_of(scrape, evidence)
    families = len(exposition.families)
    problems = [p.message for p in exposition.problems]
    evidence.record(
        observed=f"{families} families", families=families, format=exposition.format, problems=problems[:20]
    )
    assert not problems, (
        f"the {exposition.format} exposition at {scrape.url} parses but is malformed: "
        + "; ".join(problems[:5])
        + (f" (and {len(problems) - 5} more)" if len(problems) > 5 else "")
    )
    evidence.message = f"GET {scrape.url} -> {families} metric families ({exposition.format})"


@pytest.mark.check(checks.REQUIRED)
def test_required_metrics_are_exposed_with_their_types(
    scrape: Exchange, section: MetricsSection, evidence: EvidenceRecorder
) -> None:
    if not section.required:
        pytest.skip("metrics.required lists no metrics")
    evidence.record(expected=len(section.required), op=">=", unit="metrics", required=section.required)
    families = exposition_of(scrape, evidence).families
    problems, found = [], {}
    for name in section.required:
        family = find_family(families, name)
        want = section.types.get(name) or ("counter" if name.endswith("_total") else None)
        if family is None:
            problems.append(f"{name} is missing")
        elif want is not None and family.type != want:
            problems.append(f"{name} is {_a(family.type)}, not {_a(want)}")
        else:
            found[name] = family.type
    evidence.record(observed=len(found), found=found, problems=problems)
    assert not problems, "; ".join(problems)
    evidence.message = f"{len(found)} required metrics exposed with the expected types"


def _a(word: str) -> str:
    return f"{'an' if word[:1] in 'aeiou' else 'a'} {word}"


@pytest.mark.check(checks.LATENCY_HISTOGRAM)
def test_latency_histogram_has_a_bucket_at_the_slo_threshold(
    scrape: Exchange, section: MetricsSection, profile: Profile, evidence: EvidenceRecorder
) -> None:
    threshold_ms = section.latency_threshold_ms or (profile.slo.p95_ms if profile.slo else None)
    threshold_ms = require(
        threshold_ms, "no latency threshold: set metrics.latency_threshold_ms or slo.p95_ms"
    )
    evidence.record(expected=threshold_ms, unit="ms", op="==")
    exposition = exposition_of(scrape, evidence)
    histogram = latency_histogram(exposition.families, section.latency_histogram)
    which = section.latency_histogram or "a histogram named *duration* or *latency*"
    if histogram is None and section.latency_histogram is not None:
        # Named, and there, but not a histogram (a Go client's *_duration_seconds summary): say what it is.
        base = section.latency_histogram.removesuffix("_bucket")
        other = next((f.type for f in exposition.families if f.name == base), None)
        assert other is None, (
            f"{base} is {_a(other)}, not a histogram: it has no buckets to compute the share of requests "
            "within the SLO threshold from"
        )
    assert histogram is not None, f"no latency histogram ({which}) in the exposition"
    broken = exposition.problems_of(histogram.name)
    assert not broken, f"{histogram.name} is malformed, the share within the SLO unreadable: {broken[0]}"
    scale = unit_scale_ms(histogram.name)
    bounds_ms = [round(b * scale, 6) for b in histogram.boundaries]
    closest = min(bounds_ms, key=lambda b: abs(b - threshold_ms)) if bounds_ms else None
    evidence.record(observed=closest, boundaries_ms=bounds_ms, histogram=histogram.name)
    assert any(math.isclose(b, threshold_ms, rel_tol=1e-6) for b in bounds_ms), (
        f"{histogram.name} has no bucket boundary at {threshold_ms:g} ms (boundaries: "
        f"{', '.join(f'{b:g}' for b in bounds_ms)} ms): the share of requests within the SLO is unknowable"
    )
    evidence.message = f"{histogram.name} has a bucket at {threshold_ms:g} ms"


@pytest.mark.check(checks.NOT_PUBLIC)
def test_the_public_side_does_not_serve_the_exposition(
    http: HttpProbe, section: MetricsSection, evidence: EvidenceRecorder
) -> None:
    if section.public:
        pytest.skip("metrics.public is not false: the exposition may be served on the target")
    statuses: dict[str, int] = {}
    served: dict[str, str] = {}
    for path in public_variants(section.path):
        answer = http.get(path, max_bytes=PUBLIC_READ_BYTES, headers={"Accept": ACCEPT})
        statuses[path] = answer.status
        signs = exposition_signs(answer.status, answer.text, answer.response.headers.get("content-type", ""))
        if signs is not None:
            served[path] = signs
    evidence.record(
        expected="no exposition", observed=f"{len(served)} served", statuses=statuses, served=served
    )
    assert not served, f"the public target {http.base_url} serves the metrics exposition: " + "; ".join(
        f"GET {path} -> {statuses[path]}, {signs}" for path, signs in served.items()
    )
    if set(statuses.values()) <= REFUSALS:  # refused: hidden, or is this client turned away everywhere?
        refused = refused_all(http.get("/").status, statuses.values())
        if refused is not None:
            raise CouldNotCheck(refused, ErrorReason.ACCESS_DENIED)
    evidence.message = "public side: " + ", ".join(f"GET {p} -> {code}" for p, code in statuses.items())
    evidence.message += ", no exposition"
