"""Signals during a run: nothing stackcheck started outlives it, and the partial report says what happened.

Each case is a real ``python -m stackcheck`` subprocess in a session of its own (a process started with
``&`` from a non-interactive shell would inherit SIGINT as ignored and test nothing). Every process of the
run carries a token in its environment (the launched service, its own child, scanners, Locust, the
watchdog), so the process tree of the run can be listed before the signal and after it, whoever else runs
on the machine; containers are compared by the run's label (``org.stackcheck.pid``), never globally.

SIGINT goes to the process group, as a terminal sends it; SIGTERM and SIGHUP go to the process only, as
``timeout``, ``kill`` and CI cancellation send them. "twice" is SIGINT and a second SIGINT a moment later,
during the cleanup: the run must exit at once and still leave nothing. SIGKILL runs no code of
stackcheck's: the run's watchdog must remove its processes and containers within seconds.
"""

from __future__ import annotations

import importlib.util
import json
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from loadtests.latency_server import LatencyServer
from stackcheck.wait import wait_until
from tests.integration.conftest import PROFILES, REPO, cli_env, containers_of

pytestmark = pytest.mark.integration

TOKEN_VAR = "STACKCHECK_SIGNAL_TEST_RUN"
SIGNALS = ["SIGTERM", "SIGHUP", "SIGINT", "twice", "SIGKILL"]
EXPECTED_CODE = {"SIGTERM": 143, "SIGHUP": 129, "SIGINT": 130, "twice": 130}
LEFTOVER_S = 20  # the watchdog's grace period and its two container sweeps fit well within this


def run_processes(token: str) -> dict[int, str]:
    """Live processes (not zombies) whose environment carries ``token``: pid → command line."""
    needle = f"{TOKEN_VAR}={token}".encode()
    found: dict[int, str] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            if needle not in (entry / "environ").read_bytes().split(b"\0"):
                continue
            cmdline = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if cmdline:  # a zombie has none
            found[int(entry.name)] = cmdline.strip()
    return found


@dataclass
class Run:
    """A stackcheck subprocess whose output is read as it comes."""

    proc: subprocess.Popen[str]
    token: str
    report_dir: Path
    lines: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.append(line)

    @property
    def output(self) -> str:
        return "".join(self.lines)

    def saw(self, predicate: str) -> bool:
        return any(predicate in line for line in self.lines)

    def send(self, how: str) -> None:
        """Send ``how`` as described in the module docstring."""
        if how == "SIGKILL":
            self.proc.kill()
        elif how == "SIGINT":
            os.killpg(self.proc.pid, signal.SIGINT)
        elif how == "twice":
            os.killpg(self.proc.pid, signal.SIGINT)
            time.sleep(0.3)
            os.killpg(self.proc.pid, signal.SIGINT)
        else:
            self.proc.send_signal(signal.Signals[how])

    def report(self) -> dict[str, Any]:
        path = self.report_dir / "report.json"
        assert path.is_file(), f"no partial report in {self.report_dir}:\n{self.output}"
        return dict(json.loads(path.read_text()))


@pytest.fixture
def start(tmp_path: Path) -> Iterator[Callable[..., Run]]:
    """``start(*argv, env=...)``: a ``python -m stackcheck`` run; whatever it left is killed afterwards."""
    runs: list[Run] = []

    def launch(*argv: str, env: dict[str, str] | None = None) -> Run:
        token = uuid.uuid4().hex
        report_dir = tmp_path / f"report-{len(runs)}"
        proc = subprocess.Popen(
            [sys.executable, "-m", "stackcheck", *argv, "--report-dir", str(report_dir)],
            cwd=REPO,
            env={**cli_env(), **(env or {}), TOKEN_VAR: token},
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            text=True,
            start_new_session=True,  # like a terminal's job: SIGINT to the group reaches it, not us
        )
        run = Run(proc, token, report_dir)
        runs.append(run)
        return run

    yield launch
    for run in runs:  # never leave anything running, even when a test failed
        if run.proc.poll() is None:
            run.proc.kill()
            run.proc.wait(timeout=10)
        for pid in run_processes(run.token):
            with suppress(OSError):
                os.kill(pid, signal.SIGKILL)


