"""Finding waivers, severities, the verdict of one scanner outcome, and redaction."""

from __future__ import annotations

import datetime as dt

from stackcheck.catalog import scan as scan_checks
from stackcheck.catalog.spec import Severity
from stackcheck.outcomes import Status, WaiverRef
from stackcheck.profile.models import Waiver
from stackcheck.redact import MASK, SHAPE_MASK, Redactor
from stackcheck.scan.engine import judge
from stackcheck.scan.findings import (
    ToolOutcome,
    apply_finding_waivers,
    at_least,
    is_finding_waiver,
    make_finding,
    severity_of,
)
from stackcheck.waivers import WaiverState

TODAY = dt.date(2026, 11, 23)


def _f(rule: str = "B105", file: str = "app/x.py", severity: Severity = Severity.HIGH, status: str = "open"):  # type: ignore[no-untyped-def]
    return make_finding(
        tool="bandit",
        rule_id=rule,
        severity=severity,
        message="m",
        anchor=rule + file,
        file=file,
        line=1,
        status=status,
    )


def _w(check: str, expires: dt.date, subject: str | None = None) -> Waiver:
    return Waiver(check=check, subject=subject, reason="r", owner="o", expires=expires)


def test_severity_words_from_every_tool() -> None:
    assert severity_of("HIGH") is Severity.HIGH and severity_of("UNKNOWN") is Severity.INFO
    assert severity_of(None) is Severity.MEDIUM and severity_of("warning") is Severity.MEDIUM
    assert at_least(Severity.HIGH, "medium") and not at_least(Severity.LOW, "medium")


def test_finding_waivers_active_expired_stale_and_inline_suppressions_untouched() -> None:
    findings = [_f(), _f("B602", status="suppressed"), _f("B101", file="tests/t.py")]
    waivers = [
        _w("bandit:B105", TODAY + dt.timedelta(days=1), subject="app/*"),
        _w("B101", TODAY - dt.timedelta(days=1)),
        _w("bandit:B602", TODAY + dt.timedelta(days=1)),  # only matches a suppressed finding: stale
        _w("checkov:CKV_X", TODAY + dt.timedelta(days=1)),
    ]
    out, statuses = apply_finding_waivers(findings, waivers, TODAY)
    assert [f.status for f in out] == ["waived", "suppressed", "open"]
    assert [s.state for s in statuses] == [
        WaiverState.ACTIVE,
        WaiverState.EXPIRED,
        WaiverState.STALE,
        WaiverState.STALE,
    ]
    assert statuses[1].covered == ("bandit:B101 tests/t.py:1",)


def test_registered_check_ids_are_check_waivers_not_finding_waivers() -> None:
    iac = scan_checks.IAC.id
    assert not is_finding_waiver(_w(iac, TODAY), {iac})
    assert is_finding_waiver(_w("checkov:CKV_AWS_21", TODAY), {iac})


def test_judge_failed_waived_passed_error_skipped() -> None:
    code = scan_checks.CODE
    outcome = ToolOutcome("bandit", code, None, findings=())
    assert judge(outcome, [_f()], "low", None).status is Status.FAILED
    assert judge(outcome, [_f(severity=Severity.LOW)], "medium", None).status is Status.PASSED
    ref = WaiverRef(owner="o", reason="r", expires=TODAY)
    waived = judge(outcome, [_f(status="waived")], "low", ref)
    assert waived.status is Status.WAIVED and waived.waiver == ref
    passed = judge(outcome, [_f(status="suppressed")], "low", None)
    assert passed.status is Status.PASSED and passed.evidence.details["suppressed_inline"] == [
        "bandit:B105 app/x.py:1"
    ]
    assert judge(ToolOutcome("bandit", code, None, error="boom"), [], "low", None).status is Status.ERROR
    skipped = judge(ToolOutcome("bandit", code, None, skipped="none"), [], "low", None)
    assert skipped.status is Status.SKIPPED and skipped.id == code.id


def test_redactor_masks_known_values_and_credential_shapes() -> None:
    red = Redactor(["canary-value-123"])
    text = (
        "saw canary-value-123 and AKIA" + "ABCDEFGHIJKLMNOP and postgres://app:hunter2@db/x "
        "Authorization: Bearer abcdef123456 ghp_" + "a" * 36
    )
    out = red.text(text)
    assert "canary-value-123" not in out and "AKIA" not in out and "hunter2" not in out
    assert "abcdef123456" not in out and "ghp_" not in out
    assert out.count(MASK) >= 3 and out.count(SHAPE_MASK) >= 2
    assert "postgres://app:" in out  # the user stays: only the password is a secret
    assert red.text("plain text with ${PGPASSWORD} reference") == "plain text with ${PGPASSWORD} reference"
