"""The scan on a generated repository with real scanners: what git ignores is not scanned, and the result
cache replays an unchanged tree with identical findings but re-runs a scanner whose policy or tool changed."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from benchmarks.scan_corpus import Corpus, generate
from stackcheck.profile import load_profile
from stackcheck.resources import data_path
from stackcheck.scan.engine import ScanRun, run_scan
from stackcheck.scan.runner import JobResult
from stackcheck.settings import Settings
from tests.integration.scan_helpers import tool

pytestmark = pytest.mark.integration

SCALE = 0.03  # 9 Terraform files, 9 Python modules ...: every kind of planted finding, in seconds
TOOLS = ("checkov", "bandit", "detect-secrets", "actionlint")


def _scan(
    corpus: Corpus, tmp_path: Path, cache: Path | None, extra: str = "", environ: dict[str, str] | None = None
) -> ScanRun:
    profile = tmp_path / "profile.yaml"
    body = "  iac_paths: [.]\n  code_paths: [app]\n  secret_paths: [.]\n"
    profile.write_text(f"name: corpus\nscan:\n{body}{extra}")
    settings = Settings.from_environ(environ)
    return run_scan(load_profile(profile).profile, corpus.root, settings, cache_dir=cache)


def _hits(run: ScanRun) -> dict[str, bool]:
    return {o.tool: o.details.get("result_cache") == "hit" for o in run.outcomes if o.tool in TOOLS}


def _dump(run: ScanRun) -> list[str]:
    # Sorted: checkov lists its graph checks in no fixed order, run to run, cache or not.
    return sorted(f.model_dump_json() for f in run.findings)


@pytest.fixture(autouse=True)
def _installed() -> None:
    for name in TOOLS:
        tool(name)


def test_inside_git_ignored_files_are_not_scanned_outside_git_they_are(tmp_path: Path) -> None:
    for name, git in (("git", True), ("plain", False)):
        corpus = generate(tmp_path / name, scale=SCALE, git=git)
        run = _scan(corpus, tmp_path, None)
        files = {f.file for f in run.findings if f.file}
        junk = {f for f in files if f.startswith(("node_modules/", "build/"))}
        assert bool(junk) is not git, (name, sorted(junk))
        secrets = {(f.file, f.line) for f in run.findings if f.tool == "detect-secrets"}
        assert {(str(p["file"]), p["line"]) for p in corpus.planted} <= secrets
        ignored = {(str(p["file"]), p["line"]) for p in corpus.ignored_planted}
        # Outside git the junk is read (detect-secrets still skips node_modules/ by its own exclusion).
        assert bool(ignored & secrets) is not git


def test_an_unchanged_tree_is_replayed_with_identical_findings(tmp_path: Path) -> None:
    corpus = generate(tmp_path / "repo", scale=SCALE)
    cache = tmp_path / "cache"
    first = _scan(corpus, tmp_path, cache)
    second = _scan(corpus, tmp_path, cache)
    uncached = _scan(corpus, tmp_path, None)
    assert not any(_hits(first).values())
    assert all(_hits(second).values()) and set(_hits(second)) == set(TOOLS)
    assert _dump(first) == _dump(second) == _dump(uncached)
    assert [(r.id, r.status, r.message) for r in first.results] == [
        (r.id, r.status, r.message) for r in second.results
    ]
    # The same policies copied elsewhere: the same content, still a hit; one changed: checkov runs again.
    policies = tmp_path / "policies"
    shutil.copytree(data_path("policies/checkov"), policies)
    extra = f"  policies: {policies}\n"
    assert _hits(_scan(corpus, tmp_path, cache, extra))["checkov"]
    first_policy = sorted(policies.glob("*.py"))[0]
    first_policy.write_text(first_policy.read_text() + "\n# changed\n")
    changed = _scan(corpus, tmp_path, cache, extra)
    assert not _hits(changed)["checkov"] and _hits(changed)["bandit"]
    assert _dump(changed) == _dump(first)  # a comment changes no verdict


def test_another_tool_build_runs_again(tmp_path: Path) -> None:
    corpus = generate(tmp_path / "repo", scale=SCALE)
    cache = tmp_path / "cache"
    first = _scan(corpus, tmp_path, cache)
    wrapper = tmp_path / "bandit-wrapper"
    wrapper.write_text(f'#!/bin/sh\nexec "{tool("bandit")}" "$@"\n')
    wrapper.chmod(0o755)
    again = _scan(corpus, tmp_path, cache, environ={**os.environ, "STACKCHECK_BANDIT": str(wrapper)})
    assert not _hits(again)["bandit"] and _hits(again)["checkov"]
    assert _dump(again) == _dump(first)


def test_checkov_writes_its_report_to_the_file_alone(tmp_path: Path) -> None:
    # Given a folder, checkov also prints the whole report on stdout (49 MB on the scale-1 corpus): a fifth
    # of its CPU, and a cache entry over its bound, so a re-run ran checkov again. Given the file, stdout
    # stays empty and the entry is the report once.
    corpus = generate(tmp_path / "repo", scale=SCALE)
    profile = tmp_path / "profile.yaml"
    profile.write_text("name: corpus\nscan:\n  iac_paths: [.]\n  code_paths: []\n  secret_paths: []\n")
    heard: dict[str, JobResult] = {}
    run = run_scan(
        load_profile(profile).profile,
        corpus.root,
        Settings.from_environ(),
        on_job=lambda result, _outcomes: heard.__setitem__(result.job.tool, result),
        cache_dir=tmp_path / "cache",
    )
    checkov = heard["checkov"]
    assert checkov.failure is None and checkov.output and checkov.stdout.strip() == "", checkov.stdout[:300]
    assert any(f.tool == "checkov" for f in run.findings)
