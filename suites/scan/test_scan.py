"""Suite ``scan``: IaC, CI workflows, code and images pass their scanners (``stackcheck scan``'s verdicts).

Every scanner runs once per session, concurrently (:func:`stackcheck.scan.replay.scan_session`); each test
replays one verdict. Findings, SARIF and finding waivers: run ``stackcheck scan`` for the full report.
"""

from __future__ import annotations

import pytest

from stackcheck.catalog import scan as checks
from stackcheck.testing import EvidenceRecorder, ScanRun, replay


@pytest.mark.check(checks.IAC)
def test_iac_has_no_open_checkov_finding(scan_run: ScanRun, evidence: EvidenceRecorder) -> None:
    replay(scan_run, checks.IAC, None, evidence)


@pytest.mark.check(checks.CI)
def test_ci_workflows_have_no_open_actionlint_finding(scan_run: ScanRun, evidence: EvidenceRecorder) -> None:
    replay(scan_run, checks.CI, None, evidence)


@pytest.mark.check(checks.CODE)
def test_code_has_no_open_bandit_finding(scan_run: ScanRun, evidence: EvidenceRecorder) -> None:
    replay(scan_run, checks.CODE, None, evidence)


@pytest.mark.check(checks.IMAGE)
def test_image_configuration_passes_trivy(
    scan_run: ScanRun, image: str | None, evidence: EvidenceRecorder
) -> None:
    replay(scan_run, checks.IMAGE, image, evidence)


@pytest.mark.check(checks.VULNERABILITIES)
def test_image_has_no_known_vulnerability(
    scan_run: ScanRun, image: str | None, evidence: EvidenceRecorder
) -> None:
    replay(scan_run, checks.VULNERABILITIES, image, evidence)
