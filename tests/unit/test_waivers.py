"""Waivers: active ones turn failures into `waived`, expired ones fail the run, stale ones are reported."""

from __future__ import annotations

import datetime as dt

from stackcheck.catalog import Severity
from stackcheck.outcomes import CheckResult, ErrorReason, Status
from stackcheck.profile import Waiver
from stackcheck.report.model import ExitCode, exit_code
from stackcheck.waivers import WaiverState, apply_waivers

TODAY = dt.date(2026, 11, 23)
KNOWN = {"health.live", "health.ready", "health.extra", "tls.protocols"}


def result(check: str, status: Status, subject: str | None = None) -> CheckResult:
    reason = ErrorReason.UNREACHABLE if status is Status.ERROR else None
    return CheckResult(
        id=check,
        subject=subject,
        status=status,
        severity=Severity.HIGH,
        title="t",
        suite="s",
        error_reason=reason,
    )


def waiver(check: str, expires: dt.date, subject: str | None = None) -> Waiver:
    return Waiver(check=check, subject=subject, reason="accepted risk", owner="platform", expires=expires)


def test_unexpired_waiver_turns_failure_into_waived_and_run_passes() -> None:
    results, states = apply_waivers(
        [result("health.live", Status.FAILED), result("health.ready", Status.PASSED)],
        [waiver("health.live", TODAY)],
        KNOWN,
        TODAY,
    )
    assert [r.status for r in results] == [Status.WAIVED, Status.PASSED]
    assert results[0].waiver is not None and results[0].waiver.owner == "platform"
    assert states[0].state is WaiverState.ACTIVE and states[0].covered == ("health.live",)
    assert exit_code(results, tuple(states)) is ExitCode.OK


def test_expired_waiver_covers_nothing_and_fails_the_run_even_if_check_passes() -> None:
    yesterday = TODAY - dt.timedelta(days=1)
    results, states = apply_waivers(
        [result("health.live", Status.PASSED)], [waiver("health.live", yesterday)], KNOWN, TODAY
    )
    assert results[0].status is Status.PASSED
    assert states[0].state is WaiverState.EXPIRED
    assert exit_code(results, tuple(states)) is ExitCode.FAILED


def test_expired_waiver_leaves_the_failure_failed() -> None:
    results, states = apply_waivers(
        [result("health.live", Status.FAILED)], [waiver("health.live", dt.date(2020, 1, 1))], KNOWN, TODAY
    )
    assert results[0].status is Status.FAILED
    assert states[0].covered == ("health.live",)


def test_waiver_for_a_passing_check_or_unknown_id_is_stale() -> None:
    _, states = apply_waivers(
        [result("health.live", Status.PASSED)],
        [waiver("health.live", TODAY), waiver("no.such", TODAY)],
        KNOWN,
        TODAY,
    )
    assert [s.state for s in states] == [WaiverState.STALE, WaiverState.STALE]


def test_waiver_for_a_check_that_did_not_run_is_unused_not_stale() -> None:
    _, states = apply_waivers(
        [result("health.live", Status.PASSED)], [waiver("tls.protocols", TODAY)], KNOWN, TODAY
    )
    assert states[0].state is WaiverState.UNUSED


def test_subject_waiver_covers_only_that_subject() -> None:
    results, _ = apply_waivers(
        [result("health.extra", Status.FAILED, "/a"), result("health.extra", Status.FAILED, "/b")],
        [waiver("health.extra", TODAY, subject="/b")],
        KNOWN,
        TODAY,
    )
    assert [r.status for r in results] == [Status.FAILED, Status.WAIVED]


def test_error_is_never_waived_and_gives_exit_code_3() -> None:
    results, states = apply_waivers(
        [result("health.live", Status.ERROR)], [waiver("health.live", TODAY)], KNOWN, TODAY
    )
    assert results[0].status is Status.ERROR
    assert exit_code(results, tuple(states)) is ExitCode.ERROR


def test_finding_waivers_are_left_to_the_scan_stage() -> None:
    yesterday = TODAY - dt.timedelta(days=1)
    _, states = apply_waivers(
        [result("health.live", Status.PASSED)], [waiver("checkov:CKV_AWS_21", yesterday)], KNOWN, TODAY
    )
    assert states[0].state is WaiverState.UNUSED
