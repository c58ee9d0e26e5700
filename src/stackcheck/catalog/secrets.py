"""Checks of the ``secrets`` suite: no credential in the repository, in image layers, or in logs.

``secrets.repo`` and ``secrets.image`` are static (``stackcheck scan``); ``secrets.logs`` is a runtime
check: it sends a planted canary credential to the target and requires that neither the responses nor the
service's log files captured meanwhile contain it.
"""

from __future__ import annotations

from stackcheck.catalog.spec import CheckSpec, Requires, Severity, SuiteName

REPO = CheckSpec(
    id="secrets.repo",
    title="No secret committed in the repository (detect-secrets)",
    severity=Severity.CRITICAL,
    reads=("scan.secret_paths", "scan.iac_paths", "scan.code_paths", "scan.fail_on", "scan.skip"),
    suite=SuiteName.SECRETS,
    section="scan",
    needs_target=False,
    controls=("SOC2:CC6.1", "OWASP-ASVS:2.10.4", "PCI-DSS:8.6.2"),
    remediation="Rotate the secret, remove it from the files (and history), read it from a secret store.",
    fails_on=(
        "sample:fixtures/iac/djinn/noncompliant/docker-compose.yml",
        "sample:tests/data/scan/thresholds/code/settings.py",  # a high finding: fails at `any`
        "test:tests/integration/test_scan_thresholds.py::test_each_static_scanner_judges_its_findings_against_its_own_threshold",
    ),
)
IMAGE = CheckSpec(
    id="secrets.image",
    title="No secret in any layer of the container image (trivy)",
    severity=Severity.CRITICAL,
    reads=("scan.images", "scan.fail_on"),
    suite=SuiteName.SECRETS,
    section="scan",
    needs_target=False,
    controls=("SOC2:CC6.1", "OWASP-ASVS:2.10.4", "CIS-Docker:4.10", "PCI-DSS:8.6.2"),
    remediation="Rotate the secret and rebuild without it: a file deleted in a later layer stays in it.",
    fails_on=("sample:fixtures/images/refservice/Dockerfile.leaky",),
)
LOGS = CheckSpec(
    id="secrets.logs",
    title="A planted canary credential never appears in the service's responses or logs",
    severity=Severity.HIGH,
    reads=("scan.canaries",),
    suite=SuiteName.SECRETS,
    section="scan",
    needs_target=False,  # only with scan.log_files (see the suite); a scan-only profile has no target
    requires=(
        Requires(keys=("scan.log_files",), reason="scan.log_files is empty: no service log to inspect"),
    ),
    controls=("SOC2:CC6.1", "OWASP-ASVS:7.1.1", "PCI-DSS:8.3.2", "GDPR:Art.32(1)(b)"),
    remediation="Mask Authorization, API keys and other credentials before the service logs or echoes them.",
    fails_on=("defect:leaky-logs",),
)

CHECKS: tuple[CheckSpec, ...] = (REPO, IMAGE, LOGS)
