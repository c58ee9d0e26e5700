"""The command line's output habits, through the real CLI against the reference service: ``--quiet``,
``--format json --output -`` (the report alone on stdout), ``-v`` with one verdict and no progress dots, and
a progress line while stackcheck waits for a service it starts."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from conftest import DEMO_PROFILE, REPO_ROOT, CliRun

pytestmark = pytest.mark.integration

VERDICT = re.compile(r" -> exit code \d+$")


def health_run(run_cli: Callable[..., CliRun], url: str, *args: str) -> CliRun:
    """``stackcheck verify --suite health`` of the demo profile against ``url``."""
    return run_cli("verify", "--profile", str(DEMO_PROFILE), "--target", url, "--suite", "health", *args)


def test_quiet_prints_the_verdict_line_alone(
    refservice: Callable[..., Any], run_cli: Callable[..., CliRun]
) -> None:
    run = health_run(run_cli, refservice().url, "--quiet")
    assert run.code == 0, run.stdout + run.stderr
    (line,) = run.stdout.splitlines()
    assert line.startswith("COMPLIANT") and line.endswith(" -> exit code 0"), run.stdout
    assert run.stderr == ""
    assert run.report["summary"]["passed"] > 0  # the report is still written in full


def test_format_json_to_stdout_is_the_report_alone(
    refservice: Callable[..., Any], run_cli: Callable[..., CliRun]
) -> None:
    run = health_run(
        run_cli, refservice(defects=["missing=/freshness"]).url, "--format", "json", "--output", "-"
    )
    assert run.code == 1
    printed = json.loads(run.stdout)  # nothing but the report on stdout
    assert printed["schema"] == "stackcheck.report/v1"
    assert printed == run.report
    assert run.report_dir is not None
    assert sorted(p.name for p in run.report_dir.iterdir()) == ["report.json"]  # --format chose the files
    assert "FAIL    health.extra[/freshness]" in run.stderr  # the human lines went to stderr
    assert len([ln for ln in run.stderr.splitlines() if VERDICT.search(ln)]) == 1


def test_verbose_shows_one_verdict_and_no_progress_dots(
    refservice: Callable[..., Any], run_cli: Callable[..., CliRun]
) -> None:
    run = health_run(run_cli, refservice(defects=["missing=/freshness"]).url, "-v")
    assert run.code == 1
    lines = run.stdout.splitlines()
    assert len([ln for ln in lines if VERDICT.search(ln)]) == 1, run.stdout
    assert VERDICT.search(next(ln for ln in reversed(lines) if ln.strip() and not ln.startswith("report:")))
    assert not [ln for ln in lines if re.fullmatch(r"[.FEsx]+( +\[ *\d+%\])?", ln.strip())], run.stdout
    assert "FAIL    health.extra[/freshness]" in run.stdout
    assert "AssertionError" in run.stdout or "Error" in run.stdout  # pytest's traceback: the detail -v adds


def test_a_wait_for_a_slow_service_prints_what_it_waits_for(
    tmp_path: Path, run_cli: Callable[..., CliRun]
) -> None:
    # The reference service, started 1.5 s late: stackcheck waits for it to answer.
    late = (
        "import runpy, sys, time; time.sleep(1.5); "
        "sys.argv = ['refservice', '--profile', sys.argv[1], '--port', sys.argv[2]]; "
        "runpy.run_module('fixtures.refservice', run_name='__main__')"
    )
    body = {
        "name": "late-service",
        "health": {"live": "/health/live"},
        "service": {"command": ["{python}", "-c", late, "{profile}", "{port}"], "cwd": str(REPO_ROOT)},
    }
    profile = tmp_path / "late.yaml"
    profile.write_text(yaml.safe_dump(body))
    run = run_cli("verify", "--profile", str(profile), "--suite", "health")
    assert run.code == 0, run.stdout + run.stderr
    waits = [
        ln for ln in run.stderr.splitlines() if "waiting for the service (service.command) on http" in ln
    ]
    assert len(waits) == 1 and re.search(r"\(up to \d+ s\)$", waits[0]), run.stderr
    assert re.search(r"the service \(service.command\) on \S+: done after [\d.]+ s", run.stderr)
    assert (
        "waiting for" not in run.stdout and "waiting for" not in (run.report_dir / "summary.md").read_text()
    )

    quiet = run_cli("verify", "--profile", str(profile), "--suite", "health", "-q")
    assert quiet.code == 0 and "waiting for" not in quiet.stderr
