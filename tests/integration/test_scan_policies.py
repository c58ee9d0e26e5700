"""The custom checkov policies: each passes its passing sample and fails its failing one (real checkov),
and a broken policy file makes the scan an error naming the file — checkov alone only warns and passes."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest

from conftest import REPO_ROOT
from stackcheck.catalog import scan as scan_checks
from stackcheck.scan.checkov import OFFLINE_ENV, render_policies
from tests.integration.scan_helpers import tool

pytestmark = pytest.mark.integration

SAMPLES = REPO_ROOT / "tests" / "data" / "scan" / "policies"
PARAMS = json.loads((SAMPLES / "params.json").read_text())
FRAMEWORK = {"Dockerfile": "dockerfile", "docker-compose.yml": "yaml", "main.tf": "terraform"}
POLICY_IDS = sorted(p.name for p in SAMPLES.iterdir() if p.is_dir())


def _checkov(policies: Path, target: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    sample = next(target.iterdir())
    argv = [str(tool("checkov")), "-d", str(target), "--framework", FRAMEWORK[sample.name], "--skip-download"]
    argv += ["--external-checks-dir", str(policies), "-o", "json", "--compact", *extra]
    env = {**os.environ, **OFFLINE_ENV}
    return subprocess.run(argv, capture_output=True, text=True, env=env, timeout=300, check=False)


def _results(proc: subprocess.CompletedProcess[str], rule: str) -> dict[str, int]:
    data = json.loads(proc.stdout)
    reports = data if isinstance(data, list) else [data]
    counts = {"passed": 0, "failed": 0}
    for report in reports:
        for kind in counts:
            counts[kind] += sum(1 for c in report["results"][f"{kind}_checks"] if c["check_id"] == rule)
    return counts


def _samples(kind: str) -> list[tuple[str, str]]:
    """(policy id, sample folder) for every ``pass*`` or ``fail*`` folder of every policy."""
    return [
        (rule, d.name)
        for rule in POLICY_IDS
        for d in sorted((SAMPLES / rule).iterdir())
        if d.is_dir() and d.name.startswith(kind)
    ]


@pytest.mark.parametrize(("rule", "sample"), _samples("pass") + _samples("fail"))
def test_custom_policy_passes_its_passing_samples_and_fails_its_failing_ones(
    rule: str, sample: str, tmp_path: Path
) -> None:
    policies = render_policies(
        REPO_ROOT / "policies" / "checkov", tmp_path / "policies", PARAMS.get(rule, {})
    )
    counts = _results(_checkov(policies, SAMPLES / rule / sample, "-c", rule), rule)
    if sample.startswith("pass"):
        assert counts["failed"] == 0 and counts["passed"] >= 1, counts
    else:
        assert counts["failed"] >= 1, counts


def test_every_custom_policy_has_a_passing_and_a_failing_sample() -> None:
    for rule in POLICY_IDS:
        kinds = {d.name.split("-")[0] for d in (SAMPLES / rule).iterdir() if d.is_dir()}
        assert {"pass", "fail"} <= kinds, rule


BROKEN = {
    "broken.yaml": "metadata:\n  id: CKV2_SC_99\ndefinition:\n  cond_type: attribute\n",
    "broken.py": "from checkov.common.models.enums import CheckResult\ndef oops(:\n",
}


@pytest.mark.parametrize("name", sorted(BROKEN))
def test_broken_policy_file_is_an_error_naming_it_while_checkov_alone_passes(
    name: str, tmp_path: Path, run_cli: Callable[..., object]
) -> None:
    policies = tmp_path / "policies"
    shutil.copytree(REPO_ROOT / "policies" / "checkov", policies)
    (policies / name).write_text(BROKEN[name])
    sample = SAMPLES / "CKV_SC_1" / "pass"
    alone = _checkov(policies, sample)
    assert alone.returncode == 0, "checkov itself does not fail on a broken policy (that is the point)"
    profile = tmp_path / "p.yaml"
    profile.write_text(
        f"name: broken\nscan: {{iac_paths: [{sample}], policies: {policies}, frameworks: [dockerfile]}}\n"
    )
    run = run_cli("scan", "--profile", str(profile), "--report-dir", str(tmp_path / "out"))
    assert run.code == 3, run.stdout + run.stderr  # type: ignore[attr-defined]
    report = json.loads((tmp_path / "out" / "report.json").read_text())
    iac = next(r for r in report["results"] if r["id"] == scan_checks.IAC.id)
    assert iac["status"] == "error" and name in iac["message"], iac["message"]
