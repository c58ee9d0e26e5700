"""`stackcheck run` and `stackcheck report merge` against the real reference service, a real scan (bandit,
checkov) and a short real load: one folder whose artifacts agree with each other, the same verdicts from the
stages run apart and merged, a defect failing both ways, and the refusals of `report merge`."""

from __future__ import annotations

import json
import shutil
import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from conftest import REPO_ROOT, CliRun
from tests.integration.browser import open_in_browser
from tests.integration.scan_helpers import tool

pytestmark = pytest.mark.integration

CLAIMS = """\
claims:
  - id: edge-headers
    text: "Every response carries X-Content-Type-Options."
    source: docs/adr/0001-edge.md:3
    verified_by: [headers.required]
  - id: whole-stack
    text: "Code, liveness and latency are watched together."
    source: docs/adr/0001-edge.md:4
    verified_by: [scan.code, health.live, load.p95]
  - id: fast
    text: "p95 stays under 1500 ms."
    source: docs/adr/0001-edge.md:5
    verified_by: [load.p95]
"""


def _profile(tmp_path: Path) -> Path:
    (tmp_path / "app").mkdir()
    # One low-severity bandit finding (B101, assert) under the profile's threshold: listed, not failing.
    (tmp_path / "app" / "calc.py").write_text(
        '"""Sums."""\n\n\ndef add(a: int, b: int) -> int:\n    assert a >= 0\n    return a + b\n'
    )
    shutil.copytree(REPO_ROOT / "fixtures" / "iac" / "chimera" / "compliant", tmp_path / "iac")
    profile = tmp_path / "edge.yaml"
    profile.write_text(
        "name: edge\n"
        "health: {live: /health/live, ready: null}\n"
        "headers: {required: [x-content-type-options]}\n"
        "scan: {iac_paths: [iac], code_paths: [app], secret_paths: [], frameworks: [dockerfile], "
        "fail_on: {bandit: high}}\n"
        "slo: {p95_ms: 1500, error_ratio: 0.5}\n"
        "load: {users: 2, spawn_rate: 2, duration_s: 3, processes: 0, endpoints: [{path: /health/live}]}\n"
        + CLAIMS
    )
    return profile


def _verdicts(report: dict[str, Any]) -> dict[str, Any]:
    """What must not depend on how the stages were run: statuses, claims, counts, findings."""
    results = {(r["id"], r["subject"]): r["status"] for r in report["results"]}
    claims = {c["id"]: c["status"] for c in report["claims"]}
    summary = {k: v for k, v in report["summary"].items()}
    findings = sorted((f["tool"], f["rule_id"], f["file"], f["line"]) for f in report["findings"])
    controls = {c["id"]: c["status"] for c in report["controls"]}
    return {
        "results": results,
        "claims": claims,
        "summary": summary,
        "findings": findings,
        "controls": controls,
    }


def _agree(folder: Path) -> dict[str, Any]:
    """Every artifact of ``folder`` tells the same counts; return report.json."""
    report: dict[str, Any] = json.loads((folder / "report.json").read_text())
    summary = report["summary"]
    suites = {s.get("name"): s.findall("testcase") for s in ET.parse(folder / "junit.xml").getroot()}
    assert len(suites.pop("findings", [])) == len(report["findings"])
    cases = [case for group in suites.values() for case in group]
    assert len(cases) == summary["total"]
    assert len([c for c in cases if c.find("failure") is not None]) == summary["failed"]
    assert len([c for c in cases if c.find("error") is not None]) == summary["error"]
    sarif = json.loads((folder / "results.sarif").read_text())
    by_tool = {run["tool"]["driver"]["name"]: run["results"] for run in sarif["runs"]}
    checks = by_tool.pop("stackcheck", [])
    assert sum(len(v) for v in by_tool.values()) == len(report["findings"])
    assert len(checks) == summary["failed"] + summary["error"]  # no failure here is a scanner's
    md = (folder / "summary.md").read_text()
    counts = (
        f"{summary['total']} results: {summary['passed']} passed, {summary['failed']} failed, "
        f"{summary['error']} error, {summary['skipped']} skipped, {summary['waived']} waived"
    )
    assert counts in md, md[:400]
    claims = summary["claims"]
    assert f"{claims['total']} claims: {claims['verified']} verified, {claims['violated']} violated" in md
    html = (folder / "index.html").read_text()
    assert all(c["id"] in html for c in report["claims"]) and "load.p95" in html
    return report


