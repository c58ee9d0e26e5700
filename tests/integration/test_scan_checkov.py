"""`stackcheck scan` and checkov: the IaC samples pass/fail as designed, and stackcheck's checkov findings
agree exactly with running checkov directly on the same files."""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from conftest import REPO_ROOT
from stackcheck.catalog import scan as scan_checks
from stackcheck.scan.checkov import OFFLINE_ENV, checkov_reports
from tests.integration.scan_helpers import tool

pytestmark = pytest.mark.integration

IAC = REPO_ROOT / "fixtures" / "iac"
SYSTEMS = ["chimera", "djinn", "ai-platform", "monte-carlo"]
# The policies each non-compliant sample must trip (further built-in findings come on top). Monte Carlo's
# Dockerfile has no USER and no HEALTHCHECK at all: the built-ins report that, CKV_SC_1/2 stay silent.
EXPECTED = {
    "chimera": {"CKV_SC_1", "CKV_SC_2", "CKV_SC_11"},
    "djinn": {
        "CKV_SC_1",
        "CKV_SC_3",
        "CKV_SC_4",
        "CKV_SC_5",
        "CKV_SC_7",
        "CKV_SC_8",
        "CKV_SC_13",
        "CKV_SC_14",
    }
    | {"CKV_SC_16"},
    "ai-platform": {"CKV_SC_5", "CKV_AWS_21", "CKV_SC_8", "CKV_SC_22", "CKV_SC_23", "CKV_SC_24"},
    "monte-carlo": {"CKV_DOCKER_2", "CKV_DOCKER_3", "CKV_SC_7", "CKV_SC_10", "CKV_SC_13", "CKV_SC_19"},
}


FRAMEWORKS = {
    "chimera": "dockerfile",
    "djinn": "terraform,dockerfile,yaml,github_actions",
    "ai-platform": "terraform",
    "monte-carlo": "dockerfile,kubernetes,yaml",
}


def _scan(
    run_cli: Callable[..., Any], tmp_path: Path, system: str, *paths: str
) -> tuple[Any, dict[str, Any]]:
    out = tmp_path / f"{system}-{len(paths)}"
    run = run_cli("scan", "--profile", str(IAC / system / "scan.yaml"), *paths, "--report-dir", str(out))
    return run, json.loads((out / "report.json").read_text())


@pytest.mark.parametrize("system", SYSTEMS)
def test_compliant_sample_passes_and_noncompliant_sample_fails_its_policies(
    system: str, tmp_path: Path, run_cli: Callable[..., Any]
) -> None:
    tool("checkov")
    good, good_report = _scan(run_cli, tmp_path, system)
    assert good.code == 0, good.stdout + good.stderr
    assert {r["id"]: r["status"] for r in good_report["results"]}[scan_checks.IAC.id] in ("passed", "waived")
    bad, bad_report = _scan(run_cli, tmp_path, system, str(IAC / system / "noncompliant"))
    assert bad.code == 1, bad.stdout + bad.stderr
    open_rules = {
        f["rule_id"] for f in bad_report["findings"] if f["tool"] == "checkov" and f["status"] == "open"
    }
    assert EXPECTED[system] <= open_rules, open_rules


def _direct(system: str, variant: str, policies: Path) -> set[tuple[str, str, int, str]]:
    """checkov run by hand on the same folder (with the same parameters) → (rule, file, line, status)."""
    out = policies.parent / f"direct-{variant}"
    folder = (IAC / system / variant).resolve()
    frameworks = FRAMEWORKS[system]
    argv = [str(tool("checkov")), "--directory", str(folder), "--framework", frameworks, "--skip-download"]
    argv += ["--external-checks-dir", str(policies), "-o", "json", "--output-file-path", str(out)]
    subprocess.run(argv, env={**os.environ, **OFFLINE_ENV}, capture_output=True, timeout=300, check=False)
    rows = set()
    for report in checkov_reports((out / "results_json.json").read_text()):
        for kind, status in (("failed_checks", "open"), ("skipped_checks", "suppressed")):
            for c in report["results"][kind]:
                file = folder / str(c["file_path"]).lstrip("/")
                # stackcheck names files relative to the profile's folder (the scan root)
                rel = file.relative_to((IAC / system).resolve()).as_posix()
                rows.add((c["check_id"], rel, c["file_line_range"][0], status))
    return rows


@pytest.mark.parametrize("variant", ["compliant", "noncompliant"])
@pytest.mark.parametrize("system", SYSTEMS)
def test_checkov_findings_agree_exactly_with_checkov_run_directly(
    system: str, variant: str, tmp_path: Path, run_cli: Callable[..., Any]
) -> None:
    from stackcheck.profile import load_profile
    from stackcheck.scan.checkov import policy_params, render_policies

    profile = load_profile(IAC / system / "scan.yaml").profile
    policies = render_policies(
        REPO_ROOT / "policies" / "checkov", tmp_path / "policies", policy_params(profile)
    )
    direct = _direct(system, variant, policies)
    _, report = _scan(run_cli, tmp_path, system, str(IAC / system / variant))
    ours = {
        (f["rule_id"], f["file"], f["line"], "suppressed" if f["status"] == "suppressed" else "open")
        for f in report["findings"]
        if f["tool"] == "checkov"
    }
    assert ours == direct
