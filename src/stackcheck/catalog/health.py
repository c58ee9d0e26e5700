"""Checks of the ``health`` suite: the probes orchestrators and load balancers rely on."""

from __future__ import annotations

from typing import Any

from stackcheck.catalog.spec import CheckSpec, Requires, Severity, SuiteName

_common: dict[str, Any] = {"suite": SuiteName.HEALTH, "section": "health"}

LIVE = CheckSpec(
    id="health.live",
    title="Liveness endpoint answers 2xx",
    severity=Severity.HIGH,
    reads=("health.live",),
    remediation=(
        "Make the liveness endpoint answer 200 whenever the process can serve (no dependency checks in it)."
    ),
    fails_on=("defect:failing=/health/live",),
    controls=("SOC2:A1.2", "SOC2:CC7.2"),
    **_common,
)
READY = CheckSpec(
    id="health.ready",
    title="Readiness endpoint answers 2xx",
    severity=Severity.HIGH,
    reads=("health.ready",),
    remediation="Make the readiness endpoint answer 200 once the service and its dependencies are ready.",
    fails_on=("defect:ready-failing",),
    controls=("SOC2:A1.2", "SOC2:CC7.2"),
    **_common,
)
STARTUP = CheckSpec(
    id="health.startup",
    title="Startup endpoint answers 2xx (when the system has one)",
    severity=Severity.MEDIUM,
    reads=("health.startup",),
    remediation="Serve the startup probe path (health.startup) with 200 once initialisation has finished.",
    fails_on=("defect:missing=/startup",),
    controls=("SOC2:A1.2",),
    **_common,
)
EXTRA = CheckSpec(
    id="health.extra",
    title="Each further operational endpoint answers 2xx",
    severity=Severity.MEDIUM,
    reads=("health.extra",),
    remediation="Serve each endpoint in health.extra with a 2xx answer, or remove it from the profile.",
    fails_on=("defect:missing=/freshness",),
    controls=("SOC2:CC7.2",),
    **_common,
)
LATENCY = CheckSpec(
    id="health.latency",
    title="Health endpoints answer within health.max_latency_ms at the configured percentile",
    severity=Severity.MEDIUM,
    reads=(
        "health.max_latency_ms",
        "health.latency_percentile",
        "health.samples",
    ),
    remediation=(
        "Keep health handlers cheap (no synchronous dependency calls) so they answer within "
        "health.max_latency_ms."
    ),
    fails_on=("defect:slow=/health/live:250",),
    controls=("SOC2:A1.2",),
    **_common,
)

READY_DEPENDENCIES = CheckSpec(
    id="health.ready_reflects_dependencies",
    title="Readiness turns non-2xx while a dependency is down (liveness stays 200) and recovers after it",
    severity=Severity.HIGH,
    requires=(
        Requires(
            keys=("health.ready_dependencies", "health.ready"),
            reason="health.ready_dependencies lists none, or health.ready is not set: nothing to drill",
        ),
    ),
    reads=(
        "health.ready_recovery_s",
        "health.drill",
    ),
    remediation=(
        "Have readiness query each dependency it needs (Postgres, Redis, and any other it names) with a "
        "short timeout, and answer 503 while one is down or hangs."
    ),
    fails_on=(
        "defect:ready-ignores-deps",
        "test:tests/integration/test_ready_drill_relay.py::test_ready_that_ignores_one_dependency_fails_its_drill_only",
        "test:tests/integration/test_ready_drill_relay.py::test_a_tcp_connect_readiness_check_misses_a_paused_dependency",
    ),
    suite=SuiteName.HEALTH,
    section="service",  # the drill starts the service itself, wired to dependencies it may interrupt
    needs_target=False,
    controls=("SOC2:A1.2", "SOC2:CC7.2"),
)

CHECKS: tuple[CheckSpec, ...] = (LIVE, READY, STARTUP, EXTRA, LATENCY, READY_DEPENDENCIES)
