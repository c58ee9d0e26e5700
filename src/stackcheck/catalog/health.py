"""Checks of the ``health`` suite: the probes orchestrators and load balancers rely on."""

from __future__ import annotations

from stackcheck.catalog.spec import CheckSpec, Claim, Severity, System

_common = {"suite": "health", "section": "health"}

LIVE = CheckSpec(
    id="health.live",
    title="Liveness endpoint answers 2xx",
    severity=Severity.HIGH,
    remediation=(
        "Make the liveness endpoint answer 200 whenever the process can serve (no dependency checks in it)."
    ),
    fails_on=("defect:failing=/health/live",),
    claims=(
        Claim(system=System.CHIMERA, quote="/health/live: Application running (for liveness probe)"),
        Claim(system=System.MONTE_CARLO, quote="Liveness Probe (`/health`) ... Returns 200 if alive"),
        Claim(system=System.BLUEGREEN, quote="Health check: /health endpoint (30s interval, strict)"),
    ),
    controls=("SOC2:A1.2", "SOC2:CC7.1"),
    **_common,
)
READY = CheckSpec(
    id="health.ready",
    title="Readiness endpoint answers 2xx",
    severity=Severity.HIGH,
    remediation="Make the readiness endpoint answer 200 once the service and its dependencies are ready.",
    fails_on=("defect:ready-failing",),
    claims=(
        Claim(system=System.CHIMERA, quote="/health/ready: Application + dependencies ready"),
        Claim(system=System.MONTE_CARLO, quote="Readiness Probe (`/ready`) ... Returns 200 if ready"),
        Claim(system=System.CHIMERA, quote="HEALTHCHECK ... CMD curl -f http://localhost:8080/health/ready"),
    ),
    controls=("SOC2:A1.2", "SOC2:CC7.1"),
    **_common,
)
STARTUP = CheckSpec(
    id="health.startup",
    title="Startup endpoint answers 2xx (when the system has one)",
    severity=Severity.MEDIUM,
    remediation="Serve the startup probe path (health.startup) with 200 once initialisation has finished.",
    fails_on=("defect:missing=/startup",),
    claims=(
        Claim(system=System.MONTE_CARLO, quote="Startup Probe (`/startup`) ... Prevents premature traffic"),
    ),
    controls=("SOC2:A1.2",),
    **_common,
)
EXTRA = CheckSpec(
    id="health.extra",
    title="Each further operational endpoint answers 2xx",
    severity=Severity.MEDIUM,
    remediation="Serve each endpoint in health.extra with a 2xx answer, or remove it from the profile.",
    fails_on=("defect:missing=/freshness",),
    claims=(Claim(system=System.CHIMERA, quote="/freshness: Data freshness summary"),),
    controls=("SOC2:CC7.1",),
    **_common,
)
LATENCY = CheckSpec(
    id="health.latency",
    title="Health endpoints answer within health.max_latency_ms at the configured percentile",
    severity=Severity.MEDIUM,
    remediation=(
        "Keep health handlers cheap (no synchronous dependency calls) so they answer within "
        "health.max_latency_ms."
    ),
    fails_on=("defect:slow=/health/live:250",),
    claims=(
        Claim(system=System.MONTE_CARLO, quote="Liveness Probe ... Responds in <100ms"),
        Claim(system=System.CHIMERA, quote="HEALTHCHECK --interval=30s --timeout=3s"),
    ),
    controls=("SOC2:A1.2",),
    **_common,
)

READY_DEPENDENCIES = CheckSpec(
    id="health.ready_reflects_dependencies",
    title="Readiness turns non-2xx while a dependency is down (liveness stays 200) and recovers after it",
    severity=Severity.HIGH,
    remediation=(
        "Have readiness query Postgres/Redis (with a short timeout) and answer 503 while one is down."
    ),
    fails_on=("defect:ready-ignores-deps",),
    suite="health",
    section="service",  # the drill starts the service itself, wired to dependencies it may interrupt
    needs_target=False,
    claims=(
        Claim(system=System.CHIMERA, quote="/health/ready: Application + dependencies ready"),
        Claim(system=System.MONTE_CARLO, quote="Readiness Probe ... Checks: Cache available, DB connected"),
        Claim(system=System.BLUEGREEN, quote="Run health checks ... If healthy: Switch traffic BLUE → GREEN"),
    ),
    controls=("SOC2:A1.2", "SOC2:CC7.1", "SOC2:CC7.5"),
)

CHECKS: tuple[CheckSpec, ...] = (LIVE, READY, STARTUP, EXTRA, LATENCY, READY_DEPENDENCIES)
