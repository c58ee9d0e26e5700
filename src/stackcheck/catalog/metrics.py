"""Checks of the ``metrics`` suite: a Prometheus exposition the monitoring stack can use."""

from __future__ import annotations

from stackcheck.catalog.spec import CheckSpec, Claim, Severity, System

_common = {"suite": "metrics", "section": "metrics"}

EXPOSITION = CheckSpec(
    id="metrics.exposition",
    title="The metrics path answers a well-formed Prometheus exposition (text format or OpenMetrics)",
    severity=Severity.MEDIUM,
    remediation="Serve the exposition at metrics.path with a client library's exporter (it negotiates the "
    "format on Accept and writes it well-formed).",
    fails_on=(
        "defect:metrics-missing",
        "defect:metrics-garbled",
        "test:tests/integration/test_metrics_third_party.py::"
        "test_an_openmetrics_counter_without_total_fails_in_plain_words",
    ),
    claims=(
        Claim(system=System.CHIMERA, quote="/metrics: Prometheus metrics"),
        Claim(system=System.MONTE_CARLO, quote="Metrics: /metrics (Prometheus)"),
        Claim(system=System.BLUEGREEN, quote="Metrics Export ... Prometheus format"),
    ),
    controls=("SOC2:CC7.2",),
    **_common,
)
REQUIRED = CheckSpec(
    id="metrics.required",
    title="Every metric in metrics.required is exposed, with the expected type",
    severity=Severity.MEDIUM,
    remediation="Export every metric in metrics.required with the type the profile expects.",
    fails_on=(
        "defect:metrics-missing",
        "defect:metrics-wrong-type",
        "test:tests/integration/test_metrics_third_party.py::"
        "test_the_same_library_answering_only_text_fails_the_info_and_stateset_types",
    ),
    claims=(
        Claim(system=System.CHIMERA, quote="Custom metrics via Micrometer"),
        Claim(system=System.MONTE_CARLO, quote="Request rate (requests/sec) ... Error rate (errors/sec)"),
    ),
    controls=("SOC2:CC7.2",),
    **_common,
)
LATENCY_HISTOGRAM = CheckSpec(
    id="metrics.latency_histogram",
    title="A request-latency histogram has a bucket boundary at the SLO threshold",
    severity=Severity.MEDIUM,
    remediation="Give the request-latency histogram a bucket boundary at the SLO threshold (slo.p95_ms).",
    fails_on=(
        "defect:metrics-missing",
        "defect:histogram-coarse",
        "test:tests/integration/test_metrics_third_party.py::"
        "test_a_non_numeric_le_that_promtool_rejects_fails_instead_of_erroring",
    ),
    claims=(
        Claim(system=System.MONTE_CARLO, quote="Response time (p50, p95, p99)"),
        Claim(system=System.DJINN, quote="API response time p95 < 200ms"),
        Claim(system=System.DJINN, quote='meter.Float64Histogram("request_duration_seconds")'),
    ),
    controls=("SOC2:CC7.2", "SOC2:A1.2"),
    **_common,
)

CHECKS: tuple[CheckSpec, ...] = (EXPOSITION, REQUIRED, LATENCY_HISTOGRAM)
