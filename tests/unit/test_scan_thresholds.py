"""scan.fail_on per scanner and per check: each check judges its findings against its own threshold."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from stackcheck._exceptions import ProfileError
from stackcheck.catalog import scan as scan_checks
from stackcheck.catalog import secrets as secret_checks
from stackcheck.catalog.spec import CheckSpec, Severity
from stackcheck.outcomes import Status
from stackcheck.profile import load_profile
from stackcheck.profile.models import Profile, ScanSection
from stackcheck.profile.stages import FAIL_ON_CHECKS, FAIL_ON_SCANNERS
from stackcheck.report.model import Finding
from stackcheck.scan import engine
from stackcheck.scan.findings import ToolOutcome, make_finding
from stackcheck.scan.registry import SCANNERS, decided_checks
from stackcheck.scan.scanner import ScannerName


def test_the_keys_of_fail_on_are_the_registered_scanners_and_the_checks_they_decide() -> None:
    assert set(FAIL_ON_SCANNERS) == {str(name) for name in ScannerName} == {str(n) for n in SCANNERS}
    assert set(FAIL_ON_CHECKS) == {check.id for check in decided_checks()}


def section(fail_on: object) -> ScanSection:
    return ScanSection.model_validate({"fail_on": fail_on})


def test_one_value_is_every_scanners_threshold_as_before() -> None:
    assert section("high").threshold("bandit", "scan.code") == ("high", "scan.fail_on")
    assert ScanSection().threshold("checkov", "scan.iac") == ("low", "scan.fail_on")


def test_a_check_wins_over_its_scanner_which_wins_over_default() -> None:
    scan = section({"trivy": "critical", "image.vulnerabilities": "high", "default": "medium"})
    assert scan.threshold("trivy", "image.vulnerabilities") == ("high", "scan.fail_on.image.vulnerabilities")
    assert scan.threshold("trivy", "secrets.image") == ("critical", "scan.fail_on.trivy")
    assert scan.threshold("bandit", "scan.code") == ("medium", "scan.fail_on.default")
    assert section({"bandit": "high"}).threshold("checkov", "scan.iac") == ("low", "scan.fail_on (default)")


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("{checkov2: any}", "'checkov2' is not a scanner or check id (known: default, checkov, bandit"),
        ("{bandit: severe}", "bandit: 'severe' is not a threshold (write one of any, critical, high"),
        ("severe", "'severe' is not a threshold: write one of any, critical"),
        ("[high]", "must be a threshold"),
    ],
)
def test_a_wrong_threshold_or_key_is_one_line_naming_it(tmp_path: Path, value: str, message: str) -> None:
    path = tmp_path / "p.yaml"
    path.write_text(f"name: p\nscan:\n  fail_on: {value}\n", encoding="utf-8")
    with pytest.raises(ProfileError) as info:
        load_profile(path)
    text = str(info.value)
    assert "p.yaml:3:3 scan.fail_on: " in text and message in text and "\n" not in text, text


def test_set_changes_one_scanners_threshold(tmp_path: Path) -> None:
    path = tmp_path / "p.yaml"
    path.write_text("name: p\nscan:\n  fail_on: {bandit: high, checkov: any}\n", encoding="utf-8")
    scan = load_profile(path, ["scan.fail_on.bandit=medium"]).profile.scan
    assert scan is not None and scan.fail_on == {"bandit": "medium", "checkov": "any"}
    # A check id has a dot of its own: --set still reaches it.
    scan = load_profile(path, ["scan.fail_on.image.vulnerabilities=critical"]).profile.scan
    assert scan is not None and scan.threshold("trivy", "image.vulnerabilities") == (
        "critical",
        "scan.fail_on.image.vulnerabilities",
    )


def _finding(tool: str, severity: Severity, rule: str = "R1") -> Finding:
    return make_finding(
        tool=tool, rule_id=rule, severity=severity, message="m", anchor=rule, file="f.py", line=3
    )


def _judged(
    fail_on: object, check: CheckSpec, tool: str, *severities: Severity
) -> tuple[Status, str, dict[str, object]]:
    profile = Profile.model_validate({"name": "p", "scan": {"fail_on": fail_on}})
    findings = tuple(_finding(tool, s, f"R{i}") for i, s in enumerate(severities))
    outcome = ToolOutcome(tool, check, None, findings=findings)
    verdicts = engine._judge_all(profile, [outcome], dt.date(2026, 1, 1))
    (result,) = verdicts.results
    return result.status, result.message, result.evidence.details


def test_a_medium_bandit_finding_passes_at_high_listed_and_fails_at_medium() -> None:
    status, message, details = _judged({"bandit": "high"}, scan_checks.CODE, "bandit", Severity.MEDIUM)
    assert status is Status.PASSED and "1 below high: R0 f.py:3" in message, message
    assert details["fail_on_key"] == "scan.fail_on.bandit" and details["below_fail_on"] == 1
    assert details["below_fail_on_findings"] == ["bandit:R0 f.py:3 (medium)"]
    status, message, _ = _judged({"bandit": "medium"}, scan_checks.CODE, "bandit", Severity.MEDIUM)
    assert status is Status.FAILED and message.startswith("1 open bandit finding(s) at or above medium")


def test_any_fails_on_every_finding_even_info_and_the_other_scanners_keep_their_own_threshold() -> None:
    status, message, _ = _judged(
        {"checkov": "any", "bandit": "high"}, scan_checks.IAC, "checkov", Severity.INFO
    )
    assert status is Status.FAILED and "1 open checkov finding(s) at any severity: R0 f.py:3" in message
    status, _, _ = _judged({"checkov": "any", "bandit": "high"}, scan_checks.CODE, "bandit", Severity.LOW)
    assert status is Status.PASSED
    status, message, _ = _judged("any", secret_checks.REPO, "detect-secrets")
    assert (
        status is Status.PASSED
        and message == "detect-secrets: no open finding at any severity (0 suppressed inline)"
    )


def test_a_failure_also_says_how_many_lower_findings_were_listed_but_did_not_fail() -> None:
    status, message, _ = _judged(
        {"trivy": "high"}, scan_checks.VULNERABILITIES, "trivy", Severity.HIGH, Severity.MEDIUM, Severity.LOW
    )
    assert status is Status.FAILED and message.endswith("; 2 below high listed, not failing"), message
