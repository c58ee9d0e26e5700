"""Checks of the ``metrics`` suite: a Prometheus exposition the monitoring stack can use."""

from __future__ import annotations

from typing import Any

from stackcheck.catalog.spec import CheckSpec, Severity, SuiteName

_common: dict[str, Any] = {"suite": SuiteName.METRICS, "section": "metrics"}

EXPOSITION = CheckSpec(
    id="metrics.exposition",
    title="The metrics path answers a well-formed Prometheus exposition (text format or OpenMetrics)",
    severity=Severity.MEDIUM,
    reads=("metrics.path", "metrics.base_url"),
    remediation="Serve the exposition at metrics.path with a client library's exporter (it negotiates the "
    "format on Accept and writes it well-formed).",
    fails_on=(
        "defect:metrics-missing",
        "defect:metrics-garbled",
        "test:tests/integration/test_metrics_third_party.py::"
        "test_an_openmetrics_counter_without_total_fails_in_plain_words",
    ),
    controls=("SOC2:CC7.2",),
    **_common,
)
REQUIRED = CheckSpec(
    id="metrics.required",
    title="Every metric in metrics.required is exposed, with the expected type",
    severity=Severity.MEDIUM,
    reads=(
        "metrics.required",
        "metrics.types",
        "metrics.base_url",
    ),
    remediation="Export every metric in metrics.required with the type the profile expects.",
    fails_on=(
        "defect:metrics-missing",
        "defect:metrics-wrong-type",
        "test:tests/integration/test_metrics_third_party.py::"
        "test_the_same_library_answering_only_text_fails_the_info_and_stateset_types",
    ),
    controls=("SOC2:CC7.2",),
    **_common,
)
LATENCY_HISTOGRAM = CheckSpec(
    id="metrics.latency_histogram",
    title="A request-latency histogram has a bucket boundary at the SLO threshold",
    severity=Severity.MEDIUM,
    reads=(
        "metrics.latency_histogram",
        "metrics.latency_threshold_ms",
        "slo.p95_ms",
        "metrics.base_url",
    ),
    remediation="Give the request-latency histogram a bucket boundary at the SLO threshold (slo.p95_ms).",
    fails_on=(
        "defect:metrics-missing",
        "defect:histogram-coarse",
        "test:tests/integration/test_metrics_third_party.py::"
        "test_a_non_numeric_le_that_promtool_rejects_fails_instead_of_erroring",
    ),
    controls=("SOC2:CC7.2", "SOC2:A1.1"),
    **_common,
)
NOT_PUBLIC = CheckSpec(
    id="metrics.not_public",
    title="The public target does not serve the metrics exposition (metrics.public: false)",
    severity=Severity.MEDIUM,
    reads=("metrics.public", "metrics.path"),
    remediation=(
        "Serve the exposition on a management port or internal address only (metrics.base_url), and deny "
        "metrics.path at the public proxy (nginx: location /metrics { return 404; })."
    ),
    fails_on=(
        "defect:metrics-public",
        "test:tests/integration/test_nginx_profile_keys.py::test_metrics_behind_nginx_are_public_only_when_proxied",
    ),
    controls=("OWASP-ASVS:1.14.1", "OWASP-ASVS:14.3.2", "SOC2:CC6.6"),
    **_common,
)

CHECKS: tuple[CheckSpec, ...] = (EXPOSITION, REQUIRED, LATENCY_HISTOGRAM, NOT_PUBLIC)
