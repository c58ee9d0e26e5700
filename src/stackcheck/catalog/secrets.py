"""Checks of the ``secrets`` suite: no credential in the repository, in image layers, or in logs.

``secrets.repo`` and ``secrets.image`` are static (``stackcheck scan``); ``secrets.logs`` is a runtime
check: it sends a planted canary credential to the target and requires that neither the responses nor the
service's log files captured meanwhile contain it.
"""

from __future__ import annotations

from stackcheck.catalog.spec import CheckSpec, Claim, Requires, Severity, SuiteName, System

REPO = CheckSpec(
    id="secrets.repo",
    title="No secret committed in the repository (detect-secrets)",
    severity=Severity.CRITICAL,
    suite=SuiteName.SECRETS,
    section="scan",
    needs_target=False,
    claims=(
        Claim(system=System.CHIMERA, quote="No secrets in code or configuration files"),
        Claim(system=System.DJINN, quote="No secrets in code or Docker images"),
        Claim(system=System.MONTE_CARLO, quote='Never in Code: ❌ `API_KEY = "abc123"`'),
    ),
    controls=("SOC2:CC6.1", "OWASP-ASVS:2.10.4", "OWASP-ASVS:14.3.1"),
    remediation="Rotate the secret, remove it from the files (and history), read it from a secret store.",
    fails_on=("sample:fixtures/iac/djinn/noncompliant/docker-compose.yml",),
)
IMAGE = CheckSpec(
    id="secrets.image",
    title="No secret in any layer of the container image (trivy)",
    severity=Severity.CRITICAL,
    suite=SuiteName.SECRETS,
    section="scan",
    needs_target=False,
    claims=(Claim(system=System.DJINN, quote="No secrets in code or Docker images"),),
    controls=("SOC2:CC6.1", "OWASP-ASVS:2.10.4", "CIS-Docker:4.10"),
    remediation="Rotate the secret and rebuild without it: a file deleted in a later layer stays in it.",
    fails_on=("sample:fixtures/images/refservice/Dockerfile.leaky",),
)
LOGS = CheckSpec(
    id="secrets.logs",
    title="A planted canary credential never appears in the service's responses or logs",
    severity=Severity.HIGH,
    suite=SuiteName.SECRETS,
    section="scan",
    needs_target=False,  # only with scan.log_files (see the suite); a scan-only profile has no target
    requires=(
        Requires(keys=("scan.log_files",), reason="scan.log_files is empty: no service log to inspect"),
    ),
    claims=(
        Claim(system=System.CHIMERA, quote="API keys masked in logs"),
        Claim(system=System.CHIMERA, quote="Redact sensitive data"),
    ),
    controls=("SOC2:CC6.1", "OWASP-ASVS:7.1.1", "GDPR:Art.32"),
    remediation="Mask Authorization, API keys and other credentials before the service logs or echoes them.",
    fails_on=("defect:leaky-logs",),
)

CHECKS: tuple[CheckSpec, ...] = (REPO, IMAGE, LOGS)
