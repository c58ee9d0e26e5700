"""Checks of the ``metrics`` suite: a Prometheus exposition the monitoring stack can use."""

from __future__ import annotations

from stackcheck.catalog.spec import CheckSpec, Claim, Severity, System

_common = {"suite": "metrics", "section": "metrics"}

EXPOSITION = CheckSpec(
    id="metrics.exposition",
    title="The metrics path answers a Prometheus text exposition that parses",
    severity=Severity.MEDIUM,
    remediation="Serve the Prometheus text exposition at metrics.path (a client library's exporter).",
    fails_on=(
        "defect:metrics-missing",
        "defect:metrics-garbled",
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
