"""The custom checkov policies: each passes its passing sample and fails its failing one (real checkov),
and a broken policy file makes the scan an error naming the file — checkov alone only warns and passes."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from conftest import REPO_ROOT
from stackcheck.catalog import scan as scan_checks
from stackcheck.scan.checkov import OFFLINE_ENV, render_policies
from tests.integration.scan_helpers import tool

pytestmark = pytest.mark.integration

SAMPLES = REPO_ROOT / "tests" / "data" / "scan" / "policies"
# Parameters per policy id, or per "id/sample" where one sample needs its own (CKV_SC_13 with scratch).
PARAMS = json.loads((SAMPLES / "params.json").read_text())
# Where each failing sample's finding must point: "id/sample" -> (file, first line).
WHERE = json.loads((SAMPLES / "lines.json").read_text())
FRAMEWORK = {
    "Dockerfile": "dockerfile",
    "docker-compose.yml": "yaml",
    "main.tf": "terraform",
    "hpa.yaml": "kubernetes",
    "ci.yml": "github_actions",
}
POLICY_IDS = sorted(p.name for p in SAMPLES.iterdir() if p.is_dir())


def _checkov(policies: Path, target: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    sample = next(target.iterdir())
    argv = [str(tool("checkov")), "-d", str(target), "--framework", FRAMEWORK[sample.name], "--skip-download"]
    argv += ["--external-checks-dir", str(policies), "-o", "json", "--compact", *extra]
    env = {**os.environ, **OFFLINE_ENV}
    return subprocess.run(argv, capture_output=True, text=True, env=env, timeout=300, check=False)


def _checks(proc: subprocess.CompletedProcess[str], rule: str, kind: str) -> list[dict[str, object]]:
    data = json.loads(proc.stdout)
    reports = data if isinstance(data, list) else [data]
    # With no result at all checkov prints only a summary (no "results").
    found = [c for r in reports for c in r.get("results", {}).get(f"{kind}_checks", [])]
    return [c for c in found if c["check_id"] == rule]


def _results(proc: subprocess.CompletedProcess[str], rule: str) -> dict[str, int]:
    return {kind: len(_checks(proc, rule, kind)) for kind in ("passed", "failed")}


def _samples(kind: str) -> list[tuple[str, str]]:
    """(policy id, sample folder) for every ``pass*`` or ``fail*`` folder of every policy."""
    return [
        (rule, d.name)
        for rule in POLICY_IDS
        for d in sorted((SAMPLES / rule).iterdir())
        if d.is_dir() and d.name.startswith(kind)
    ]


Checks = dict[tuple[str, str], dict[str, list[dict[str, Any]]]]


def _one_run(policies: Path, samples: list[tuple[str, str]], rules: list[str]) -> Checks:
    """Every sample in one checkov process (a process per sample cost ~10 s each): each sample folder its
    own ``-d``, every framework at once, results mapped back to their sample by absolute path."""
    argv = [str(tool("checkov"))]
    for rule, sample in samples:
        argv += ["-d", str((SAMPLES / rule / sample).resolve())]
    argv += [
        "--framework",
        ",".join(sorted(set(FRAMEWORK.values()))),
        "--skip-download",
        "-c",
        ",".join(rules),
    ]
    argv += ["--external-checks-dir", str(policies), "-o", "json", "--compact"]
    proc = subprocess.run(
        argv, capture_output=True, text=True, env={**os.environ, **OFFLINE_ENV}, timeout=600, check=False
    )
    found: Checks = {s: {"passed": [], "failed": []} for s in samples}
    seen: set[tuple[str, ...]] = set()
    for report in _documents(proc.stdout):
        for kind in ("passed", "failed"):
            for check in report.get("results", {}).get(f"{kind}_checks", []):
                # The sample folder is the file's nearest ancestor named like one (workflows sit deeper).
                folders = Path(str(check["file_abs_path"])).parents
                key = next(
                    ((f.parent.name, f.name) for f in folders if (f.parent.name, f.name) in found), ("", "")
                )
                # With several -d, checkov repeats a result in the report of each: count each once.
                once = (kind, check["check_id"], check["file_abs_path"], str(check["file_line_range"]))
                if key in found and check["check_id"] == key[0] and once not in seen:
                    seen.add(once)
                    found[key][kind].append(check)
    return found


def _documents(text: str) -> list[dict[str, Any]]:
    """checkov's JSON output: one document per ``-d`` run, each a report or a list of them."""
    decoder, out, at = json.JSONDecoder(), [], 0
    while at < len(text.rstrip()):
        data, end = decoder.raw_decode(text, at)
        out += data if isinstance(data, list) else [data]
        at = end + (len(text[end:]) - len(text[end:].lstrip()))
    return out


def _merged(params: list[dict[str, Any]]) -> dict[str, Any]:
    """One parameter set for several policies: each reads only its own keys (``build`` is merged)."""
    out: dict[str, Any] = {}
    for p in params:
        for key, value in p.items():
            out[key] = {**out.get(key, {}), **value} if isinstance(value, dict) else value
    return out


