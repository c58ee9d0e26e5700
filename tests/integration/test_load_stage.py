"""`stackcheck load` end to end: real Locust processes against real local servers of known latency.

Every run is a real ``python -m stackcheck load`` subprocess, which starts Locust in processes of its
own; nothing here imports Locust (it would monkey-patch this pytest process with gevent).
Latency bounds sit well away (>= 20 %) from the servers' true percentiles: the tests show on which side
of a threshold the gate lands, the benchmark (benchmarks/bench_load.py) measures how close it gets.
"""

from __future__ import annotations

import http.server
import importlib.util
import json
import os
import shutil
import signal
import socket
import struct
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from conftest import REPO_ROOT, CliRun
from loadtests.latency_server import LatencyServer
from stackcheck.wait import wait_until

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(
        importlib.util.find_spec("locust") is None,
        reason="locust is not installed (pip install 'stackcheck[load]')",
    ),
]

# 90 % of answers after 20 ms, 10 % after 150 ms: the true p95 and p99 are 150 ms, the median 20 ms.
MIX = "/api=mix:20*90+150*10"


@pytest.fixture
def latency_server() -> Iterator[Callable[..., LatencyServer]]:
    """Start latency servers (real subprocesses on free loopback ports); all are stopped afterwards."""
    started: list[LatencyServer] = []

    def start(*routes: str, stall: str | None = None, capacity: int | None = None) -> LatencyServer:
        server = LatencyServer(routes, stall=stall, capacity=capacity).start()
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


def write_profile(path: Path, slo: dict[str, Any], load: dict[str, Any]) -> Path:
    base = {"users": 10, "spawn_rate": 10, "duration_s": 5, "endpoints": [{"path": "/api"}]}
    path.write_text(yaml.safe_dump({"name": "loadtest", "slo": slo, "load": {**base, **load}}))
    return path


def load_cli(
    run_cli: Callable[..., CliRun], profile: Path, target: str, *args: str
) -> tuple[CliRun, dict[str, Any]]:
    report_dir = profile.parent / f"report-{profile.stem}"
    run = run_cli(
        "load", "--profile", str(profile), "--target", target, "--report-dir", str(report_dir), *args
    )
    report = (
        json.loads((report_dir / "report.json").read_text()) if (report_dir / "report.json").is_file() else {}
    )
    return run, report


def statuses(report: dict[str, Any]) -> dict[str, str]:
    return {r["id"]: r["status"] for r in report["results"]}


def locust_processes(marker: str) -> list[int]:
    """Pids of the processes whose command line names ``marker`` (the run's own plan file)."""
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            except OSError:
                continue
            if marker in cmdline and "locust" in cmdline:
                pids.append(int(entry.name))
    return pids


def test_gate_passes_when_the_service_meets_its_slo_using_a_master_and_a_worker_per_core(
    tmp_path: Path, run_cli: Callable[..., CliRun], latency_server: Callable[..., LatencyServer]
) -> None:
    # /flaky always fails, one request in five: about 20 % errors, always some, well inside a 50 % budget.
    server = latency_server(MIX, "/flaky=mix:20*90+150*10,fail:1")
    profile = write_profile(
        tmp_path / "pass.yaml",
        {"p95_ms": 190, "error_ratio": 0.5, "rps": 20},
        {"endpoints": [{"path": "/api", "weight": 4}, {"path": "/flaky", "weight": 1}]},
    )
    run, report = load_cli(run_cli, profile, server.url)
    assert run.code == 0, run.stdout + run.stderr
    assert statuses(report) == {
        "load.p95": "passed",
        "load.p99": "skipped",
        "load.error_ratio": "passed",
        "load.throughput": "passed",
    }
    load = report["load"]
    assert load["schema"] == "stackcheck.load/v1" and load["complete"] and load["model"] == "paced"
    assert load["workers"] == os.cpu_count() and {g["role"] for g in load["generator"]} == {
        "master",
        "worker",
    }
    assert all(g["requests"] > 0 for g in load["generator"] if g["role"] == "worker")  # every worker sent
    served = int(server.stats()["requests"]) - 1  # -1: the probe request before the run
    assert load["requests"] <= served <= load["requests"] + 10  # at most a few cut off at the very end
    assert {e["name"] for e in load["endpoints"]} == {"GET /api", "GET /flaky"}
    assert any("HTTP 500, expected 2xx" in e["error"] for e in load["errors"])
    assert len(load["timeseries"]) >= 5 and sum(b["count"] for b in load["histogram"]) == load["requests"]
    assert 20 <= load["latency_ms"]["percentiles"]["p50"] < 150  # the fast majority, not the slow tail
    assert "load.p95" in run.stdout and "req/s in the steady window" in run.stdout


