"""Checks of the ``drills`` suite under injected dependency faults: the circuit breaker and the timeouts.

Both start the service themselves (``service.command``) with toxiproxy between it and each dependency of
``resilience.dependencies`` and measure how it answers while toxiproxy delays or swallows the dependency's
bytes (suites/drills/test_breaker.py, docs/suites/drills-breaker.md).
"""

from __future__ import annotations

from stackcheck.catalog.spec import CheckSpec, Requires, Severity, SuiteName

CIRCUIT_BREAKER = CheckSpec(
    id="drill.circuit_breaker",
    title="After resilience.breaker_failures failed dependency calls the path answers fast (breaker open), "
    "tries again after resilience.breaker_open_s and closes once the dependency is back",
    severity=Severity.HIGH,
    suite=SuiteName.DRILLS,
    section="resilience",
    requires=(
        Requires(
            keys=("resilience.breaker_failures", "resilience.breaker_open_s", "service"),
            reason="resilience.breaker_failures / breaker_open_s or service.command is not set: no breaker "
            "to drill",
        ),
    ),
    reads=(
        "resilience.path",
        "resilience.dependencies",
        "resilience.dependency_timeout_ms",
        "resilience.timeouts_ms",
        "resilience.fault",
    ),
    needs_target=False,
    remediation=(
        "Put a circuit breaker around each dependency call: open after breaker_failures failures (answer "
        "503 at once), let one trial call through after breaker_open_s, close on its success."
    ),
    fails_on=("defect:no-breaker", "defect:breaker-stuck-open"),
    controls=("SOC2:A1.2", "SOC2:CC7.2"),
)
DEPENDENCY_TIMEOUT = CheckSpec(
    id="drill.dependency_timeout",
    title="While a dependency hangs, the health endpoint answers within resilience.health_timeout_ms (not "
    "ready) and the path gives up after the dependency timeout",
    severity=Severity.HIGH,
    suite=SuiteName.DRILLS,
    section="resilience",
    requires=(
        Requires(
            keys=("resilience.health_timeout_ms", "service"),
            reason="resilience.health_timeout_ms or service.command is not set: no timeout to drill",
        ),
    ),
    reads=(
        "resilience.path",
        "resilience.dependencies",
        "resilience.dependency_timeout_ms",
        "resilience.timeouts_ms",
        "resilience.health_path",
    ),
    needs_target=False,
    remediation=(
        "Bound every dependency call with a timeout (health checks well under their probe timeout) and "
        "have readiness answer 503 when a dependency does not answer in time."
    ),
    fails_on=("defect:ready-hides-hang",),
    controls=("SOC2:A1.2", "SOC2:CC7.2"),
)

CHECKS: tuple[CheckSpec, ...] = (CIRCUIT_BREAKER, DEPENDENCY_TIMEOUT)
