"""--history against the real reference service: three verify runs (compliant, nosniff dropped, compliant
again) show the new failure, then the fix, in summary.md and index.html; report diff names it too."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from conftest import CliRun

pytestmark = pytest.mark.integration

PROFILE = """\
name: history-edge
health: {live: /health/live, ready: null}
headers: {required: [x-content-type-options]}
"""


def test_three_runs_show_a_new_failure_then_fixed_and_report_diff_names_it(
    tmp_path: Path, refservice: Callable[..., Any], run_cli: Callable[..., CliRun]
) -> None:
    profile = tmp_path / "edge.yaml"
    profile.write_text(PROFILE)
    history = tmp_path / "history.jsonl"
    runs = []
    for defects in ([], ["no-header=x-content-type-options"], []):
        service = refservice(defects=defects)
        argv = ["verify", "--profile", str(profile), "--target", service.url, "--history", str(history)]
        runs.append(run_cli(*argv, "--suite", "health", "--suite", "headers"))
        service.stop()
    first, second, third = runs
    assert [r.code for r in runs] == [0, 1, 0], [r.stdout + r.stderr for r in runs]
    assert "history: recorded" in first.stdout and "0 earlier run(s)" in first.stdout
    lines = [json.loads(x) for x in history.read_text().splitlines()]
    assert [x["exit_code"] for x in lines] == [0, 1, 0]
    assert "headers.nosniff" in lines[1]["failing"] and lines[0]["schema"] == "stackcheck.history/v1"
    for run, change in ((second, "new failure: headers.nosniff"), (third, "fixed: headers.nosniff")):
        assert run.report_dir is not None
        summary = (run.report_dir / "summary.md").read_text()
        page = (run.report_dir / "index.html").read_text()
        assert change in summary and change in page, summary
        assert run.report["drift"]["changes"] is not None
    assert first.report_dir is not None and third.report_dir is not None
    assert "First recorded run" in (first.report_dir / "summary.md").read_text()
    assert "new failure" not in (third.report_dir / "summary.md").read_text()
    trend = third.report["drift"]["trend"]
    assert [p["exit_code"] for p in trend] == [0, 1, 0]
    diff = run_cli("report", "diff", str(first.report_dir), str(second.report_dir), report=False)
    assert diff.code == 0, diff.stderr
    assert "new failure: headers.nosniff" in diff.stdout
    missing = run_cli("report", "diff", str(first.report_dir), str(tmp_path / "none"), report=False)
    assert missing.code == 2 and len(missing.stderr.strip().splitlines()) == 1
