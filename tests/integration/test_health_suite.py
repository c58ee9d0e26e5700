"""The health suite end to end: real reference service, `stackcheck verify` as a subprocess."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from conftest import DEMO_PROFILE, REPO_ROOT, CliRun
from fixtures.refservice.runner import free_port
from stackcheck.catalog import REGISTRY, health
from tests.integration.http_surface import assert_rows_cover_the_catalog

pytestmark = pytest.mark.integration

COMPLIANT = {
    "health.live": "passed",
    "health.ready": "passed",
    "health.startup": "passed",
    "health.extra[/freshness]": "passed",
    "health.latency[/health/live]": "passed",
    "health.latency[/health/ready]": "passed",
    "health.latency[/startup]": "passed",
    "health.ready_reflects_dependencies": "skipped",  # the demo profile has no `service` to drill
}


def verify(run_cli: Callable[..., CliRun], url: str, *extra: str) -> CliRun:
    return run_cli("verify", "--profile", str(DEMO_PROFILE), "--target", url, "--suite", "health", *extra)


def test_demo_main_job_passes_on_the_reference_service(tmp_path: Path) -> None:
    """`nox -s demo` runs this: the reference service over HTTPS, verified with the demo profile."""
    report_dir = tmp_path / "demo"
    proc = subprocess.run(
        [sys.executable, "-m", "fixtures.demo", "--report-dir", str(report_dir)],
        cwd=REPO_ROOT,
        env={**os.environ, "PYTHONPATH": str(REPO_ROOT)},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    run = CliRun(proc.returncode, proc.stdout, proc.stderr, report_dir)
    statuses = run.statuses()
    assert {k: v for k, v in statuses.items() if k.startswith("health.")} == COMPLIANT
    ran = {k for k, v in statuses.items() if v == "passed"}
    assert {k.split(".")[0] for k in ran} == {
        "health",
        "ratelimit",
        "headers",
        "cors",
        "exposure",
        "metrics",
        "tls",
    }
    skipped_sections = {r["message"] for r in run.report["results"] if r["status"] == "skipped"}
    assert skipped_sections == {
        "profile has no `service` section",
        "profile has no `postgres` section",
        "profile has no `redis` section",
        "profile has no `scan` section",
        "profile has no `pgbouncer` section",
        "profile has no `inputs` section",
        "profile has no `logs` section",
        "profile has no `backup` section",  # the drills: drill.restore, drill.backup_fresh
        "profile has no `deploy` section",  # drill.bluegreen
        "profile has no `resilience` section",  # drill.circuit_breaker, drill.dependency_timeout
        "exposure.closed_ports names no port",  # exposure.closed_ports
        "rate_limit.scope is 'ip': the budget is not keyed by a header",  # ratelimit.per_key
        "headers.values names no header",  # headers.values
        "cors.allow_credentials is not set",  # cors.credentials
        "metrics.public is not false: the exposition may be served on the target",  # metrics.not_public
    }
    assert "COMPLIANT" in proc.stdout and "exit code 0" in proc.stdout


# A probe endpoint that does not answer 2xx also fails its latency check: a fast 404 keeps no promise.
ROWS = [
    ("missing=/freshness", ["health.extra[/freshness]"]),
    ("missing=/startup", ["health.startup", "health.latency[/startup]"]),
    ("failing=/health/live", ["health.live", "health.latency[/health/live]"]),
    ("ready-failing", ["health.ready", "health.latency[/health/ready]"]),
    ("slow=/health/live:250", ["health.latency[/health/live]"]),
]


@pytest.mark.parametrize(("defect", "failing"), ROWS)
def test_each_defect_fails_exactly_the_matching_checks(
    refservice: Callable[..., Any], run_cli: Callable[..., CliRun], defect: str, failing: list[str]
) -> None:
    service = refservice(defects=[defect])
    run = verify(run_cli, service.url)
    assert run.code == 1, run.stdout + run.stderr
    expected = {**COMPLIANT, **dict.fromkeys(failing, "failed")}
    assert run.statuses() == expected
    for result in run.report["results"]:
        if result["status"] == "failed":
            assert result["evidence"]["expected"] is not None and result["message"]


def test_live_and_ready_on_one_path_give_one_latency_result(
    tmp_path: Path, refservice: Callable[..., Any], run_cli: Callable[..., CliRun]
) -> None:
    profile = tmp_path / "shared.yaml"
    profile.write_text(
        "name: shared\nhealth: {live: /health/live, ready: /health/live, max_latency_ms: 100}\n"
    )
    service = refservice(profile)
    run = run_cli("verify", "--profile", str(profile), "--target", service.url, "--suite", "health")
    latency = {k: v for k, v in run.statuses().items() if k.startswith("health.latency")}
    assert latency == {"health.latency[/health/live]": "passed"}


def test_closed_port_is_error_and_exit_code_3_not_1(run_cli: Callable[..., CliRun]) -> None:
    run = verify(run_cli, f"http://127.0.0.1:{free_port()}")
    assert run.code == 3, run.stdout + run.stderr
    statuses = run.statuses()
    assert statuses.pop("health.ready_reflects_dependencies") == "skipped"
    assert set(statuses.values()) == {"error"}
    assert all("connection refused" in r["message"] for r in run.report["results"] if r["status"] == "error")
    assert "INCOMPLETE" in run.stdout


def test_slow_answer_beyond_timeout_is_error_not_failed(
    refservice: Callable[..., Any], run_cli: Callable[..., CliRun]
) -> None:
    service = refservice(defects=["slow=/freshness:1500"])
    run = verify(run_cli, service.url, "--set", "target.timeout_s=0.5")
    assert run.statuses()["health.extra[/freshness]"] == "error"
    assert run.code == 3


def test_set_override_turns_a_pass_into_a_fail(
    refservice: Callable[..., Any], run_cli: Callable[..., CliRun]
) -> None:
    service = refservice(defects=["slow=/startup:60"])
    # A bound far above the 60 ms the service sleeps passes on a busy machine too (the profile's own 100 ms
    # did not, with every core taken by other tests); 30 ms is below the sleep, so it fails on any machine.
    generous = verify(run_cli, service.url, "--set", "health.max_latency_ms=5000")
    assert generous.code == 0, generous.statuses()
    run = verify(run_cli, service.url, "--set", "health.max_latency_ms=30")
    assert run.statuses()["health.latency[/startup]"] == "failed"
    assert run.report["profile"]["overrides"] == ["health.max_latency_ms=30"]


def test_profile_without_health_section_skips_with_reason(
    tmp_path: Path, refservice: Callable[..., Any], run_cli: Callable[..., CliRun]
) -> None:
    profile = tmp_path / "bare.yaml"
    profile.write_text("name: bare\n")
    run = run_cli("verify", "--profile", str(profile))
    assert run.code == 0, run.stderr
    assert {r["status"] for r in run.report["results"]} == {"skipped"}
    assert run.report["results"][0]["message"] == "profile has no `health` section"


def test_expired_waiver_fails_the_run_and_is_named(
    tmp_path: Path, refservice: Callable[..., Any], run_cli: Callable[..., CliRun]
) -> None:
    service = refservice()
    profile = tmp_path / "p.yaml"
    profile.write_text(
        f"extends: {DEMO_PROFILE}\nname: waived\n"
        "waivers:\n  - {check: health.live, reason: migration, owner: alice, expires: 2021-01-31}\n"
    )
    run = run_cli("verify", "--profile", str(profile), "--target", service.url)
    assert run.code == 1
    assert "waiver for health.live (alice, expires 2021-01-31) is expired" in run.stdout


def test_report_folder_holds_json_junit_and_summary(
    refservice: Callable[..., Any], run_cli: Callable[..., CliRun]
) -> None:
    service = refservice(defects=["ready-failing"])
    run = verify(run_cli, service.url)
    assert run.report_dir is not None
    assert {"junit.xml", "report.json", "summary.md"} <= {p.name for p in run.report_dir.iterdir()}
    report = run.report
    assert report["schema"] == "stackcheck.report/v1"
    assert report["target"] == service.url and report["profile"]["name"] == "demo"
    assert len(report["profile"]["sha256"]) == 64 and report["run"]["tool_versions"]["stackcheck"]
    claims = report["summary"].pop("claims")
    # demo.yaml's claims: the probes claim fails with health.ready; the others of the suite hold.
    assert {c["id"]: c["status"] for c in report["claims"]}["probes"] == "violated"
    assert claims["violated"] >= 1 and claims["total"] == len(report["claims"])
    controls = report["summary"].pop("controls")
    assert controls["not_met"] >= 1 and controls["total"] == len(report["controls"])
    assert report["summary"] == {
        "total": 8,
        "passed": 5,
        "failed": 2,
        "error": 0,
        "skipped": 1,
        "waived": 0,
        "expired_waivers": 0,
        "stale_waivers": 0,
        "exit_code": 1,
    }
    assert "| FAIL | `health.ready` |" in (run.report_dir / "summary.md").read_text()


def test_the_table_runs_every_failing_example_of_the_catalog() -> None:
    rows = [([defect], {REGISTRY[f.split("[")[0]]: "failed" for f in failing}) for defect, failing in ROWS]
    # The readiness drill runs its examples itself (tests/integration/test_ready_drill.py).
    assert_rows_cover_the_catalog("health", rows, except_for=[health.READY_DEPENDENCIES])
