"""--history and report diff: the comparison of two runs, the trend, and the bounded reading of the file."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from stackcheck.catalog import Severity
from stackcheck.claims import ClaimStatus, ClaimVerdict
from stackcheck.cli import main
from stackcheck.outcomes import CheckResult, ErrorReason, Status
from stackcheck.report import Finding, ProfileInfo, Report, RunInfo, write_report
from stackcheck.report import history as history_mod
from stackcheck.report.drift import HistoryRecord, WaiverExpiry, compare, trend
from stackcheck.report.history import append_record, read_history, record_history, record_of
from stackcheck.report.html import render_html
from stackcheck.report.model import summarize
from stackcheck.report.summary import render_summary
from stackcheck.waivers import WaiverState, WaiverStatus
from tests.unit.test_report import load_stats

NOW = dt.datetime(2026, 11, 23, 12, 0, tzinfo=dt.UTC)
TODAY = NOW.date()


def result(check: str, status: Status) -> CheckResult:
    return CheckResult(
        id=check,
        status=status,
        severity=Severity.MEDIUM,
        title=check,
        suite="headers",
        message=str(status),
        error_reason=ErrorReason.TIMEOUT if status is Status.ERROR else None,
    )


def finding(fingerprint: str, severity: Severity = Severity.HIGH) -> Finding:
    return Finding(tool="checkov", rule_id="R", severity=severity, message="m", fingerprint=fingerprint)


def report(
    statuses: dict[str, Status],
    *,
    name: str = "demo",
    sha: str = "0",
    findings: tuple[Finding, ...] = (),
    waivers: tuple[WaiverStatus, ...] = (),
    claim: ClaimStatus | None = None,
    when: dt.datetime = NOW,
) -> Report:
    results = tuple(result(c, s) for c, s in statuses.items())
    claims = (ClaimVerdict(id="c1", text="t", source="adr.md:1", status=claim, message="m"),) if claim else ()
    return Report(
        run=RunInfo(
            command="stackcheck verify --profile p.yaml",
            started_at=when,
            finished_at=when,
            duration_s=1.0,
            host="h",
            tool_versions={},
        ),
        profile=ProfileInfo(name=name, path="p.yaml", files=("p.yaml",), sha256=sha * 64),
        target="http://127.0.0.1:1",
        summary=summarize(results, waivers, claims),
        claims=claims,
        results=results,
        waivers=waivers,
        findings=findings,
    )


def waiver(expires: dt.date) -> WaiverStatus:
    return WaiverStatus(
        check="headers.csp", subject=None, owner="sec", reason="r", expires=expires, state=WaiverState.ACTIVE
    )


def test_compare_names_new_failures_fixed_ones_findings_claims_and_waivers_about_to_expire() -> None:
    old = record_of(
        report(
            {"headers.nosniff": Status.PASSED, "headers.csp": Status.FAILED},
            findings=(finding("a" * 16), finding("b" * 16)),
            claim=ClaimStatus.VERIFIED,
        )
    )
    new = record_of(
        report(
            {"headers.nosniff": Status.FAILED, "headers.csp": Status.PASSED},
            sha="1",
            findings=(finding("b" * 16), finding("c" * 16)),
            claim=ClaimStatus.VIOLATED,
            waivers=(
                waiver(TODAY - dt.timedelta(days=1)),
                waiver(TODAY + dt.timedelta(days=14)),
                waiver(TODAY + dt.timedelta(days=15)),
            ),
        )
    )
    changes = compare(old, new, TODAY)
    assert changes.new_failures == ("headers.nosniff",)
    assert changes.fixed == ("headers.csp",)
    assert (changes.new_findings, changes.removed_findings) == (("c" * 16,), ("a" * 16,))
    assert [(v.id, v.before, v.after) for v in changes.claims] == [("c1", "verified", "violated")]
    assert changes.profile_changed
    assert [w.expires for w in changes.waivers_expired] == [TODAY - dt.timedelta(days=1)]
    assert [w.expires for w in changes.waivers_expiring] == [TODAY + dt.timedelta(days=14)]
    same = compare(new, new, TODAY)
    assert same.empty() and not same.profile_changed


def test_the_record_counts_pass_ratio_and_open_findings_by_severity() -> None:
    closed = finding("d" * 16).model_copy(update={"status": "suppressed"})
    rec = record_of(
        report(
            {"a": Status.PASSED, "b": Status.FAILED, "c": Status.ERROR, "d": Status.SKIPPED},
            findings=(finding("a" * 16), finding("b" * 16, Severity.LOW), closed),
        )
    )
    assert rec.pass_ratio == round(1 / 3, 4) and rec.failing == ("b", "c")
    assert rec.findings == {"high": 1, "low": 1} and rec.counts["skipped"] == 1
    assert rec.p95_ms is None  # no load ran
    assert rec.claim_counts["total"] == 0 and "not_met" in rec.control_counts


def test_the_trend_keeps_the_profiles_last_runs_only() -> None:
    others = [record_of(report({"a": Status.PASSED}, name="other"))]
    mine = [record_of(report({"a": Status.FAILED})) for _ in range(30)]
    new = record_of(report({"a": Status.PASSED}))
    points = trend([*others, *mine], new)
    assert len(points) == 20 and points[-1].pass_ratio == 1.0 and points[0].pass_ratio == 0.0


def test_reading_skips_malformed_and_overlong_lines_with_a_count(tmp_path: Path) -> None:
    path = tmp_path / "h.jsonl"
    good = record_of(report({"a": Status.PASSED}))
    append_record(path, good)
    with path.open("ab") as fh:
        fh.write(b"{not json\n\xff\xfe\n[1, 2]\n{}\n\n")
        fh.write(b'{"x": "' + b"y" * (70 * 1024) + b'"}\n')
    append_record(path, good)
    read = read_history(path)
    assert len(read.records) == 2 and read.skipped == 5
    assert read.partial is not None and "longer than 65536 bytes" in read.partial
    assert read_history(tmp_path / "missing.jsonl").records == ()


def test_a_file_over_the_size_bound_is_read_from_its_end_saying_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "h.jsonl"
    for i in range(40):
        append_record(path, record_of(report({"a": Status.PASSED}, when=NOW + dt.timedelta(hours=i))))
    monkeypatch.setattr(history_mod, "MAX_FILE_BYTES", 10_000)
    read = read_history(path)
    assert 0 < len(read.records) < 40 and read.skipped == 0  # the cut line is dropped, not counted bad
    assert read.records[-1].time == NOW + dt.timedelta(hours=39)
    assert read.partial is not None and "only its last 10000" in read.partial


def test_a_huge_record_stays_one_line_under_the_line_bound(tmp_path: Path) -> None:
    many = {f"check.{i}.{'x' * 60}": Status.FAILED for i in range(2000)}
    rec = record_of(report(many))
    assert rec.truncated and len(rec.failing) == 500
    path = tmp_path / "h.jsonl"
    append_record(path, rec)
    lines = path.read_bytes().splitlines()
    assert len(lines) == 1 and len(lines[0]) < 64 * 1024
    assert HistoryRecord.model_validate_json(lines[0]).truncated


def test_three_runs_show_a_new_failure_then_fixed_in_summary_and_html(tmp_path: Path) -> None:
    path = tmp_path / "history.jsonl"
    good = {"headers.nosniff": Status.PASSED, "health.live": Status.PASSED}
    bad = {"headers.nosniff": Status.FAILED, "health.live": Status.PASSED}
    first, line = record_history(report(good), path, TODAY)
    assert first.drift is not None and first.drift.changes is None and "0 earlier run(s)" in line
    assert "First recorded run" in render_summary(first)
    second, line = record_history(report(bad, when=NOW + dt.timedelta(hours=1)), path, TODAY)
    assert "1 new failure(s), 0 fixed" in line
    summary, page = render_summary(second), render_html(second)
    assert "new failure: headers.nosniff" in summary and "new failure: headers.nosniff" in page
    assert summary.index("Since the previous run") < summary.index("## Failures and errors")
    assert "<svg" in page and "pass ratio" in page and "| 50.0% |" in summary
    third, _ = record_history(report(good, when=NOW + dt.timedelta(hours=2)), path, TODAY)
    assert "fixed: headers.nosniff" in render_summary(third) and "fixed: headers.nosniff" in render_html(
        third
    )
    assert third.drift is not None and [p.pass_ratio for p in third.drift.trend] == [1.0, 0.5, 1.0]
    assert len(path.read_text().splitlines()) == 3
    # The report carries its drift: a re-read folder renders it again.
    write_report(third, tmp_path / "r")
    assert "fixed: headers.nosniff" in (tmp_path / "r" / "summary.md").read_text()


def test_another_profiles_runs_are_not_the_previous_run(tmp_path: Path) -> None:
    path = tmp_path / "history.jsonl"
    record_history(report({"a": Status.FAILED}, name="other"), path, TODAY)
    mine, _ = record_history(report({"a": Status.FAILED}), path, TODAY)
    assert mine.drift is not None and mine.drift.changes is None and mine.drift.runs == 0


def test_text_from_the_history_file_is_escaped(tmp_path: Path) -> None:
    path = tmp_path / "history.jsonl"
    evil = record_of(report({"a": Status.PASSED})).model_copy(update={"failing": ("<script>x</script>",)})
    append_record(path, evil)
    rep, _ = record_history(report({"a": Status.PASSED}), path, TODAY)
    page = render_html(rep)
    assert "<script>x" not in page and "&lt;script&gt;x" in page


def test_an_interrupted_run_is_shown_but_not_recorded(tmp_path: Path) -> None:
    path = tmp_path / "history.jsonl"
    partial = report({"a": Status.PASSED})
    partial = partial.model_copy(update={"run": partial.run.model_copy(update={"interrupted": True})})
    _, line = record_history(partial, path, TODAY)
    assert "not recorded" in line and not path.exists()


def test_report_diff_prints_what_changed_and_refuses_a_folder_without_a_report(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write_report(report({"headers.nosniff": Status.PASSED}, findings=(finding("a" * 16),)), tmp_path / "old")
    write_report(report({"headers.nosniff": Status.FAILED}), tmp_path / "new")
    assert main(["report", "diff", str(tmp_path / "old"), str(tmp_path / "new")]) == 0
    out = capsys.readouterr().out
    assert "new failure: headers.nosniff" in out and f"removed finding: {'a' * 16}" in out
    assert main(["report", "diff", str(tmp_path / "old"), str(tmp_path / "nothing")]) == 2
    err = capsys.readouterr().err
    assert "nothing/report.json not found" in err and len(err.strip().splitlines()) == 1
    assert "Traceback" not in err
    assert main(["report", "diff", str(tmp_path / "old")]) == 2


def test_waiver_expiry_round_trips_through_a_line() -> None:
    rec = record_of(report({"a": Status.PASSED}, waivers=(waiver(TODAY),)))
    again = HistoryRecord.model_validate(json.loads(rec.model_dump_json(by_alias=True)))
    assert again.waivers == (WaiverExpiry(check="headers.csp", owner="sec", expires=TODAY),)


def test_a_load_runs_p95_is_recorded_and_drawn_in_the_trend(tmp_path: Path) -> None:
    stats = load_stats()
    loaded = report({"slo.p95": Status.PASSED}).model_copy(update={"load": stats})
    assert record_of(loaded).p95_ms == stats.percentile(95) is not None
    path = tmp_path / "history.jsonl"
    record_history(loaded, path, TODAY)
    again, _ = record_history(loaded, path, TODAY)
    page, summary = render_html(again), render_summary(again)
    assert page.count('stroke="#1565c0"') == 1 and "no load recorded" not in page
    assert f"{stats.percentile(95):.1f} ms" in summary
