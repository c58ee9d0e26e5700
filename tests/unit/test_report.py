"""Report: exit codes, JUnit structure, Markdown summary, console lines — pure functions of the model."""

from __future__ import annotations

import datetime as dt
import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from pydantic import ValidationError

from stackcheck.catalog import Severity
from stackcheck.load.plan import build_plan
from stackcheck.load.recorder import Recorder
from stackcheck.load.stats import GeneratorProcess, LoadStats, build_stats
from stackcheck.outcomes import CheckResult, ErrorReason, Evidence, Status
from stackcheck.profile import Profile
from stackcheck.report import (
    ARTIFACTS,
    Finding,
    ProfileInfo,
    Report,
    RunInfo,
    read_report,
    render_console,
    render_html,
    render_junit,
    render_summary,
    write_report,
)
from stackcheck.report.model import summarize

NOW = dt.datetime(2026, 11, 23, 12, 0, tzinfo=dt.UTC)


def make_report(*statuses: Status) -> Report:
    results = tuple(
        CheckResult(
            id="health.latency",
            subject=f"/p{i}",
            status=s,
            severity=Severity.MEDIUM,
            title="latency",
            suite="health",
            message=f"message {s}",
            evidence=Evidence(expected=100, observed=120.5, op="<=", unit="ms"),
            error_reason=ErrorReason.TIMEOUT if s is Status.ERROR else None,
        )
        for i, s in enumerate(statuses)
    )
    return Report(
        run=RunInfo(
            command="stackcheck verify",
            started_at=NOW,
            finished_at=NOW,
            duration_s=1.0,
            host="h",
            tool_versions={"stackcheck": "0.1.0"},
        ),
        profile=ProfileInfo(name="demo", path="demo.yaml", files=("demo.yaml",), sha256="0" * 64),
        target="http://127.0.0.1:1",
        summary=summarize(results, ()),
        results=results,
    )


def load_stats() -> LoadStats:
    """Statistics of a short run, built as the Locust master builds them."""
    profile = Profile.model_validate(
        {"name": "p", "slo": {"p95_ms": 100}, "load": {"users": 2, "duration_s": 2}}
    )
    plan = build_plan(profile, "http://127.0.0.1:1", workers=0, stats_path="/dev/null")
    rec = Recorder()
    t0 = NOW.timestamp()
    for i in range(20):
        rec.record("GET /", "GET", 1.0 + i % 3, 1.0, 0.0, None, now=t0 + i / 10)
    local = GeneratorProcess(id="local", role="local", requests=20, cpu_s=0.1, wall_s=2, cpu_percent=5)
    return build_stats(
        plan,
        rec,
        started=t0,
        ended=t0 + 2,
        steady_at=t0,
        users={int(t0): 2},
        generator=[local],
        complete=True,
    )


def test_exit_code_is_1_when_anything_failed_even_with_errors() -> None:
    assert make_report(Status.PASSED, Status.ERROR, Status.FAILED).summary.exit_code == 1


def test_exit_code_is_3_for_errors_without_failures() -> None:
    assert make_report(Status.PASSED, Status.ERROR, Status.SKIPPED).summary.exit_code == 3


def test_exit_code_is_0_for_passed_skipped_and_waived() -> None:
    assert make_report(Status.PASSED, Status.SKIPPED, Status.WAIVED).summary.exit_code == 0


def test_a_run_with_no_result_is_never_compliant() -> None:
    # A marker naming no check used to end as pytest exit 4 with a report saying COMPLIANT, exit code 0.
    report = make_report()
    assert report.summary.exit_code == 2
    for text in (render_summary(report), render_html(report), render_console(report, None)):
        assert "NOTHING CHECKED" in text and "COMPLIANT:" not in text


def test_junit_maps_failed_to_failure_and_error_to_error() -> None:
    root = ET.fromstring(
        render_junit(make_report(Status.PASSED, Status.FAILED, Status.ERROR, Status.SKIPPED))
    )
    suite = root.find("testsuite")
    assert suite is not None
    assert (suite.get("tests"), suite.get("failures"), suite.get("errors"), suite.get("skipped")) == (
        "4",
        "1",
        "1",
        "1",
    )
    cases = suite.findall("testcase")
    assert cases[1].find("failure") is not None and cases[2].find("error") is not None
    assert "expected <= 100 ms, observed 120.5 ms" in (cases[1].find("failure").text or "")  # type: ignore[union-attr]
    assert cases[2].find("error").get("type") == "timeout"  # type: ignore[union-attr]


