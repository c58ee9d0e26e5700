"""The CI integration users copy (action.yml, examples/): actionlint passes on the example workflows and
on their use of the action (and fails on a broken copy), the action's metadata is pinned and injection-free,
its run and verdict scripts honour stackcheck's exit codes, and stackcheck's own scan of examples/ (checkov
with the custom policies, actionlint, detect-secrets) is compliant — while a broken copy is not."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from conftest import REPO_ROOT
from stackcheck.profile import load_profile
from stackcheck.scan.actionlint import FLAGS
from tests.integration.conftest import cli_env
from tests.integration.scan_helpers import tool

pytestmark = pytest.mark.integration

ACTION = REPO_ROOT / "action.yml"
EXAMPLES = REPO_ROOT / "examples"
WORKFLOWS = EXAMPLES / "github" / ".github" / "workflows"
WORKFLOW_FILES = sorted(WORKFLOWS.glob("*.yml"))
SCAN_PROFILE = EXAMPLES / "ci-examples.yaml"
# How the examples name the action until a user pins the commit they reviewed.
PLACEHOLDER = "your-org/stackcheck@" + "0" * 40
PINNED = re.compile(r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_./-]+@[0-9a-f]{40}$")
EXPRESSION = re.compile(r"\$\{\{")


def _actionlint(cwd: Path, *files: Path) -> tuple[int, list[dict[str, Any]]]:
    """actionlint's exit code and errors (JSON) over ``files``, run in ``cwd`` (its project root)."""
    run = subprocess.run(
        [str(tool("actionlint")), *FLAGS, *(str(f) for f in files)],
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert run.returncode in (0, 1), run.stderr
    return run.returncode, json.loads(run.stdout or "null") or []


def _repository(root: Path, edit: dict[str, tuple[str, str]] | None = None) -> list[Path]:
    """A miniature repository in ``root``: action.yml at the top and the example workflows using it as
    the local action ``./`` (so actionlint checks every ``with:`` against the action's inputs).
    ``edit``: workflow name → (old, new) text replaced in that copy."""
    shutil.copy(ACTION, root / "action.yml")
    (root / ".git").mkdir()  # actionlint resolves a local action only inside a project (a Git repository)
    folder = root / ".github" / "workflows"
    folder.mkdir(parents=True)
    copies = []
    for source in WORKFLOW_FILES:
        text = source.read_text(encoding="utf-8")
        assert PLACEHOLDER in text, f"{source.name} does not use the action as {PLACEHOLDER}"
        text = text.replace(PLACEHOLDER, "./")
        old, new = (edit or {}).get(source.name, ("", ""))
        if old:
            assert old in text, (source.name, old)
            text = text.replace(old, new, 1)
        copy = folder / source.name
        copy.write_text(text, encoding="utf-8")
        copies.append(copy)
    return copies


def test_example_workflows_and_their_use_of_the_action_pass_actionlint(tmp_path: Path) -> None:
    assert [w.name for w in WORKFLOW_FILES] == ["pull-request.yml", "staging.yml"]
    code, errors = _actionlint(REPO_ROOT, *WORKFLOW_FILES)
    assert (code, errors) == (0, [])
    code, errors = _actionlint(tmp_path, *_repository(tmp_path))
    assert (code, errors) == (0, [])


def test_actionlint_fails_on_a_broken_copy_of_the_workflows(tmp_path: Path) -> None:
    broken = {
        # an input the action does not have
        "pull-request.yml": ("report-dir: stackcheck-report/scan", "report-folder: stackcheck-report/scan"),
        # untrusted event data expanded into a script, and a job that needs a job that does not exist
        "staging.yml": (
            'run: |\n          case "$EXIT_CODE" in',
            'run: |\n          echo "${{ github.event.head_commit.message }}"\n'
            '          case "$EXIT_CODE" in',
        ),
    }
    copies = _repository(tmp_path, broken)
    staging = copies[1]
    staging.write_text(staging.read_text().replace("needs: staging\n", "needs: stagin\n", 1))
    code, errors = _actionlint(tmp_path, *copies)
    assert code == 1
    found = {(Path(e["filepath"]).name, e["kind"]) for e in errors}
    assert {
        ("pull-request.yml", "action"),
        ("staging.yml", "expression"),
        ("staging.yml", "job-needs"),
    } <= found, errors
    assert any("report-folder" in e["message"] for e in errors), errors


def _uses(steps: list[dict[str, Any]]) -> list[str]:
    return [str(s["uses"]) for s in steps if "uses" in s]


def test_the_action_is_composite_pinned_and_keeps_expressions_out_of_its_scripts() -> None:
    action = yaml.safe_load(ACTION.read_text(encoding="utf-8"))
    assert {"name", "description", "inputs", "outputs", "runs"} <= set(action)
    assert action["runs"]["using"] == "composite"
    assert {"command", "profile", "soft-fail", "report-dir", "source"} <= set(action["inputs"])
    assert {"exit-code", "verdict", "report-dir"} <= set(action["outputs"])
    assert all(spec.get("description") for spec in action["inputs"].values())
    steps = action["runs"]["steps"]
    for step in steps:
        if "run" in step:
            assert step.get("shell") == "bash", step.get("name")  # a composite run step must name its shell
            assert not EXPRESSION.search(step["run"]), f"${{{{ }}}} in the script of {step.get('name')!r}"
    uses = _uses(steps)
    assert {u.split("@")[0] for u in uses} >= {
        "actions/upload-artifact",
        "actions/cache/restore",
        "actions/cache/save",
        "github/codeql-action/upload-sarif",
    }
    assert all(PINNED.match(u) for u in uses), uses
    # each pin names the release it is, for the reader and for update tools
    text = ACTION.read_text(encoding="utf-8")
    for use in uses:
        assert re.search(re.escape(use) + r" # v\d+\.\d+\.\d+$", text, re.M), use
    # every ${{ inputs.X }} names a declared input
    referenced = set(re.findall(r"inputs\.([a-z-]+)", text))
    assert referenced <= set(action["inputs"]), referenced - set(action["inputs"])


def test_the_example_workflows_pin_every_action_and_ask_for_least_permissions() -> None:
    for path in WORKFLOW_FILES:
        workflow = yaml.safe_load(path.read_text(encoding="utf-8"))
        assert workflow["permissions"] == {}, path.name  # nothing by default; each job asks
        for name, job in workflow["jobs"].items():
            assert "permissions" in job and "write-all" not in str(job["permissions"]), (path.name, name)
            assert job.get("timeout-minutes"), (path.name, name)
            uses = _uses(job.get("steps", []))
            assert all(PINNED.match(u) for u in uses), (path.name, uses)
            for step in job.get("steps", []):
                assert not EXPRESSION.search(str(step.get("run", ""))), (path.name, step.get("name"))
    staging = yaml.safe_load((WORKFLOWS / "staging.yml").read_text(encoding="utf-8"))
    assert staging[True].keys() == {"schedule", "workflow_dispatch"}  # PyYAML reads `on:` as True
    assert staging["jobs"]["open-issue"]["permissions"] == {"issues": "write"}
    cronjob = list(yaml.safe_load_all((EXAMPLES / "kubernetes" / "cronjob.yaml").read_text()))
    kinds = {d["kind"] for d in cronjob}
    assert {"CronJob", "ConfigMap", "ServiceAccount"} <= kinds
    (job,) = [d for d in cronjob if d["kind"] == "CronJob"]
    (container,) = job["spec"]["jobTemplate"]["spec"]["template"]["spec"]["containers"]
    assert re.search(r"@sha256:[0-9a-f]{64}$", container["image"]), container["image"]


def test_the_example_profiles_are_valid_with_the_options_the_jobs_give(tmp_path: Path) -> None:
    staging_job = yaml.safe_load((WORKFLOWS / "staging.yml").read_text())["jobs"]["staging"]
    (step,) = [s for s in staging_job["steps"] if s.get("id") == "stackcheck"]
    sets = re.findall(r"--set (\S+)", step["with"]["args"])
    assert sets == ["load.users=20", "load.duration_s=60", "load.max_requests=20000"]
    staging = load_profile(str(EXAMPLES / "github" / "stackcheck-staging.yaml"), sets).profile
    assert staging.load is not None and staging.load.max_requests == 20000
    assert load_profile(str(EXAMPLES / "github" / "stackcheck.yaml"), []).profile.postgres is not None
    # the CronJob's profile, as its ConfigMap mounts it
    (config,) = [
        d
        for d in yaml.safe_load_all((EXAMPLES / "kubernetes" / "cronjob.yaml").read_text())
        if d["kind"] == "ConfigMap"
    ]
    mounted = tmp_path / "profile.yaml"
    mounted.write_text(config["data"]["profile.yaml"])
    assert load_profile(str(mounted), []).profile.target is not None


def test_the_gitlab_template_has_both_jobs_with_junit_as_a_report_and_sarif_as_an_artifact() -> None:
    gitlab = yaml.safe_load((EXAMPLES / "gitlab" / ".gitlab-ci.yml").read_text(encoding="utf-8"))
    jobs = {name: job for name, job in gitlab.items() if name.startswith("stackcheck:")}
    assert set(jobs) == {"stackcheck:scan", "stackcheck:data-layer", "stackcheck:staging"}
    template = gitlab[".stackcheck"]["artifacts"]
    # SARIF is no GitLab report type (reports:sast wants GitLab's own schema): inside the folder artifact
    assert template["reports"] == {"junit": "stackcheck-report/junit.xml"} and template["when"] == "always"
    assert "stackcheck-report/" in template["paths"]
    scripts = {name: " ".join(job["script"]) for name, job in jobs.items()}
    assert all("--report-dir stackcheck-report" in script for script in scripts.values()), scripts
    assert "--infra local --suite postgres --suite redis" in scripts["stackcheck:data-layer"]
    assert {"--allow-remote", "--history history/history.jsonl"} <= set(
        re.findall(r"--allow-remote|--history \S+", scripts["stackcheck:staging"])
    )
    assert jobs["stackcheck:staging"]["cache"]["when"] == "always"
    assert {r["if"] for r in jobs["stackcheck:scan"]["rules"]} == {
        '$CI_PIPELINE_SOURCE == "merge_request_event"'
    }


# The action's scripts, run by bash as the runner would (`bash -e {0}`), with the real stackcheck.


def _step(key: str) -> str:
    """The ``run:`` script of the action's step whose id (else name) is ``key``."""
    steps = yaml.safe_load(ACTION.read_text(encoding="utf-8"))["runs"]["steps"]
    (step,) = [s for s in steps if s.get("id") == key or s.get("name") == key]
    return str(step["run"])


@dataclass(frozen=True)
class StepRun:
    """One action step run by bash: its exit code, output, and what it wrote to $GITHUB_OUTPUT."""

    code: int
    stdout: str
    outputs: dict[str, str]


def _bin(tmp: Path) -> Path:
    """``python`` and ``stackcheck`` of this environment, as the action's venv puts them on PATH."""
    folder = tmp / "bin"
    folder.mkdir(exist_ok=True)
    # Scripts, not symlinks: a venv's python found through a link elsewhere would not see its packages.
    for name, run in (("python", ""), ("stackcheck", " -m stackcheck")):
        shim = folder / name
        shim.write_text(f'#!/bin/sh\nexec "{sys.executable}"{run} "$@"\n')
        shim.chmod(0o755)
    return folder


def _run_step(key: str, tmp: Path, **env: str) -> StepRun:
    tmp.mkdir(parents=True, exist_ok=True)
    outputs = tmp / "github_output"
    outputs.write_text("")
    full = dict(os.environ)
    full.update(
        PATH=f"{_bin(tmp)}{os.pathsep}{os.environ['PATH']}",
        GITHUB_OUTPUT=str(outputs),
        GITHUB_STEP_SUMMARY=str(tmp / "step_summary.md"),
        RUNNER_TEMP=str(tmp),
        GITHUB_WORKSPACE=str(REPO_ROOT),
    )
    full.update(env)
    run = subprocess.run(
        ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", _step(key)],
        cwd=REPO_ROOT,
        env=full,
        capture_output=True,
        text=True,
        timeout=300,
    )
    pairs = [line.split("=", 1) for line in outputs.read_text().splitlines() if "=" in line]
    return StepRun(run.returncode, run.stdout + run.stderr, {k: v for k, v in pairs})


def _scan_env(profile: Path, report: Path, **extra: str) -> dict[str, str]:
    env = dict(COMMAND="scan", PROFILE=str(profile), TARGET="", REPORT_DIR=str(report), HISTORY="")
    env.update(extra)
    return env


@dataclass(frozen=True)
class ScanRuns:
    """The two scans of this module: examples/ as shipped, and a broken copy of it."""

    good: StepRun
    good_report: dict[str, Any]
    history: Path
    bad: StepRun
    bad_report: dict[str, Any]


@pytest.fixture(scope="module")
def scans(tmp_path_factory: pytest.TempPathFactory) -> ScanRuns:
    """One scan of examples/ through the action's run step (its argv, --history, args split by shlex),
    and one of a copy with a defect in each kind of file."""
    tool("checkov")
    tool("actionlint")
    tool("detect-secrets")
    tmp = tmp_path_factory.mktemp("ci-scan")
    history = tmp / "history" / "history.jsonl"
    good = _run_step(
        "run",
        tmp / "good",
        **_scan_env(
            SCAN_PROFILE, tmp / "good" / "report", HISTORY=str(history), ARGS="--set 'scan.fail_on=any'"
        ),
    )
    broken = tmp / "broken"
    shutil.copytree(EXAMPLES, broken / "examples")
    shutil.copy(ACTION, broken / "action.yml")
    defects = {
        "kubernetes/cronjob.yaml": ("readOnlyRootFilesystem: true", "readOnlyRootFilesystem: false"),
        "github/.github/workflows/pull-request.yml": (
            "    steps:\n",
            '    steps:\n      - run: echo "${{ github.event.pull_request.title }}"\n',
        ),
        "gitlab/.gitlab-ci.yml": ("variables:\n", "variables:\n  DB_PASSWORD: hunter2-hunter2\n"),
    }
    for name, (old, new) in defects.items():
        path = broken / "examples" / name
        path.write_text(path.read_text().replace(old, new, 1))
    bad = _run_step(
        "run", tmp / "bad", **_scan_env(broken / "examples" / "ci-examples.yaml", tmp / "bad" / "report")
    )
    reports = [json.loads((tmp / run / "report" / "report.json").read_text()) for run in ("good", "bad")]
    return ScanRuns(good, reports[0], history, bad, reports[1])


def test_stackchecks_own_scan_of_the_examples_is_compliant(scans: ScanRuns) -> None:
    run = scans.good
    assert run.outputs["exit-code"] == "0", run.stdout
    assert run.outputs["verdict"] == "passed"
    assert run.outputs["wrote"] == "true" and run.outputs["sarif"] == "true"
    statuses = {r["id"]: r["status"] for r in scans.good_report["results"]}
    assert statuses["scan.iac"] == statuses["scan.ci"] == statuses["secrets.repo"] == "passed", statuses
    by_id = {r["id"]: r for r in scans.good_report["results"]}
    iac = by_id["scan.iac"]["evidence"]["details"]
    assert set(iac["frameworks"]) == {"github_actions", "kubernetes", "yaml"}, iac
    assert by_id["scan.ci"]["evidence"]["details"]["workflows"] == [
        "github/.github/workflows/pull-request.yml",
        "github/.github/workflows/staging.yml",
    ]
    # every open finding would have failed (fail_on: any); the one inline suppression is listed, with why
    assert [f for f in scans.good_report["findings"] if f["status"] != "suppressed"] == []
    assert len(scans.history.read_text().splitlines()) == 1  # --history reached stackcheck


def test_the_scan_fails_on_a_broken_copy_of_the_examples(scans: ScanRuns) -> None:
    run = scans.bad
    assert run.outputs["exit-code"] == "1", run.stdout
    assert run.outputs["verdict"] == "failed"
    statuses = {r["id"]: r["status"] for r in scans.bad_report["results"]}
    assert statuses["scan.iac"] == statuses["scan.ci"] == statuses["secrets.repo"] == "failed", statuses
    found = {(f["tool"], f["rule_id"], Path(f["file"]).name) for f in scans.bad_report["findings"]}
    assert {
        ("checkov", "CKV_K8S_22", "cronjob.yaml"),  # readOnlyRootFilesystem
        ("checkov", "CKV_GHA_2", "pull-request.yml"),  # shell injection
        ("actionlint", "expression", "pull-request.yml"),
    } <= found, found
    assert any(t == "detect-secrets" and name == ".gitlab-ci.yml" for t, _, name in found), found
    assert "hunter2" not in json.dumps(scans.bad_report)


def test_the_summary_step_appends_this_runs_summary(scans: ScanRuns, tmp_path: Path) -> None:
    report = scans.good.outputs["report-dir"]
    run = _run_step("Write the job summary", tmp_path, REPORT_DIR=report, WROTE="true", CODE="0")
    assert run.code == 0, run.stdout
    assert (tmp_path / "step_summary.md").read_text() == (Path(report) / "summary.md").read_text()
    # A folder left by an earlier run is not this run's report (exit 2 writes none).
    stale = _run_step("Write the job summary", tmp_path / "stale", REPORT_DIR=report, WROTE="false", CODE="2")
    assert "wrote no report (exit code 2)" in (tmp_path / "stale" / "step_summary.md").read_text(), stale


@pytest.mark.parametrize(
    ("code", "soft_fail", "expected"),
    [
        ("0", "false", 0),
        ("1", "false", 1),
        ("1", "true", 0),
        ("2", "true", 2),
        ("3", "true", 3),
        ("3", "false", 3),
    ],
)
def test_the_verdict_step_honours_the_exit_codes_and_soft_fail_forgives_only_failed_checks(
    code: str, soft_fail: str, expected: int, tmp_path: Path
) -> None:
    run = _run_step("Verdict", tmp_path, CODE=code, SOFT_FAIL=soft_fail)
    assert run.code == expected, run.stdout


def test_a_usage_error_in_the_inputs_is_exit_2_before_anything_is_installed(tmp_path: Path) -> None:
    bad = _run_step(
        "Check the inputs", tmp_path, COMMAND="deploy", PROFILE=str(SCAN_PROFILE), SOFT_FAIL="true"
    )
    assert bad.code == 2 and "input command: 'deploy'" in bad.stdout
    missing = _run_step(
        "Check the inputs", tmp_path, COMMAND="scan", PROFILE="no/such.yaml", SOFT_FAIL="false"
    )
    assert missing.code == 2 and "input profile: no/such.yaml is not a file" in missing.stdout
    ok = _run_step(
        "Check the inputs", tmp_path, COMMAND="verify", PROFILE=str(SCAN_PROFILE), SOFT_FAIL="false"
    )
    assert ok.code == 0, ok.stdout
    quotes = _run_step("run", tmp_path, **_scan_env(SCAN_PROFILE, tmp_path / "r", ARGS="--set 'a=b"))
    assert quotes.code == 2 and "input args:" in quotes.stdout and "exit-code" not in quotes.outputs


@pytest.mark.docker
def test_the_pull_request_data_layer_job_passes_on_throwaway_servers(tmp_path: Path) -> None:
    # The data-layer job of pull-request.yml, through the action's run step, with the example profile.
    profile = EXAMPLES / "github" / "stackcheck.yaml"
    env = {k: v for k, v in cli_env().items() if k.startswith(("STACKCHECK_", "TESTCONTAINERS_"))}
    args = yaml.safe_load((WORKFLOWS / "pull-request.yml").read_text())["jobs"]["data-layer"]["steps"][1][
        "with"
    ]
    run = _run_step(
        "run",
        tmp_path,
        **_scan_env(profile, tmp_path / "report", COMMAND="verify", ARGS=args["args"]),
        **env,
    )
    assert run.outputs.get("exit-code") == "0", run.stdout
    results = json.loads((tmp_path / "report" / "report.json").read_text())["results"]
    passed = {r["id"].split("[")[0] for r in results if r["status"] == "passed"}
    assert {"pg.version", "pg.extensions", "pg.vector", "redis.eviction", "redis.persistence"} <= passed
    version = next(r for r in results if r["id"] == "pg.version")
    assert version["evidence"]["details"]["provider"] == "docker"


def test_the_tool_plan_installs_the_scanners_for_a_scan_and_keys_the_cache_by_their_pins(
    tmp_path: Path,
) -> None:
    scan = _run_step("tools", tmp_path / "scan", COMMAND="scan", TOOLS="auto", CACHE="true")
    assert scan.code == 0, scan.stdout
    assert scan.outputs["names"].split() == ["checkov", "bandit", "detect-secrets", "trivy", "actionlint"]
    assert scan.outputs["go"] == "true" and scan.outputs["cache"] == "true"
    assert re.fullmatch(r"stackcheck-tools-Linux-\w+-[0-9a-f]{16}", scan.outputs["key"]), scan.outputs
    verify = _run_step("tools", tmp_path / "verify", COMMAND="verify", TOOLS="auto", CACHE="true")
    assert (verify.outputs["names"], verify.outputs["cache"]) == ("", "false")
    some = _run_step("tools", tmp_path / "some", COMMAND="scan", TOOLS="checkov bandit", CACHE="true")
    assert some.outputs["go"] == "false" and some.outputs["key"] != scan.outputs["key"]
    wrong = _run_step("tools", tmp_path / "wrong", COMMAND="scan", TOOLS="checkvo", CACHE="true")
    assert wrong.code == 2 and "input tools: unknown tool 'checkvo'" in wrong.stdout
