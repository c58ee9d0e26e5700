"""The engine with tiny stand-in scanners: plan order by cost, a missing tool is an error for every check
its scanner decides, an unreadable output is an error, and results carry the check's own identity."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from conftest import REPO_ROOT
from stackcheck._exceptions import ErrorReason
from stackcheck.catalog import scan as scan_checks
from stackcheck.catalog import secrets as secret_checks
from stackcheck.outcomes import Status
from stackcheck.profile.models import Profile
from stackcheck.scan import bandit, checkov, engine, trivy
from stackcheck.scan.context import Planned, ScanContext
from stackcheck.scan.findings import ToolOutcome
from stackcheck.scan.runner import Job, JobResult
from stackcheck.scan.scanner import Scanner, ScannerName
from stackcheck.settings import Settings

CI_SAMPLES = REPO_ROOT / "fixtures" / "ci"


def _profile(**scan: object) -> Profile:
    return Profile.model_validate({"name": "unit", "scan": {"secret_paths": [], **scan}})


def _nowhere(tmp_path: Path) -> Settings:
    """Settings under which no scanner is installed."""
    return Settings.from_environ({"STACKCHECK_TOOLS_DIR": str(tmp_path / "no-tools"), "PATH": ""})


def test_missing_tools_are_errors_never_passed_or_failed(tmp_path: Path) -> None:
    profile = _profile(iac_paths=[str(CI_SAMPLES / "failing")], code_paths=[str(CI_SAMPLES)])
    run = engine.run_scan(profile, tmp_path, _nowhere(tmp_path))
    by_id = {r.id: r for r in run.results if r.subject is None}
    for check in (scan_checks.IAC, scan_checks.CI, scan_checks.CODE):
        assert by_id[check.id].status is Status.ERROR, by_id[check.id]
        assert "is not installed" in by_id[check.id].message
        assert by_id[check.id].error_reason is ErrorReason.TOOL_MISSING  # not "the tool failed"
    assert by_id[secret_checks.REPO.id].status is Status.SKIPPED  # secret_paths: [] — nothing to scan
    assert by_id[scan_checks.IMAGE.id].status is Status.SKIPPED  # no images
    assert run.tool_versions == {}  # nothing ran


def test_actionlint_skips_when_the_iac_paths_hold_no_workflow(tmp_path: Path) -> None:
    (tmp_path / "main.tf").write_text("")
    run = engine.run_scan(_profile(iac_paths=["main.tf"]), tmp_path, _nowhere(tmp_path))
    ci = next(r for r in run.results if r.id == scan_checks.CI.id)
    assert ci.status is Status.SKIPPED and "no GitHub Actions workflow" in ci.message


def _stand_in(name: ScannerName, real: Scanner, cost: int, code: str) -> Scanner:
    """A scanner that runs ``python -c code`` for its first check and reads stdout as the rule ids found."""

    def plan(ctx: ScanContext) -> list[Planned]:
        job = Job(f"{name} job", name, (sys.executable, "-c", code))
        return [Planned(real.checks[0], None, job=job)]

    def parse(ctx: ScanContext, planned: Planned, result: JobResult) -> list[ToolOutcome]:
        if "boom" in result.stdout:
            raise KeyError("results")
        return [ToolOutcome(name, planned.check, None, details={"said": result.stdout.strip()})]

    return Scanner(name, real.tool, real.checks, cost, plan, parse)


def test_jobs_start_by_cost_and_an_unreadable_output_is_an_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fakes = {
        ScannerName.BANDIT: _stand_in(ScannerName.BANDIT, bandit.SCANNER, 1, "print('ok')"),
        ScannerName.CHECKOV: _stand_in(ScannerName.CHECKOV, checkov.SCANNER, 5, "print('boom')"),
        ScannerName.TRIVY: _stand_in(ScannerName.TRIVY, trivy.SCANNER, 3, "print('ok')"),
    }
    monkeypatch.setattr("stackcheck.scan.engine.SCANNERS", fakes)  # the registry the engine runs
    started: list[str] = []
    run = engine.run_scan(
        _profile(),
        tmp_path,
        Settings.from_environ({"PATH": ""}),
        on_job=lambda r, _: started.append(r.job.tool),
    )
    assert sorted(started) == ["bandit", "checkov", "trivy"]  # each job is told of as soon as it ends
    by_id = {r.id: r for r in run.results}
    assert by_id[scan_checks.CODE.id].status is Status.PASSED
    assert by_id[scan_checks.CODE.id].evidence.details["said"] == "ok"
    iac = by_id[scan_checks.IAC.id]
    assert iac.status is Status.ERROR and "could not read checkov's output: KeyError" in iac.message
    assert iac.title == scan_checks.IAC.title and iac.suite == scan_checks.IAC.suite
    assert set(run.tool_versions) == {"bandit", "checkov", "trivy"}
    assert all(v.startswith("unknown (") for v in run.tool_versions.values())  # not the tool cache's copy
