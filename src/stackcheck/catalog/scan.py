"""Checks of the ``scan`` suite: static scans of IaC, code and images (``stackcheck scan``).

Each check summarises one scanner's findings for one subject: ``failed`` when an open finding at or above
its threshold remains (after inline suppressions and waivers), ``error`` when the scanner is missing or
crashed. The threshold is ``scan.fail_on``: one for every scanner, or per scanner and per check
(``ScanSection.threshold``); findings below it are listed in the result, not failing it. The findings
themselves are listed in ``report.json`` ``findings[]`` and ``results.sarif``.
"""

from __future__ import annotations

from typing import Any

from stackcheck.catalog.spec import CheckSpec, Severity, SuiteName

_common: dict[str, Any] = {"suite": SuiteName.SCAN, "section": "scan", "needs_target": False}

IAC = CheckSpec(
    id="scan.iac",
    title="IaC (Dockerfile, Terraform, compose, Kubernetes, CI) passes checkov and the custom policies",
    severity=Severity.HIGH,
    reads=(
        "scan.iac_paths",
        "scan.fail_on",
        "scan.frameworks",
        "scan.policies",
        "scan.allowed_regions",
        "scan.build",
        "scan.skip",
    ),
    controls=("SOC2:CC7.1", "SOC2:CC8.1", "CIS-Docker:4.1", "CIS-Docker:4.6", "GDPR:Art.44"),
    remediation="Fix the IaC the checkov findings name (or waive a finding with owner, reason and expiry).",
    fails_on=(
        "sample:fixtures/iac/chimera/noncompliant",
        "sample:fixtures/iac/djinn/noncompliant",
        "sample:fixtures/iac/ai-platform/noncompliant",
        "sample:fixtures/iac/monte-carlo/noncompliant",
        "test:tests/integration/test_scan_verdicts.py::"
        "test_a_large_valid_terraform_file_is_judged_not_reported_unparseable",
        "sample:tests/data/scan/thresholds/iac/Dockerfile",  # one built-in failure: fails at `any`
        "test:tests/integration/test_scan_thresholds.py::test_each_static_scanner_judges_its_findings_against_its_own_threshold",
    ),
    **_common,
)
CODE = CheckSpec(
    id="scan.code",
    title="Application code passes bandit (Python SAST)",
    severity=Severity.HIGH,
    reads=("scan.code_paths", "scan.fail_on", "scan.skip"),
    controls=("SOC2:CC7.1", "SOC2:CC8.1", "PCI-DSS:6.2.3"),
    remediation="Fix the code bandit flags, or mark a reviewed line `# nosec BNNN` (listed as suppressed).",
    fails_on=(
        "sample:tests/data/scan/code/app.py",
        "sample:tests/data/scan/thresholds/code/evaluate.py",  # one medium finding: fails at `medium`
        "test:tests/integration/test_scan_thresholds.py::test_each_static_scanner_judges_its_findings_against_its_own_threshold",
    ),
    **_common,
)
IMAGE = CheckSpec(
    id="image.trivy",
    title="Container image configuration passes trivy's misconfiguration checks (non-root, HEALTHCHECK)",
    severity=Severity.HIGH,
    reads=("scan.images", "scan.fail_on", "scan.skip"),
    controls=("SOC2:CC7.1", "CIS-Docker:4.1", "CIS-Docker:4.6"),
    remediation="Run the image as a non-root USER and give it a HEALTHCHECK (see the trivy findings).",
    fails_on=("sample:fixtures/images/refservice/Dockerfile.leaky",),
    **_common,
)
VULNERABILITIES = CheckSpec(
    id="image.vulnerabilities",
    title="Container image has no known vulnerabilities at or above scan.fail_on (needs a trivy DB)",
    severity=Severity.HIGH,
    reads=("scan.images", "scan.vulnerability_db", "scan.fail_on", "scan.skip"),
    controls=("SOC2:CC7.1", "OWASP-ASVS:14.2.1", "CIS-Docker:4.4", "PCI-DSS:6.3.3"),
    remediation="Rebuild the image on patched packages (upgrade to the fixed versions the findings name).",
    # stackcheck/redis:8 is vulnerable under these (test) advisories: tests/integration/test_scan_vulndb.py
    fails_on=(
        "sample:fixtures/vulndb/advisories/debian.yaml",
        # HIGH advisories: fail at `high`, pass (listed) at `critical`
        "test:tests/integration/test_scan_thresholds.py::test_trivy_high_advisory_passes_at_critical_and_fails_at_high",
    ),
    **_common,
)
CI = CheckSpec(
    id="scan.ci",
    title="CI workflows (.github/workflows under scan.iac_paths) pass actionlint",
    severity=Severity.MEDIUM,
    reads=("scan.iac_paths", "scan.fail_on"),
    controls=("SOC2:CC8.1",),
    remediation="Fix the workflow lines actionlint names (untrusted ${{ }} in run:, unknown needs, syntax).",
    fails_on=("sample:fixtures/ci/failing/.github/workflows/ci.yml",),
    **_common,
)

CHECKS: tuple[CheckSpec, ...] = (IAC, CODE, IMAGE, VULNERABILITIES, CI)
