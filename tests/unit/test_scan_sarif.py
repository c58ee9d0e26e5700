"""results.sarif: one run per tool, SARIF 2.1.0 shape, suppressions for waived and inline-suppressed."""

from __future__ import annotations

import datetime as dt
import json

from stackcheck.catalog.spec import Severity
from stackcheck.outcomes import CheckResult, ErrorReason, Status
from stackcheck.report.model import ProfileInfo, Report, RunInfo, summarize
from stackcheck.report.sarif import render_sarif
from stackcheck.scan.findings import make_finding

NOW = dt.datetime(2026, 11, 23, tzinfo=dt.UTC)


def _report(findings: tuple, results: tuple = ()) -> Report:  # type: ignore[type-arg]
    return Report(
        run=RunInfo(
            command="stackcheck scan",
            started_at=NOW,
            finished_at=NOW,
            duration_s=0,
            host="h",
            tool_versions={"stackcheck": "0.1.0"},
        ),
        profile=ProfileInfo(name="p", path="p.yaml", files=("p.yaml",), sha256="0" * 64),
        target=None,
        summary=summarize(results, ()),
        results=results,
        findings=findings,
    )


def test_one_run_per_tool_with_levels_locations_and_suppressions() -> None:
    findings = (
        make_finding(
            tool="checkov",
            rule_id="CKV_SC_1",
            severity=Severity.HIGH,
            message="root (resource x)",
            anchor="x",
            file="Dockerfile",
            line=3,
        ),
        make_finding(
            tool="bandit",
            rule_id="B602",
            severity=Severity.MEDIUM,
            message="shell",
            anchor="a",
            file="app.py",
            line=9,
            status="suppressed",
        ),
        make_finding(
            tool="bandit",
            rule_id="B105",
            severity=Severity.LOW,
            message="pw",
            anchor="b",
            file="app.py",
            line=5,
            status="waived",
        ),
    )
    sarif = json.loads(render_sarif(_report(findings)))
    assert sarif["version"] == "2.1.0"
    runs = {run["tool"]["driver"]["name"]: run for run in sarif["runs"]}
    assert set(runs) == {"bandit", "checkov"}
    (ckv,) = runs["checkov"]["results"]
    assert ckv["level"] == "error" and ckv["locations"][0]["physicalLocation"]["region"]["startLine"] == 3
    assert ckv["partialFingerprints"]["stackcheckFingerprint/v1"] == findings[0].fingerprint
    kinds = {r["ruleId"]: r["suppressions"][0]["kind"] for r in runs["bandit"]["results"]}
    assert kinds == {"B602": "inSource", "B105": "external"}
    for run in sarif["runs"]:
        for r in run["results"]:
            assert run["tool"]["driver"]["rules"][r["ruleIndex"]]["id"] == r["ruleId"]


def test_errored_check_without_findings_appears_in_a_stackcheck_run() -> None:
    error = CheckResult(
        id="scan.code",
        status=Status.ERROR,
        severity=Severity.HIGH,
        title="t",
        suite="scan",
        message="bandit is not installed",
        error_reason=ErrorReason.TOOL_MISSING,
    )
    sarif = json.loads(render_sarif(_report((), (error,))))
    (run,) = sarif["runs"]
    assert run["tool"]["driver"]["name"] == "stackcheck"
    assert "bandit is not installed" in run["results"][0]["message"]["text"]
    assert run["results"][0]["properties"] == {"status": "error", "errorReason": "tool_missing"}