def stop_and_check(
    run: Run, how: str, *, containers: int = 0, slow_cleanup: bool = False
) -> dict[str, Any] | None:
    """Send ``how``; then: the exit code, the partial report, and nothing of the run left over.

    ``slow_cleanup``: what the run started ignores SIGTERM, so a second signal lands during the cleanup
    and must end the run at once. Returns the report (None after SIGKILL, which leaves no time to write one).
    """
    before = run_processes(run.token)
    assert len(before) >= 2, f"the run's processes were not seen: {before}"  # stackcheck + what it started
    if containers:
        assert len(containers_of(run.proc.pid)) == containers, "the run's containers were not seen"
    run.send(how)
    code = run.proc.wait(timeout=90)
    if how != "SIGKILL":  # stackcheck stopped what it started itself; only its watchdog may still be ending
        own = [c for c in run_processes(run.token).values() if "watchdog.py" not in c]
        assert own == [], f"after {how}, stackcheck exited leaving {own} (before: {sorted(before.values())})"
    if containers and how != "SIGKILL" and how != "twice":
        assert containers_of(run.proc.pid) == [], f"after {how}, stackcheck exited leaving its containers"
    left = wait_until(lambda: not run_processes(run.token), LEFTOVER_S, 0.2)
    assert left, (
        f"after {how}, processes of the run outlived it:\n  before: {sorted(before.values())}\n"
        f"  after {LEFTOVER_S} s: {sorted(run_processes(run.token).values())}"
    )
    if containers or how in ("SIGKILL", "twice"):
        gone = wait_until(lambda: not containers_of(run.proc.pid), LEFTOVER_S, 0.5)
        assert gone, f"after {how}, containers of the run were left: {containers_of(run.proc.pid)}"
    if how == "SIGKILL":
        assert code == -signal.SIGKILL
        return None
    assert code == EXPECTED_CODE[how], f"exit code {code} after {how}:\n{run.output}"
    assert "Traceback" not in run.output, run.output
    if how == "twice" and slow_cleanup:
        assert "SIGINT again: stopping at once" in run.output, run.output
    report = run.report()
    meta = report["run"]
    assert isinstance(meta, dict) and meta["interrupted"] is True
    assert meta["signal"] == ("SIGINT" if how == "twice" else how)
    summary = report["summary"]
    assert isinstance(summary, dict) and summary["exit_code"] == code
    markdown = (run.report_dir / "summary.md").read_text()
    assert "INTERRUPTED" in markdown and "COMPLIANT:" not in markdown
    return report


# ---- the four stages ------------------------------------------------------------------------------------

SERVICE = """\
import http.server, signal, subprocess, sys, time

# Deaf to SIGTERM, as a hung service is: stopping it takes the grace period and SIGKILL, so a second
# signal lands during the cleanup. Its child inherits that, and must still go with the process group.
signal.signal(signal.SIGTERM, signal.SIG_IGN)
subprocess.Popen(["sleep", "600"])


class Handler(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        if self.path != "/health/live":
            time.sleep(1.0)  # slow enough that the signal lands while checks run
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *args):
        pass


http.server.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Handler).serve_forever()
"""


@pytest.mark.parametrize("how", SIGNALS)
def test_verify_with_a_launched_service_leaves_nothing(
    start: Callable[..., Run], tmp_path: Path, how: str
) -> None:
    (tmp_path / "service.py").write_text(SERVICE)
    profile = tmp_path / "service.yaml"
    profile.write_text(
        textwrap.dedent("""\
        name: signals-service
        service:
          command: ["{python}", service.py, "{port}"]
        health:
          live: /health/live
          ready: /health/ready
          startup: /startup
          extra: [/a, /b, /c, /d, /e, /f, /g, /h]
        """)
    )
    run = start("verify", "--profile", str(profile), "--suite", "health")
    assert wait_until(lambda: run.saw("health."), 60, 0.1), f"no check ran:\n{run.output}"
    assert any("sleep 600" in c for c in run_processes(run.token).values())
    report = stop_and_check(run, how, slow_cleanup=True)
    if report is not None:
        assert report["results"], "the results before the signal are kept"


@pytest.mark.docker
@pytest.mark.parametrize("how", SIGNALS)
def test_verify_infra_docker_leaves_no_container(start: Callable[..., Run], how: str) -> None:
    run = start(
        "verify",
        *("--profile", str(PROFILES / "both.yaml"), "--suite", "postgres", "--suite", "redis"),
        *("--infra", "docker"),
        env={"SC_REDIS_PASSWORD": "pw", "TESTCONTAINERS_RYUK_DISABLED": "true"},
    )
    assert wait_until(lambda: len(containers_of(run.proc.pid)) == 2, 90, 0.1), f"no containers:\n{run.output}"
    stop_and_check(run, how, containers=2)


SLOW_SCANNER = """\
#!/bin/sh
# A scanner that takes its time, deaf to SIGTERM, with a child of its own.
trap '' TERM
sleep 600 &
exec sleep 601
"""


