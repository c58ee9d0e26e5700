"""scan.fail_on per scanner and per check, on the real scanners: each check against its own threshold.

Samples (tests/data/scan/thresholds): a Dockerfile with one checkov failure (a built-in policy, medium
offline), a module whose only bandit findings are a medium (B307 eval) and a low (B105), and a committed
password detect-secrets rates high. One profile judges them two ways, and the verdicts swap; findings
under a threshold are listed in the result, never failing it. trivy: the planted advisories of the offline
DB (fixtures/vulndb: a HIGH and a MEDIUM one in stackcheck/redis:8) pass at `critical` and fail at `high`.
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from stackcheck.catalog import scan as scan_checks
from stackcheck.catalog import secrets as secret_checks
from stackcheck.scan.vulndb import DEFAULT_FIXTURES
from tests.integration.scan_helpers import tool
from tests.integration.test_scan_vulndb import REDIS8, _build, _need_builder, _need_images

pytestmark = pytest.mark.integration

SAMPLES = Path(__file__).resolve().parents[1] / "data" / "scan" / "thresholds"


def _scan(
    run_cli: Callable[..., Any], tmp_path: Path, name: str, scan: dict[str, Any], *options: str
) -> tuple[Any, dict[str, dict[str, Any]]]:
    profile = tmp_path / f"{name}.yaml"
    profile.write_text(yaml.safe_dump({"name": name, "scan": scan}), encoding="utf-8")
    out = tmp_path / f"out-{name}"
    run = run_cli("scan", "--profile", str(profile), "--report-dir", str(out), *options)
    assert (out / "report.json").is_file(), run.stdout + run.stderr
    report = json.loads((out / "report.json").read_text())
    return run, {f"{r['id']}[{r['subject']}]" if r["subject"] else r["id"]: r for r in report["results"]}


def _advisories(labels: list[str]) -> set[str]:
    """``trivy:SC-TEST-2026-0001 IMAGE (debian 13.8) (high)`` → ``SC-TEST-2026-0001 (high)``."""
    return {f"{label.split()[0].removeprefix('trivy:')} {label.split()[-1]}" for label in labels}


def _static(fail_on: dict[str, str]) -> dict[str, Any]:
    return {"iac_paths": ["iac"], "code_paths": ["code"], "secret_paths": ["code"], "fail_on": fail_on}


def test_each_static_scanner_judges_its_findings_against_its_own_threshold(
    run_cli: Callable[..., Any], tmp_path: Path
) -> None:
    for name in ("checkov", "bandit", "detect-secrets"):
        tool(name)
    shutil.copytree(SAMPLES, tmp_path, dirs_exist_ok=True)  # files named relative to the profile's folder
    strict_iac = {"checkov": "any", "bandit": "high", "secrets.repo": "critical"}
    run, results = _scan(run_cli, tmp_path, "strict-iac", _static(strict_iac))
    assert run.code == 1, run.stdout + run.stderr
    iac, code, repo = (results[c.id] for c in (scan_checks.IAC, scan_checks.CODE, secret_checks.REPO))
    assert iac["status"] == "failed", iac
    assert iac["message"].startswith("1 open checkov finding(s) at any severity: CKV_DOCKER_4 iac/Dockerfile")
    assert iac["evidence"]["details"]["fail_on_key"] == "scan.fail_on.checkov"
    # bandit's medium and low findings are under `high`: listed, not failing.
    assert code["status"] == "passed", code
    assert "2 below high: B307 code/evaluate.py:5; B105 code/settings.py:3" in code["message"], code
    assert sorted(code["evidence"]["details"]["below_fail_on_findings"]) == [
        "bandit:B105 code/settings.py:3 (low)",
        "bandit:B307 code/evaluate.py:5 (medium)",
    ]
    assert repo["status"] == "passed" and "1 below critical" in repo["message"], repo

    # The other way round: checkov's medium finding is under `high`, bandit's is at `medium`, any secret.
    strict_code = {"checkov": "high", "bandit": "medium", "secrets.repo": "any"}
    run, results = _scan(run_cli, tmp_path, "strict-code", _static(strict_code))
    assert run.code == 1, run.stdout + run.stderr
    iac, code, repo = (results[c.id] for c in (scan_checks.IAC, scan_checks.CODE, secret_checks.REPO))
    assert iac["status"] == "passed" and "1 below high: CKV_DOCKER_4" in iac["message"], iac
    assert code["status"] == "failed", code
    assert code["message"] == (
        "1 open bandit finding(s) at or above medium: B307 code/evaluate.py:5; "
        "1 below medium listed, not failing"
    )
    assert repo["status"] == "failed" and "at any severity" in repo["message"], repo


def test_trivy_high_advisory_passes_at_critical_and_fails_at_high(
    run_cli: Callable[..., Any], tmp_path: Path
) -> None:
    tool("trivy")
    _need_images()
    _need_builder()
    db = tmp_path / "vulndb"
    _build(db, DEFAULT_FIXTURES)
    scan = {"images": [REDIS8], "vulnerability_db": str(db), "fail_on": {"trivy": "critical"}}
    label = f"{scan_checks.VULNERABILITIES.id}[{REDIS8}]"
    run, results = _scan(run_cli, tmp_path, "critical", scan)
    vulns = results[label]
    assert vulns["status"] == "passed", (vulns, run.stdout)
    details = vulns["evidence"]["details"]
    # Each advisory hits two binary packages of its source package (redis-server/redis-tools, ...).
    assert _advisories(details["below_fail_on_findings"]) == {
        "SC-TEST-2026-0001 (high)",
        "SC-TEST-2026-0002 (medium)",
    }, details
    assert (
        "4 below critical: SC-TEST-2026-000" in vulns["message"]
        and details["fail_on_key"] == "scan.fail_on.trivy"
    )

    run, results = _scan(run_cli, tmp_path, "high", scan, "--set", "scan.fail_on.image.vulnerabilities=high")
    vulns = results[label]
    assert vulns["status"] == "failed" and run.code == 1, (vulns, run.stdout)
    assert vulns["message"].startswith("2 open trivy finding(s) at or above high: SC-TEST-2026-0001"), vulns
    assert vulns["message"].endswith("2 below high listed, not failing")  # the MEDIUM openssl advisory
    details = vulns["evidence"]["details"]
    assert _advisories(details["below_fail_on_findings"]) == {"SC-TEST-2026-0002 (medium)"}
    assert details["fail_on_key"] == "scan.fail_on.image.vulnerabilities"
    # The check id wins over its scanner: trivy's other checks stay at `critical`.
    assert results[f"{scan_checks.IMAGE.id}[{REDIS8}]"]["evidence"]["details"]["fail_on"] == "critical"