def _readable_in_a_browser(folder: Path, report: dict[str, Any]) -> None:
    """index.html in headless Chromium: loads with no console message, screenshots, prints to PDF, and
    the PDF's text holds every claim and control id of the run (a printed page that drops a table fails)."""
    page = open_in_browser(folder / "index.html", folder.parent / "browser")
    assert page.console == [], page.console
    text = page.text_without_breaks()
    ids = [c["id"] for c in report["claims"]] + [c["id"] for c in report["controls"]]
    assert report["claims"] and report["controls"]
    missing = [i for i in ids if i not in text]
    assert missing == [], f"{len(missing)} of {len(ids)} ids not in the PDF, e.g. {missing[:5]}"
    for heading in ("Claims", "Controls", "Results", "Findings", "Load", "p95 latency per second"):
        assert heading in page.pdf_text, heading
    assert "SLO p95 ≤ 1500 ms" in page.pdf_text  # the threshold line is labelled in print too


def _stages(run_cli: Callable[..., CliRun], profile: Path, url: str, out: Path) -> list[CliRun]:
    return [
        run_cli("verify", "--profile", str(profile), "--target", url, "--report-dir", str(out / "v")),
        run_cli("scan", "--profile", str(profile), "--report-dir", str(out / "s")),
        run_cli("load", "--profile", str(profile), "--target", url, "--report-dir", str(out / "l")),
    ]


def _merge(run_cli: Callable[..., CliRun], *folders: Path, out: Path) -> CliRun:
    return run_cli("report", "merge", *(str(f) for f in folders), "-o", str(out))


@pytest.fixture
def scanners() -> None:
    tool("bandit")
    tool("checkov")


@pytest.mark.usefixtures("scanners")
def test_one_run_writes_one_folder_for_every_stage_and_merging_the_stages_gives_the_same_verdicts(
    tmp_path: Path, refservice: Callable[..., Any], run_cli: Callable[..., CliRun]
) -> None:
    service = refservice()
    profile = _profile(tmp_path)
    out = tmp_path / "run"
    # bandit through a wrapper that counts its runs: verify's secrets suite replays the scan stage's scan.
    calls = tmp_path / "bandit-calls"
    wrapper = tmp_path / "bandit"
    wrapper.write_text(f'#!/bin/sh\necho run >> "{calls}"\nexec "{tool("bandit")}" "$@"\n')
    wrapper.chmod(0o755)
    run = run_cli(
        "run", "--profile", str(profile), "--target", service.url, "--report-dir", str(out),
        env={"STACKCHECK_BANDIT": str(wrapper)},
    )  # fmt: skip
    assert run.code == 0, run.stdout + run.stderr
    assert calls.read_text().count("run") == 1, "the scanners ran twice in one run"
    for stage in ("scan", "verify", "load"):
        assert f"stage {['scan', 'verify', 'load'].index(stage) + 1}/3: {stage} ended: exit 0" in run.stdout
    assert run.stdout.index("stage 1/3: scan") < run.stdout.index("stage 3/3: load")
    report = _agree(out)
    _readable_in_a_browser(out, report)
    ids = {r["id"] for r in report["results"]}
    assert {"scan.code", "scan.iac", "health.live", "headers.required", "load.p95"} <= ids
    assert report["load"] is not None and report["load"]["requests"] > 0
    assert [(f["tool"], f["rule_id"]) for f in report["findings"]] == [("bandit", "B101")]
    assert report["target"] == service.url and report["summary"]["exit_code"] == 0
    claims = {c["id"]: c["status"] for c in report["claims"]}
    # Judged over every stage: no stage alone could verify whole-stack.
    assert claims == {"edge-headers": "verified", "whole-stack": "verified", "fast": "verified"}
    stage_claims = json.loads((out / "stages" / "verify" / "report.json").read_text())["claims"]
    assert {c["id"]: c["status"] for c in stage_claims}["whole-stack"] == "not_run"
    # One process ran every stage, each stage's clock counting from its start: the run's time is the
    # process's (at least the last stage's), not their sum.
    walls = [
        json.loads((out / "stages" / stage / "report.json").read_text())["run"]["process_wall_s"]
        for stage in ("scan", "verify", "load")
    ]
    assert max(walls) <= report["run"]["process_wall_s"] < sum(walls)

    apart = tmp_path / "apart"
    codes = [r.code for r in _stages(run_cli, profile, service.url, apart)]
    assert codes == [0, 0, 0]
    merged = _merge(run_cli, apart / "v", apart / "s", apart / "l", out=apart / "all")
    assert merged.code == 0, merged.stderr
    again = _agree(apart / "all")
    one, two = _verdicts(report), _verdicts(again)
    assert one == two
    # The same stage twice is not a body of evidence: refused, naming both folders.
    twice = _merge(run_cli, apart / "v", out / "stages" / "verify", out=tmp_path / "twice")
    assert twice.code == 2 and "both hold a result of" in twice.stderr and not (tmp_path / "twice").exists()


