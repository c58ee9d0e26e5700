"""Checks of the ``exposure`` suite: nothing sensitive is served, errors leak no internals."""

from __future__ import annotations

from typing import Any

from stackcheck.catalog.spec import CheckSpec, Requires, Severity, SuiteName

_common: dict[str, Any] = {"suite": SuiteName.EXPOSURE, "section": "exposure"}

SENSITIVE_PATHS = CheckSpec(
    id="exposure.sensitive_paths",
    title="Well-known sensitive paths (/.env, /.git/config, ...) and exposure.forbidden_paths are not served",
    severity=Severity.CRITICAL,
    reads=(
        "exposure.forbidden_paths",
        "exposure.builtin",
    ),
    remediation="Do not serve dotfiles, VCS metadata, backups or admin endpoints; deny them at the proxy.",
    fails_on=("defect:expose=/.env",),
    controls=("OWASP-ASVS:12.5.1", "SOC2:CC6.1"),
    **_common,
)
ERROR_LEAK = CheckSpec(
    id="exposure.error_leak",
    title="Error pages leak no stack trace, debug page or server version",
    severity=Severity.MEDIUM,
    reads=("exposure.error_paths",),
    remediation="Turn debug mode off and answer errors with a generic page (no stack trace, no versions).",
    fails_on=("defect:error-leak",),
    controls=("OWASP-ASVS:7.4.1", "OWASP-ASVS:14.3.2", "OWASP-ASVS:14.3.3"),
    **_common,
)

CLOSED_PORTS = CheckSpec(
    id="exposure.closed_ports",
    title="The database and cache ports of the target's host accept no connection from outside",
    severity=Severity.HIGH,
    requires=(Requires(keys=("exposure.closed_ports",), reason="exposure.closed_ports names no port"),),
    reads=("exposure.closed_ports",),
    remediation=(
        "Bind the database and cache to a private interface, or firewall their ports so that only the "
        "application's hosts reach them."
    ),
    fails_on=(
        "test:tests/integration/test_exposure_ports.py::test_a_datastore_port_open_to_the_runner_fails_naming_it",
    ),
    controls=("SOC2:CC6.6", "SOC2:CC6.1"),
    **_common,
)

CHECKS: tuple[CheckSpec, ...] = (SENSITIVE_PATHS, ERROR_LEAK, CLOSED_PORTS)
