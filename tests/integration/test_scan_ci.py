"""`stackcheck scan` and actionlint (scan.ci): the passing workflow sample passes, the failing one fails and
names both of actionlint's findings, and without actionlint the check is an error — never passed."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from conftest import REPO_ROOT
from stackcheck.catalog import scan as scan_checks
from tests.integration.scan_helpers import tool

pytestmark = pytest.mark.integration

SAMPLES = REPO_ROOT / "fixtures" / "ci"
CI = scan_checks.CI.id


def _scan(run_cli: Callable[..., Any], out: Path, *paths: str) -> tuple[Any, dict[str, Any]]:
    run = run_cli("scan", "--profile", str(SAMPLES / "scan.yaml"), *paths, "--report-dir", str(out))
    return run, json.loads((out / "report.json").read_text())


def test_passing_workflow_passes_and_failing_workflow_fails_with_actionlints_findings(
    tmp_path: Path, run_cli: Callable[..., Any]
) -> None:
    tool("actionlint")
    tool("checkov")
    good, good_report = _scan(run_cli, tmp_path / "good")
    assert good.code == 0, good.stdout + good.stderr
    ci = next(r for r in good_report["results"] if r["id"] == CI)
    # named relative to the profile's folder (fixtures/ci), the scan root
    assert ci["status"] == "passed" and ci["evidence"]["details"]["workflows"] == [
        "passing/.github/workflows/ci.yml"
    ]
    assert good_report["run"]["tool_versions"]["actionlint"] == "1.7.12"
    bad, bad_report = _scan(run_cli, tmp_path / "bad", str(SAMPLES / "failing"))
    assert bad.code == 1, bad.stdout + bad.stderr
    ci = next(r for r in bad_report["results"] if r["id"] == CI)
    assert ci["status"] == "failed" and "2 open actionlint finding(s)" in ci["message"], ci["message"]
    found = {
        (f["rule_id"], f["line"], f["severity"]) for f in bad_report["findings"] if f["tool"] == "actionlint"
    }
    assert found == {("job-needs", 16, "medium"), ("expression", 21, "high")}
    sarif = json.loads((tmp_path / "bad" / "results.sarif").read_text())
    assert "actionlint" in {r["tool"]["driver"]["name"] for r in sarif["runs"]}


def test_missing_actionlint_is_an_error_with_the_install_hint(
    tmp_path: Path, run_cli: Callable[..., Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    # checkov is not what this proves: a stand-in that reports nothing takes its place.
    checkov = tmp_path / "checkov"
    checkov.write_text(
        '#!/bin/sh\nwhile [ "$1" != "--output-file-path" ]; do shift; done\n'
        'report="${2%,}"; mkdir -p "$(dirname "$report")" && echo "[]" > "$report"\n'
    )
    checkov.chmod(0o755)
    monkeypatch.setenv("STACKCHECK_CHECKOV", str(checkov))
    monkeypatch.setenv("STACKCHECK_ACTIONLINT", str(tmp_path / "no-such-actionlint"))
    profile = tmp_path / "p.yaml"
    profile.write_text(
        f"name: no-actionlint\nscan: {{iac_paths: [{SAMPLES / 'failing'}], secret_paths: []}}\n"
    )
    run = run_cli("scan", "--profile", str(profile), "--report-dir", str(tmp_path / "out"))
    assert run.code == 3, run.stdout + run.stderr
    results = json.loads((tmp_path / "out" / "report.json").read_text())["results"]
    ci = next(r for r in results if r["id"] == CI)
    assert ci["status"] == "error" and "STACKCHECK_ACTIONLINT" in ci["message"], ci["message"]