@pytest.mark.parametrize("how", SIGNALS)
def test_scan_leaves_no_scanner_running(start: Callable[..., Run], tmp_path: Path, how: str) -> None:
    scanner = tmp_path / "slow-bandit"
    scanner.write_text(SLOW_SCANNER)
    scanner.chmod(0o755)
    (tmp_path / "code").mkdir()
    (tmp_path / "code" / "app.py").write_text("print('hello')\n")
    profile = tmp_path / "scan.yaml"
    profile.write_text("name: signals-scan\nscan:\n  code_paths: [code]\n")
    run = start("scan", "--profile", str(profile), env={"STACKCHECK_BANDIT": str(scanner)})
    assert wait_until(
        lambda: sum("sleep 60" in c for c in run_processes(run.token).values()) == 2, 60, 0.1
    ), f"the scanner did not start:\n{run.output}"
    stop_and_check(run, how, slow_cleanup=True)


@pytest.mark.skipif(importlib.util.find_spec("locust") is None, reason="locust is not installed")
@pytest.mark.parametrize("how", SIGNALS)
def test_load_leaves_no_locust_process(start: Callable[..., Run], tmp_path: Path, how: str) -> None:
    server = LatencyServer(["/api=fixed:5"]).start()
    try:
        profile = tmp_path / "load.yaml"
        profile.write_text(
            "name: signals-load\nslo: {p95_ms: 500}\n"
            "load: {users: 4, spawn_rate: 4, duration_s: 120, endpoints: [{path: /api}]}\n"
        )
        run = start("load", "--profile", str(profile), "--target", server.url, "--processes", "1")
        assert wait_until(lambda: run.saw("t="), 90, 0.2), f"the load did not flow:\n{run.output}"
        report = stop_and_check(run, how)
    finally:
        server.stop()
    if report is not None:
        statuses = {r["status"] for r in report["results"]}
        assert statuses <= {"error", "skipped"}, "an interrupted load run has no verdict"
        reasons = {r["error_reason"] for r in report["results"] if r["status"] == "error"}
        assert reasons == {"interrupted"}


@pytest.mark.skipif(importlib.util.find_spec("locust") is None, reason="locust is not installed")
@pytest.mark.parametrize("how", ["SIGTERM", "twice"])
def test_run_stopped_in_its_load_stage_merges_the_stages_into_one_partial_report(
    start: Callable[..., Run], tmp_path: Path, how: str
) -> None:
    server = LatencyServer(["/api=fixed:5"]).start()
    try:
        profile = tmp_path / "run.yaml"
        profile.write_text(
            "name: signals-run\nhealth: {live: /api, ready: null}\nslo: {p95_ms: 500}\n"
            "load: {users: 4, spawn_rate: 4, duration_s: 120, endpoints: [{path: /api}]}\n"
        )
        run = start("run", "--profile", str(profile), "--target", server.url, "--processes", "1")
        assert wait_until(lambda: run.saw("t="), 120, 0.2), f"the load did not flow:\n{run.output}"
        report = stop_and_check(run, how)
    finally:
        server.stop()
    assert report is not None
    statuses = {r["id"]: r["status"] for r in report["results"]}
    assert statuses["health.live"] == "passed", "the verify stage's results are in the partial report"
    assert {statuses[c] for c in statuses if c.startswith("load.")} <= {"error", "skipped"}
    assert (run.report_dir / "stages" / "load" / "report.json").is_file()


@pytest.mark.docker
def test_the_watchdog_removes_the_containers_of_its_label() -> None:
    """The SIGKILL case above, without a later run's reap_orphans that could also have removed them."""
    import docker

    from stackcheck import interrupt

    key, value = "org.stackcheck.test-watchdog", uuid.uuid4().hex  # no host label: reap_orphans ignores it
    label = f"{key}={value}"
    client = docker.from_env()
    try:
        container = client.containers.create(
            "stackcheck/redis:7", command=["sleep", "600"], labels={key: value}, network="host"
        )
        container.start()
        assert client.containers.list(all=True, sparse=True, filters={"label": label}), "not labelled"
        script = Path(interrupt.__file__).with_name("watchdog.py")
        dog = subprocess.Popen([sys.executable, "-P", str(script), str(os.getpid())], stdin=subprocess.PIPE)
        assert dog.stdin is not None
        dog.stdin.write(f"+label {label}\n".encode())
        dog.stdin.close()
        assert dog.wait(timeout=60) == 0
        left = client.containers.list(all=True, sparse=True, filters={"label": label})
        assert left == [], "the watchdog left its run's container"
    finally:
        for c in client.containers.list(all=True, sparse=True, filters={"label": label}):
            c.remove(force=True)
        client.close()