def test_gate_fails_when_the_bound_is_below_the_true_p95_and_errors_exceed_the_budget(
    tmp_path: Path, run_cli: Callable[..., CliRun], latency_server: Callable[..., LatencyServer]
) -> None:
    # /flaky has /api's latency but always fails: with one request in five going there, the error ratio
    # is about 20 % (a 50 % failure on one request in ten gave 0 failures in about one run in four).
    server = latency_server(MIX, "/flaky=mix:20*90+150*10,fail:1")
    profile = write_profile(
        tmp_path / "fail.yaml",
        {"p95_ms": 190, "error_ratio": 0.15},
        {"endpoints": [{"path": "/api", "weight": 4}, {"path": "/flaky", "weight": 1}]},
    )
    run, report = load_cli(
        run_cli, profile, server.url, "--set", "slo.p95_ms=120", "--set", "slo.error_ratio=0.01"
    )
    assert run.code == 1, run.stdout + run.stderr
    results = {r["id"]: r for r in report["results"]}
    assert results["load.p95"]["status"] == "failed" and results["load.p95"]["evidence"]["observed"] >= 150
    assert results["load.error_ratio"]["status"] == "failed"
    assert results["load.error_ratio"]["evidence"]["observed"] > 0.01
    assert report["profile"]["overrides"] == ["slo.p95_ms=120", "slo.error_ratio=0.01"]


def test_throughput_fails_when_the_service_cannot_keep_up_single_process(
    tmp_path: Path, run_cli: Callable[..., CliRun], latency_server: Callable[..., LatencyServer]
) -> None:
    server = latency_server("/api=fixed:20", capacity=1)  # serves one request at a time: <= 50 req/s
    profile = write_profile(tmp_path / "slow.yaml", {"rps": 80}, {})
    run, report = load_cli(run_cli, profile, server.url, "--processes", "0")
    assert run.code == 1, run.stdout + run.stderr
    result = {r["id"]: r for r in report["results"]}["load.throughput"]
    assert result["status"] == "failed" and result["evidence"]["observed"] < 60
    assert report["load"]["target_rps"] == 96.0 and report["load"]["workers"] == 0
    assert [g["role"] for g in report["load"]["generator"]] == ["local"]


def test_paced_model_shows_a_stall_that_the_closed_loop_hides(
    tmp_path: Path, run_cli: Callable[..., CliRun], latency_server: Callable[..., LatencyServer]
) -> None:
    # The server stops the world for 500 ms every 2 s: a request arriving at a random moment waits
    # 0-500 ms a quarter of the time, so the true p95 is about 410 ms.
    server = latency_server("/api=fixed:10", stall="500/2000")
    profile = write_profile(tmp_path / "stall.yaml", {"p95_ms": 200}, {"duration_s": 8, "target_rps": 50})
    paced_run, paced = load_cli(run_cli, profile, server.url, "--processes", "1")
    closed_profile = write_profile(
        tmp_path / "stall-closed.yaml",
        {"p95_ms": 200},
        {"duration_s": 8, "model": "closed", "think_time_s": 0.02},
    )
    closed_run, closed = load_cli(run_cli, closed_profile, server.url, "--processes", "1")
    paced_p95 = paced["load"]["latency_ms"]["percentiles"]["p95"]
    closed_p95 = closed["load"]["latency_ms"]["percentiles"]["p95"]
    assert paced_p95 > 250 and paced_run.code == 1, f"paced p95 {paced_p95} ms should show the stall"
    assert closed_p95 < 100 and closed_run.code == 0, f"closed p95 {closed_p95} ms: the stall is omitted"
    assert closed["load"]["latency_ms"]["max"] > 250  # the stall is there, only the percentiles hide it


