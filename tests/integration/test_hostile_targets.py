"""A target written to misbehave cannot take stackcheck down: memory, time and output stay bounded.

Each mode of ``fixtures.hostile`` is verified through the real CLI as a subprocess (the health and metrics
suites, which read bodies), under a wrapper that measures the peak resident set of the run.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from conftest import REPO_ROOT
from stackcheck.probes.loopback import free_port

pytestmark = pytest.mark.integration

MEASURE = REPO_ROOT / "tests" / "data" / "hostile" / "measure.py"
PEAK_LIMIT_MIB = 300
PROFILE = "name: hostile\ntarget: {timeout_s: 2}\nhealth: {live: /health/live, ready: /health/ready}\n"
PROFILE += "metrics: {path: /metrics}\n"


@pytest.fixture
def hostile(request: pytest.FixtureRequest) -> Iterator[str]:
    """The hostile server in the mode the test is parametrized with; its URL."""
    port = free_port()
    proc = subprocess.Popen(
        [sys.executable, "-m", "fixtures.hostile", request.param, "--port", str(port)],
        cwd=REPO_ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        start_new_session=True,
    )
    try:
        assert proc.stdout is not None and "hostile" in proc.stdout.readline()
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.kill()
        proc.wait(timeout=10)


def _verify(url: str, tmp_path: Path) -> tuple[dict[str, float], str, dict[str, object]]:
    profile = tmp_path / "p.yaml"
    profile.write_text(PROFILE)
    report_dir = tmp_path / "report"
    cmd = [sys.executable, "-m", "stackcheck", "verify", "--profile", str(profile), "--target", url]
    cmd += ["--suite", "health", "--suite", "metrics", "--report-dir", str(report_dir)]
    proc = subprocess.run(
        [sys.executable, str(MEASURE), "--", *cmd],
        cwd=REPO_ROOT,
        env={**os.environ, "PYTHONPATH": str(REPO_ROOT)},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    measured = json.loads(proc.stdout.strip().splitlines()[-1])
    report = (
        json.loads((report_dir / "report.json").read_text()) if (report_dir / "report.json").is_file() else {}
    )
    return measured, proc.stdout + proc.stderr, report


@pytest.mark.parametrize(
    "hostile", ["big-body", "huge-length", "endless-chunked", "gzip-bomb"], indirect=True
)
def test_an_endless_or_enormous_answer_is_read_only_up_to_the_cap(hostile: str, tmp_path: Path) -> None:
    measured, output, report = _verify(hostile, tmp_path)
    assert measured["peak_mib"] < PEAK_LIMIT_MIB, measured
    assert "Traceback" not in output, output
    assert report, f"no report was written: {output}"
    statuses = {r["id"]: r["status"] for r in report["results"]}  # type: ignore[index]
    # Health answers 200 (the cap is evidence, not an error); an unread exposition is `error`, never passed.
    assert statuses["health.live"] == "passed" and statuses["metrics.exposition"] == "error", statuses
    assert measured["code"] == 3, (measured, output)


@pytest.mark.parametrize("hostile", ["slow-headers", "slow-body", "silent"], indirect=True)
def test_a_trickling_or_silent_target_ends_the_run_by_itself(hostile: str, tmp_path: Path) -> None:
    measured, output, report = _verify(hostile, tmp_path)
    assert measured["code"] == 3, (measured, output)
    assert "Traceback" not in output and report, output
    results = report["results"]  # type: ignore[index]
    errors = [r for r in results if r["status"] == "error"]
    assert errors and all(r["status"] in ("error", "skipped") for r in results), results
    # The first check waits its deadline (3 x target.timeout_s = 6 s); the rest are not retried.
    assert sum("not retried" in r["message"] for r in errors) >= len(errors) - 1, [
        r["message"] for r in errors
    ]
    assert measured["wall_s"] < 120, measured


@pytest.mark.parametrize("hostile", ["silent"], indirect=True)
def test_the_tls_suite_on_a_port_that_never_speaks_tls_ends_within_its_handshake_bound(
    hostile: str, tmp_path: Path
) -> None:
    profile = tmp_path / "p.yaml"
    profile.write_text("name: hostile-tls\ntarget: {timeout_s: 2}\ntls: {min_version: '1.2'}\n")
    url = hostile.replace("http://", "https://")
    cmd = [sys.executable, str(MEASURE), "--", sys.executable, "-m", "stackcheck", "verify", "--profile"]
    cmd += [str(profile), "--target", url, "--suite", "tls", "--report-dir", str(tmp_path / "r")]
    proc = subprocess.run(cmd, cwd=REPO_ROOT, capture_output=True, text=True, timeout=300, check=False)
    measured = json.loads(proc.stdout.strip().splitlines()[-1])
    report = json.loads((tmp_path / "r" / "report.json").read_text())
    assert measured["code"] == 3 and measured["wall_s"] < 45, (measured, proc.stdout + proc.stderr)
    protocols = next(r for r in report["results"] if r["id"] == "tls.protocols")
    assert protocols["status"] == "error" and "no TLS handshake within 4 s" in protocols["message"], protocols


def test_the_run_deadline_ends_what_is_left_as_error(tmp_path: Path) -> None:
    # A deadline that has passed before the first check starts: every check that would run is `error`,
    # named as the run deadline, and the run ends by itself (exit 3) with its report.
    profile = tmp_path / "p.yaml"
    profile.write_text("name: deadline\ntarget: {deadline_s: 0.01}\nhealth: {live: /health/live}\n")
    report_dir = tmp_path / "r"
    cmd = [sys.executable, "-m", "stackcheck", "verify", "--profile", str(profile), "--target"]
    cmd += [f"http://127.0.0.1:{free_port()}", "--suite", "health", "--report-dir", str(report_dir)]
    proc = subprocess.run(cmd, cwd=REPO_ROOT, capture_output=True, text=True, timeout=120, check=False)
    assert proc.returncode == 3, proc.stdout + proc.stderr
    results = json.loads((report_dir / "report.json").read_text())["results"]
    ran = [r for r in results if r["status"] != "skipped"]
    assert ran and all(r["status"] == "error" and "run's deadline passed" in r["message"] for r in ran), ran
    assert all(r["error_reason"] == "timeout" for r in ran)


# The preflight and every Locust request read an answer only up to target.max_response_bytes (streamed):
# before, Locust's client read each whole answer (578 MB peak on 256 MiB bodies).
@pytest.mark.parametrize("hostile", ["big-body", "endless-chunked", "gzip-bomb"], indirect=True)
def test_the_load_preflight_reads_an_enormous_answer_only_up_to_the_cap(hostile: str, tmp_path: Path) -> None:
    profile = tmp_path / "p.yaml"
    profile.write_text(
        "name: hostile-load\nslo: {p95_ms: 500}\n"
        "load: {users: 2, spawn_rate: 2, duration_s: 2, endpoints: [{path: /api}]}\n"
    )
    cmd = [sys.executable, str(MEASURE), "--", sys.executable, "-m", "stackcheck", "load", "--profile"]
    cmd += [str(profile), "--target", hostile, "--report-dir", str(tmp_path / "r")]
    proc = subprocess.run(cmd, cwd=REPO_ROOT, capture_output=True, text=True, timeout=300, check=False)
    measured = json.loads(proc.stdout.strip().splitlines()[-1])
    assert measured["peak_mib"] < PEAK_LIMIT_MIB, (measured, proc.stderr)
    assert "Traceback" not in proc.stdout + proc.stderr and (tmp_path / "r" / "report.json").is_file()