@pytest.fixture(scope="module")
def policy_runs(tmp_path_factory: pytest.TempPathFactory) -> Checks:
    """The verdict of every sample, in a few checkov runs: one per parameter set of the samples that need
    their own (``id/sample`` entries of params.json), and one for the rest with every policy's at once."""
    samples = _samples("pass") + _samples("fail")
    groups: dict[str, list[tuple[str, str]]] = {}
    for rule, sample in samples:
        own = PARAMS.get(f"{rule}/{sample}")
        groups.setdefault("" if own is None else json.dumps(own, sort_keys=True), []).append((rule, sample))
    found: Checks = {}
    for n, (key, group) in enumerate(sorted(groups.items())):
        params = json.loads(key) if key else _merged([PARAMS.get(r, {}) for r, _ in group])
        policies = render_policies(
            REPO_ROOT / "policies" / "checkov", tmp_path_factory.mktemp(f"policies{n}"), params
        )
        found |= _one_run(policies, group, sorted({r for r, _ in group}))
    return found


@pytest.mark.parametrize(("rule", "sample"), _samples("pass") + _samples("fail"))
def test_custom_policy_passes_its_passing_samples_and_fails_its_failing_ones(
    rule: str, sample: str, policy_runs: Checks
) -> None:
    checks = policy_runs[(rule, sample)]
    counts = {kind: len(found) for kind, found in checks.items()}
    if sample.startswith("pass"):
        assert counts["failed"] == 0 and counts["passed"] >= 1, counts
    else:
        assert counts["failed"] >= 1, counts
    if f"{rule}/{sample}" in WHERE:
        file, line = WHERE[f"{rule}/{sample}"]
        found = {(Path(str(c["file_path"])).name, c["file_line_range"][0]) for c in checks["failed"]}
        assert found == {(file, line)}, found


def test_every_new_failing_sample_names_where_its_finding_points() -> None:
    failing = {f"{rule}/{sample}" for rule, sample in _samples("fail")}
    assert {k for k in failing if int(k.split("_")[2].split("/")[0]) >= 10} <= set(WHERE), set(WHERE)


def test_without_the_profile_promise_the_build_policies_say_nothing(tmp_path: Path) -> None:
    """Run directly with checkov (no stackcheck-params.txt), every scan.build policy stays silent."""
    policies = render_policies(REPO_ROOT / "policies" / "checkov", tmp_path / "policies", {})
    rules = [f"CKV_SC_{n}" for n in range(10, 25)]
    found = _one_run(policies, [(rule, "fail") for rule in rules], rules)
    assert {k: {kind: len(v) for kind, v in c.items()} for k, c in found.items()} == {
        (rule, "fail"): {"passed": 0, "failed": 0} for rule in rules
    }


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


def _unjudged(tmp_path: Path, run_cli: Callable[..., object], profile_text: str) -> dict[str, Any]:
    """``stackcheck scan`` with this profile: exit 3 and the scan.iac result, which must be ``error``."""
    profile = tmp_path / "p.yaml"
    profile.write_text(profile_text)
    run = run_cli("scan", "--profile", str(profile), "--report-dir", str(tmp_path / "out"))
    assert run.code == 3, run.stdout + run.stderr  # type: ignore[attr-defined]
    report = json.loads((tmp_path / "out" / "report.json").read_text())
    iac: dict[str, Any] = next(r for r in report["results"] if r["id"] == scan_checks.IAC.id)
    assert iac["status"] == "error", iac
    return iac


def test_a_build_promise_no_file_lets_its_policy_judge_is_an_error_not_a_pass(
    tmp_path: Path, run_cli: Callable[..., object]
) -> None:
    """scan.build promises a multi-stage Dockerfile and an HPA, but the paths hold only Terraform: checkov
    judges neither, so the claim could not be checked (error), never passed by silence."""
    sample = SAMPLES / "CKV_SC_5" / "pass"
    iac = _unjudged(
        tmp_path,
        run_cli,
        f"name: nothing-to-judge\nscan:\n  iac_paths: [{sample}]\n  frameworks: [terraform, dockerfile]\n"
        "  build: {multi_stage: true, hpa: {min_replicas: 3}}\n",
    )
    assert "scan.build.multi_stage (CKV_SC_10)" in iac["message"], iac["message"]
    assert "scan.build.hpa (CKV_SC_19)" in iac["message"], iac["message"]


BUCKET_BUILTINS = (
    "CKV_AWS_18",
    "CKV_AWS_21",
    "CKV_AWS_144",
    "CKV_AWS_145",
    "CKV2_AWS_6",
    "CKV2_AWS_61",
    "CKV2_AWS_62",
)


def test_a_state_bucket_the_terraform_does_not_define_is_not_checked_never_passed(
    tmp_path: Path, run_cli: Callable[..., object]
) -> None:
    """The backend "s3" block names a bucket this Terraform does not create (the usual bootstrap): its
    versioning cannot be read, so scan.build.state_bucket_versioned is an error saying so, never a pass."""
    sample = SAMPLES / "CKV_SC_24" / "outside"
    # The uploads bucket's built-in findings are waived: the error must stand on the unjudged promise alone.
    waivers = "".join(
        f"  - {{check: 'checkov:{rule}', subject: '*', owner: t, expires: 2099-01-01, reason: sample}}\n"
        for rule in BUCKET_BUILTINS
    )
    iac = _unjudged(
        tmp_path,
        run_cli,
        f"name: state-outside\nscan:\n  iac_paths: [{sample}]\n  frameworks: [terraform]\n"
        f"  build: {{state_bucket_versioned: true}}\nwaivers:\n{waivers}",
    )
    assert "scan.build.state_bucket_versioned (CKV_SC_24)" in iac["message"], iac["message"]
    assert "the state bucket lives outside this Terraform" in iac["message"], iac["message"]