def _start_load(tmp_path: Path, target: str) -> tuple[subprocess.Popen[str], str]:
    profile = write_profile(tmp_path / "long.yaml", {"p95_ms": 500}, {"duration_s": 120})
    report_dir = tmp_path / "long-report"
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "stackcheck",
            "load",
            "--profile",
            str(profile),
            "--target",
            target,
            "--report-dir",
            str(report_dir),
        ],
        cwd=REPO_ROOT,
        env={**os.environ, "PYTHONPATH": str(REPO_ROOT)},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,  # like a terminal: Ctrl-C goes to this process group
    )
    marker = str(report_dir / "load" / "plan.json")
    expected = 1 + (os.cpu_count() or 1)
    up = wait_until(lambda: len(locust_processes(marker)) >= expected, timeout=60, interval=0.2)
    if not up:
        proc.kill()
        pytest.fail(f"Locust processes did not start: {proc.communicate(timeout=10)[0]}")
    # Wait until the load really flows (a progress line), so the interrupt lands mid-run.
    assert proc.stdout is not None
    for line in proc.stdout:
        if line.strip().startswith("t="):
            break
    return proc, marker


def test_ctrl_c_leaves_no_locust_process_behind(
    tmp_path: Path, latency_server: Callable[..., LatencyServer]
) -> None:
    server = latency_server(MIX)
    proc, marker = _start_load(tmp_path, server.url)
    try:
        os.killpg(proc.pid, signal.SIGINT)  # what a terminal sends on Ctrl-C
        output, _ = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130 and "interrupted" in output
    assert locust_processes(marker) == [], "a Locust process outlived Ctrl-C"


def test_killing_stackcheck_outright_still_stops_every_locust_process(
    tmp_path: Path, latency_server: Callable[..., LatencyServer]
) -> None:
    server = latency_server(MIX)
    proc, marker = _start_load(tmp_path, server.url)
    proc.kill()  # SIGKILL: no cleanup code runs in stackcheck; the Locust watchdogs must notice
    proc.communicate(timeout=10)
    gone = wait_until(lambda: not locust_processes(marker), timeout=20, interval=0.2)
    leftovers = locust_processes(marker)
    for pid in leftovers:  # do not leave load running even if the test fails
        os.kill(pid, signal.SIGKILL)
    assert gone, f"Locust processes {leftovers} outlived their parent"


