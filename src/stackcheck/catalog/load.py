"""Checks of the load stage (``stackcheck load``): latency, errors and throughput under a bounded load.

These checks are not a pytest suite: Locust monkey-patches the process it runs in, so the load stage runs
Locust in processes of its own and turns their statistics into results (``stackcheck.load.gate``).
They are therefore listed in :data:`CHECKS` here and not in ``SUITES``.
"""

from __future__ import annotations

from typing import Any

from stackcheck.catalog.spec import CheckSpec, Severity, SuiteName

_common: dict[str, Any] = {"suite": SuiteName.LOAD, "section": "slo"}

P95 = CheckSpec(
    id="load.p95",
    title="95th percentile latency under load stays within slo.p95_ms",
    severity=Severity.HIGH,
    reads=("slo.p95_ms", "load.endpoints"),
    remediation=(
        "Find the slow requests (tracing, slow query log) and fix them, or add capacity, until p95 fits "
        "slo.p95_ms."
    ),
    fails_on=(
        "test:tests/integration/test_load_stage.py::test_gate_fails_when_the_bound_is_below_the_true_p95_and_errors_exceed_the_budget",
        "defect:slow=/api/v1/items:2500",  # a write endpoint (POST) that answers slowly
        "test:tests/integration/test_load_writes.py::test_a_slow_create_endpoint_fails_the_p95_while_its_answers_count_as_success",
    ),
    controls=("SOC2:A1.1",),
    **_common,
)
P99 = CheckSpec(
    id="load.p99",
    title="99th percentile latency under load stays within slo.p99_ms",
    severity=Severity.MEDIUM,
    reads=("slo.p99_ms", "load.endpoints"),
    remediation="Remove the tail latency (timeouts, GC pauses, lock waits) until p99 fits slo.p99_ms.",
    fails_on=("test:tests/unit/test_load_gate.py::test_p99_is_gated_on_its_own_bound",),
    controls=("SOC2:A1.1",),
    **_common,
)
ERROR_RATIO = CheckSpec(
    id="load.error_ratio",
    title="Share of failed requests under load stays within slo.error_ratio",
    severity=Severity.HIGH,
    reads=("slo.error_ratio", "load.endpoints"),
    remediation=(
        "Fix the errors the load produced (see the failures table) until their share fits slo.error_ratio."
    ),
    fails_on=(
        "test:tests/integration/test_load_stage.py::test_gate_fails_when_the_bound_is_below_the_true_p95_and_errors_exceed_the_budget",
        "defect:failing=/api/v1/items",  # a write endpoint (POST) that answers 500
        "test:tests/integration/test_load_writes.py::test_a_create_endpoint_answering_500_fails_the_error_ratio",
        "test:tests/integration/test_load_writes.py::test_nginx_refusing_the_token_or_answering_500_fails_the_error_ratio",
    ),
    controls=("SOC2:A1.1",),
    **_common,
)
THROUGHPUT = CheckSpec(
    id="load.throughput",
    title="Completed requests per second in the steady window (warm-up and drain left out) reach slo.rps",
    severity=Severity.MEDIUM,
    reads=("slo.rps", "load.endpoints", "load.target_rps"),
    remediation="Add workers/instances or remove the bottleneck until the service sustains slo.rps.",
    fails_on=(
        "test:tests/integration/test_load_stage.py::test_throughput_fails_when_the_service_cannot_keep_up_single_process",
    ),
    controls=("SOC2:A1.1",),
    **_common,
)

CHECKS: tuple[CheckSpec, ...] = (P95, P99, ERROR_RATIO, THROUGHPUT)