@pytest.mark.usefixtures("scanners")
def test_a_defect_fails_the_run_and_the_merge_alike(
    tmp_path: Path, refservice: Callable[..., Any], run_cli: Callable[..., CliRun]
) -> None:
    service = refservice(defects=["no-header=x-content-type-options"])
    profile = _profile(tmp_path)
    out = tmp_path / "run"
    run = run_cli("run", "--profile", str(profile), "--target", service.url, "--report-dir", str(out))
    assert run.code == 1, run.stdout + run.stderr
    report = _agree(out)
    assert {c["id"]: c["status"] for c in report["claims"]}["edge-headers"] == "violated"
    controls = {c["id"]: c for c in report["controls"]}
    assert controls["OWASP-ASVS:14.4.4"]["status"] == "not_met"  # judged over every stage's results
    assert controls["PCI-DSS:6.2.3"]["checks"] == ["scan.code"]  # a framework only the scan stage showed
    stages = [out / "stages" / s for s in ("scan", "verify", "load")]
    merged = _merge(run_cli, *stages, out=tmp_path / "merged")
    assert merged.code == 1, merged.stderr
    assert _verdicts(_agree(tmp_path / "merged")) == _verdicts(report)


def test_a_run_that_would_load_a_remote_host_is_refused_before_any_stage_runs(
    tmp_path: Path, run_cli: Callable[..., CliRun]
) -> None:
    profile = _profile(tmp_path)
    out = tmp_path / "run"
    run = run_cli(
        "run", "--profile", str(profile), "--target", "http://192.0.2.10:8080", "--report-dir", str(out),
        isolated=True,
    )  # fmt: skip
    assert run.code == 2 and run.stderr.count("\n") == 1, run.stderr
    assert "is not a loopback address" in run.stderr and "Traceback" not in run.stderr
    assert not out.exists() and "stage 1" not in run.stdout  # not even the scan ran


def test_a_profile_that_configures_no_stage_is_a_usage_error(
    tmp_path: Path, run_cli: Callable[..., CliRun]
) -> None:
    profile = tmp_path / "bare.yaml"
    profile.write_text("name: bare\n")
    run = run_cli("run", "--profile", str(profile))
    assert run.code == 2 and run.stderr.count("\n") == 1 and "configures no stage" in run.stderr