def test_error_reason_is_set_exactly_when_the_status_is_error() -> None:
    fields = {"id": "health.live", "severity": Severity.HIGH, "title": "t", "suite": "health"}
    with pytest.raises(ValidationError, match="error_reason must be set exactly when status is error"):
        CheckResult(status=Status.ERROR, **fields)
    with pytest.raises(ValidationError, match="error_reason must be set exactly when status is error"):
        CheckResult(status=Status.FAILED, error_reason=ErrorReason.TIMEOUT, **fields)
    ok = CheckResult(status=Status.ERROR, error_reason=ErrorReason.TOOL_MISSING, **fields)
    assert json.loads(ok.model_dump_json())["error_reason"] == "tool_missing"


def test_result_of_a_spec_defaults_an_error_to_tool_failed() -> None:
    from stackcheck.catalog import REGISTRY

    spec = REGISTRY["health.live"]
    assert CheckResult.of(spec, Status.ERROR, "boom").error_reason is ErrorReason.TOOL_FAILED
    given = CheckResult.of(spec, Status.ERROR, "boom", error_reason=ErrorReason.UNREACHABLE)
    assert given.error_reason is ErrorReason.UNREACHABLE
    assert CheckResult.of(spec, Status.PASSED).error_reason is None


def test_summary_and_html_name_the_reason_of_an_error() -> None:
    report = make_report(Status.ERROR, Status.PASSED)
    assert "| ERROR (timeout) | `health.latency[/p0]` |" in render_summary(report)
    assert "| PASS | `health.latency[/p1]` |" in render_summary(report)
    assert "<span class=muted>timeout</span>" in render_html(report)


def test_summary_lists_failures_first_with_evidence() -> None:
    text = render_summary(make_report(Status.PASSED, Status.FAILED))
    rows = [line for line in text.splitlines() if line.startswith("| ") and "`health" in line]
    assert rows[0].startswith("| FAIL | `health.latency[/p1]`")
    assert "NON-COMPLIANT" in text and "exit code 1" in text


def test_report_folder_round_trips(tmp_path: Path) -> None:
    report = make_report(Status.PASSED, Status.FAILED)
    written = write_report(report, tmp_path / "r")
    assert sorted(p.name for p in written) == sorted(ARTIFACTS)
    assert {"junit.xml", "report.json", "summary.md"} <= set(ARTIFACTS)
    assert read_report(tmp_path / "r") == report
    assert '"schema": "stackcheck.report/v1"' in (tmp_path / "r" / "report.json").read_text()


def test_findings_appear_in_summary_and_junit() -> None:
    findings = (
        Finding(
            tool="checkov",
            rule_id="CKV_DOCKER_3",
            severity=Severity.HIGH,
            file="Dockerfile",
            line=1,
            message="no USER",
            fingerprint="a" * 16,
        ),
        Finding(
            tool="bandit",
            rule_id="B105",
            severity=Severity.LOW,
            file="app.py",
            line=3,
            message="hard-coded password",
            fingerprint="b" * 16,
            status="suppressed",
        ),
    )
    report = make_report(Status.PASSED).model_copy(update={"findings": findings})
    summary = render_summary(report)
    assert "1 open, 0 waived, 1 suppressed inline." in summary
    assert "| open | checkov | `CKV_DOCKER_3` | high | `Dockerfile:1` | no USER |" in summary
    suite = ET.fromstring(render_junit(report)).find("testsuite[@name='findings']")
    assert suite is not None and (suite.get("failures"), suite.get("skipped")) == ("1", "1")


def test_html_report_is_self_contained_and_escapes_what_the_target_said() -> None:
    report = make_report(Status.FAILED, Status.PASSED)
    hostile = report.results[0].model_copy(update={"message": "<script>alert(1)</script>"})
    report = report.model_copy(update={"results": (hostile, *report.results[1:]), "load": load_stats()})
    page = render_html(report)
    assert page.startswith("<!doctype html>") and page.rstrip().endswith("</html>")
    assert "<script" not in page and "&lt;script&gt;" in page
    assert "src=" not in page  # nothing fetched; links only to the page's own sections
    assert all(link.startswith("#") for link in re.findall(r'href="([^"]*)"', page))
    assert "health.latency[/p0]" in page and "Latency histogram" in page
    assert page.count("<svg") == 4  # the status bar, the histogram, p95 and requests per second
    assert page.count('class="legend"') == 4  # every chart has its legend


def test_load_statistics_are_typed_in_the_report_and_keep_their_json_shape(tmp_path: Path) -> None:
    stats = load_stats()
    report = make_report(Status.PASSED).model_copy(update={"load": stats})
    write_report(report, tmp_path / "r")
    back = read_report(tmp_path / "r")
    assert back == report and isinstance(back.load, LoadStats)
    raw = json.loads((tmp_path / "r" / "report.json").read_text())
    assert raw["load"] == json.loads(stats.to_json())  # the shape the Locust master writes
    assert raw["load"]["schema"] == "stackcheck.load/v1"
    html = render_html(back)
    assert "20 requests, 0 failed" in html and "p95 latency per second" in html