def test_distributed_mode_master_with_workers_started_separately(
    tmp_path: Path, latency_server: Callable[..., LatencyServer]
) -> None:
    """The multi-machine setup, on one machine: a master waiting for 2 workers started by hand."""
    from stackcheck.load.runner import free_port

    server = latency_server(MIX)
    profile = write_profile(tmp_path / "dist.yaml", {"p95_ms": 190}, {})
    port = free_port()
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    base = [sys.executable, "-m", "stackcheck", "load", "--profile", str(profile), "--target", server.url]
    master = subprocess.Popen(
        [
            *base,
            "--processes",
            "0",
            "--expect-workers",
            "2",
            "--master-bind",
            f"127.0.0.1:{port}",
            "--report-dir",
            str(tmp_path / "dist-report"),
        ],
        cwd=REPO_ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    workers = [
        subprocess.Popen(
            [
                *base,
                "--worker-of",
                f"127.0.0.1:{port}",
                "--processes",
                "1",
                "--report-dir",
                str(tmp_path / f"worker-{i}"),
            ],
            cwd=REPO_ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        for i in (1, 2)
    ]
    try:
        output, _ = master.communicate(timeout=120)
        worker_out = [w.communicate(timeout=60)[0] for w in workers]
    finally:
        for p in (master, *workers):
            if p.poll() is None:
                p.kill()
    assert master.returncode == 0, output
    assert all(w.returncode == 0 for w in workers), worker_out
    load = json.loads((tmp_path / "dist-report" / "report.json").read_text())["load"]
    senders = [g for g in load["generator"] if g["role"] == "worker"]
    assert len(senders) == 2 and all(g["requests"] > 0 for g in senders)
    assert load["requests"] == sum(g["requests"] for g in senders)


class _Counting(http.server.BaseHTTPRequestHandler):
    """Answers every request with a redirect to ``self.server.location`` and counts the hits."""

    disable_nagle_algorithm = True
    protocol_version = "HTTP/1.1"

    def do_GET(self) -> None:
        self.server.hits += 1  # type: ignore[attr-defined]
        self.send_response(302 if self.server.location else 200)  # type: ignore[attr-defined]
        if self.server.location:  # type: ignore[attr-defined]
            self.send_header("Location", self.server.location)  # type: ignore[attr-defined]
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        pass


def _counting_server(location: str | None) -> http.server.ThreadingHTTPServer:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Counting)
    server.hits = 0  # type: ignore[attr-defined]
    server.location = location  # type: ignore[attr-defined]
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def test_the_load_never_follows_a_redirect(tmp_path: Path, run_cli: Callable[..., CliRun]) -> None:
    # Where a redirect leads is not the target the guard approved (it could be off loopback): the load
    # sends nothing there. The second server stands in for "elsewhere" and counts what reaches it.
    elsewhere = _counting_server(None)
    target = _counting_server(f"http://127.0.0.1:{elsewhere.server_address[1]}/landed")
    try:
        profile = write_profile(
            tmp_path / "redirect.yaml",
            {"p95_ms": 500},
            {"users": 2, "duration_s": 3, "endpoints": [{"path": "/api", "expect_status": [302]}]},
        )
        run, report = load_cli(run_cli, profile, f"http://127.0.0.1:{target.server_address[1]}")
    finally:
        target.shutdown()
        elsewhere.shutdown()
    assert target.hits > 0, run.stdout + run.stderr  # type: ignore[attr-defined]
    assert elsewhere.hits == 0, f"{elsewhere.hits} requests followed the redirect"  # type: ignore[attr-defined]
    assert statuses(report)["load.p95"] == "passed", run.stdout + run.stderr


@pytest.mark.skipif(os.geteuid() != 0 or shutil.which("unshare") is None, reason="needs root and unshare")
def test_no_stage_follows_a_redirect_off_loopback_in_a_namespace_with_loopback_alone() -> None:
    # Inside `unshare -n` the documentation address the target redirects to is unroutable: any attempt to
    # reach it is counted by the kernel (OutNoRoutes), and nothing can leave the machine.
    script = REPO_ROOT / "tests" / "data" / "netns" / "redirect_off_loopback.py"
    proc = subprocess.run(
        ["unshare", "-n", sys.executable, str(script)],
        cwd=REPO_ROOT,
        env={**os.environ, "PYTHONPATH": str(REPO_ROOT)},
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    seen = json.loads(proc.stdout.strip().splitlines()[-1])
    assert seen["control"]["no_routes"] >= 1, "the counter did not count a deliberate attempt"
    for stage in ("verify", "load"):
        assert seen[stage]["no_routes"] == 0, (stage, seen[stage])
        assert seen[stage]["code"] in (0, 1), (stage, seen[stage])  # judged, not crashed


def _answers_once_then_resets() -> tuple[socket.socket, threading.Event]:
    """A loopback server that answers its first connection (the preflight) and resets every later one."""
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(0.2)
    stop = threading.Event()

    def serve() -> None:
        answered = False
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except OSError:
                continue
            with conn:
                if not answered:
                    conn.recv(65536)
                    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok")
                    answered = True
                else:  # RST: the connection is refused at the HTTP level, with no answer
                    conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))

    threading.Thread(target=serve, daemon=True).start()
    return listener, stop


def test_a_target_that_stops_answering_after_the_preflight_never_passes(
    tmp_path: Path, run_cli: Callable[..., CliRun]
) -> None:
    # The shipped djinn.yaml shape (slo: {p95_ms: 200} only): the few fast resets must not read as p95.
    listener, stop = _answers_once_then_resets()
    try:
        profile = write_profile(tmp_path / "dead.yaml", {"p95_ms": 200}, {"users": 2, "duration_s": 3})
        run, report = load_cli(run_cli, profile, f"http://127.0.0.1:{listener.getsockname()[1]}")
    finally:
        stop.set()
        listener.close()
    assert run.code == 3, run.stdout + run.stderr
    result = next(r for r in report["results"] if r["id"] == "load.p95")
    assert result["status"] == "error" and result["error_reason"] == "unreachable", result
    assert report["load"]["unanswered"] > 0 and report["load"]["latency_ms"]["count"] == 0
