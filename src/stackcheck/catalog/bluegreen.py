"""The blue-green drill of the ``drills`` suite: a health-gated switch to a new version and a rollback.

stackcheck launches two copies of the service itself (blue serving, green the new version), puts a HAProxy
of its own in front of them and switches traffic through its runtime API while a paced load runs; it never
touches a service or proxy it did not start.
"""

from __future__ import annotations

from stackcheck.catalog.spec import CheckSpec, Requires, Severity, SuiteName

BLUEGREEN = CheckSpec(
    id="drill.bluegreen",
    title="Traffic switches to a new version only when it is healthy, and back within the rollback window, "
    "with no failed request",
    severity=Severity.HIGH,
    requires=(
        Requires(
            keys=("service",),  # the section's command is the launch: a run supplies it (claims.RUN_SUPPLIED)
            reason="profile has no `service` section: the drill launches blue and green itself",
        ),
    ),
    reads=(
        "deploy.health_path",
        "deploy.load_path",
        "deploy.rollback_window_s",
        "deploy.switch_requests",
        "deploy.rate_per_s",
        "deploy.gate_timeout_s",
        "deploy.health_gate",
        "deploy.green_command",
        "health.ready",
        "health.live",
    ),
    remediation=(
        "Gate the switch on green's health endpoint (the proxy's health check, not just a started process), "
        "make that endpoint fail whenever the service cannot serve, keep blue running through the rollback "
        "window, and let in-flight requests finish on the instance traffic leaves."
    ),
    fails_on=(
        "test:tests/integration/test_drills_bluegreen.py::test_a_switch_without_a_health_gate_to_an_unhealthy_green_fails",
        "test:tests/integration/test_drills_bluegreen.py::test_a_green_whose_health_hides_its_failures_fails",
    ),
    suite=SuiteName.DRILLS,
    section="deploy",
    needs_target=False,  # blue and green are launches of the drill's own
    controls=("SOC2:CC8.1", "SOC2:A1.2"),
)

CHECKS: tuple[CheckSpec, ...] = (BLUEGREEN,)
