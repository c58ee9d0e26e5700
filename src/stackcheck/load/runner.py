"""Run Locust in processes of its own: a master and its workers, or a single process; stop them for sure.

Locust monkey-patches the process it runs in (gevent), so it never runs inside stackcheck's process:
every Locust process is ``python -m locust -f loadtests/locustfile.py --stackcheck-plan PLAN`` started
here, each in a session of its own (a terminal's Ctrl-C reaches stackcheck only, which then stops them
in order: SIGTERM, a grace period, SIGKILL to each process group; SIGTERM and SIGHUP likewise, and a second
signal SIGKILLs them at once: :mod:`stackcheck.interrupt`). The locustfile's watchdog ends any Locust process
whose parent has gone, and so does the run's watchdog: not even ``kill -9`` of stackcheck leaves load running.
"""

from __future__ import annotations

import importlib.util
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Mapping
from contextlib import suppress
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import IO

from pydantic import ValidationError

from stackcheck import interrupt
from stackcheck.load.plan import PROGRESS_PREFIX, LoadPlan
from stackcheck.load.stats import LoadStats
from stackcheck.probes.loopback import free_port
from stackcheck.resources import data_path

__all__ = ["LocustRun", "RunOutcome", "free_port", "locust_version", "locustfile_path"]

GRACE_S = 5.0  # between SIGTERM and SIGKILL
WORKER_EXIT_S = 2.0  # the master has their final reports by then; stop() ends the stragglers


def locustfile_path() -> Path:
    """``loadtests/locustfile.py`` of a source checkout, else the copy packaged in the wheel."""
    return data_path("loadtests/locustfile.py")


def locust_version() -> str | None:
    """Locust's version in this environment, or None; found without importing it (gevent patches)."""
    if importlib.util.find_spec("locust") is None:
        return None
    try:
        return metadata.version("locust")
    except metadata.PackageNotFoundError:
        return "unknown"


@dataclass
class RunOutcome:
    """What a run produced: statistics, or why there are none."""

    stats: LoadStats | None
    error: str | None = None
    exit_codes: dict[str, int | None] = field(default_factory=dict)


@dataclass
class _Proc:
    name: str
    popen: subprocess.Popen[bytes]
    log: IO[bytes]


class LocustRun:
    """The Locust processes of one plan: start, wait, and stop them (also on Ctrl-C)."""

    def __init__(
        self,
        plan: LoadPlan,
        plan_path: Path,
        log_dir: Path,
        echo: Callable[[str], None] = print,
        master_bind: tuple[str, int] | None = None,
        python: str = sys.executable,
        environ: Mapping[str, str] | None = None,
    ) -> None:
        self.plan = plan
        self.plan_path = plan_path
        self.log_dir = log_dir
        self.echo = echo
        self.master_bind = master_bind
        self.python = python
        # The environment of every Locust process; None: this process's own (passed down unread).
        self.environ = dict(environ) if environ is not None else None
        self.procs: list[_Proc] = []

    # --- command lines ---------------------------------------------------------------------------

    def _base(self) -> list[str]:
        return [
            self.python,
            "-u",  # unbuffered: progress lines reach us as they are printed
            "-m",
            "locust",
            "-f",
            str(locustfile_path()),
            "--stackcheck-plan",
            str(self.plan_path),
        ]

    def _driver_args(self) -> list[str]:
        plan = self.plan
        return ["--headless", "--only-summary", "-u", str(plan.users), "-r", f"{plan.spawn_rate:g}"]

    def _spawn(self, name: str, argv: list[str], echo_progress: bool) -> _Proc:
        self.log_dir.mkdir(parents=True, exist_ok=True)
        log = (self.log_dir / f"{name}.log").open("wb")
        popen = subprocess.Popen(
            argv,
            stdout=subprocess.PIPE if echo_progress else log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            env=self.environ,
            start_new_session=True,  # our own process group: signals reach it only through us
        )
        interrupt.track(popen)
        proc = _Proc(name, popen, log)
        self.procs.append(proc)
        if echo_progress:
            threading.Thread(target=self._pump, args=(proc,), daemon=True).start()
        return proc

    def _pump(self, proc: _Proc) -> None:
        """Copy the master's output to its log; show the progress lines."""
        assert proc.popen.stdout is not None
        for raw in proc.popen.stdout:
            proc.log.write(raw)
            line = raw.decode(errors="replace")
            if line.startswith(PROGRESS_PREFIX):
                self.echo("  " + line[len(PROGRESS_PREFIX) :].strip())
        proc.log.flush()

    # --- lifecycle -------------------------------------------------------------------------------

    def start(self) -> _Proc:
        """Start the master and the local workers (or the single process); return the driving process."""
        plan = self.plan
        if plan.workers == 0 and plan.external_workers == 0:
            return self._spawn("locust", self._base() + self._driver_args(), echo_progress=True)
        host, port = self.master_bind or ("127.0.0.1", free_port())
        master_argv = [
            *self._base(),
            *("--master", "--master-bind-host", host, "--master-bind-port", str(port)),
            *("--expect-workers", str(plan.workers + plan.external_workers)),
            *("--expect-workers-max-wait", f"{plan.worker_wait_s:g}"),
            *self._driver_args(),
        ]
        master = self._spawn("master", master_argv, echo_progress=True)
        connect = "127.0.0.1" if host in ("0.0.0.0", "::", "") else host
        for i in range(plan.workers):
            worker_argv = [*self._base(), "--worker", "--master-host", connect, "--master-port", str(port)]
            self._spawn(f"worker-{i + 1}", worker_argv, echo_progress=False)
        return master

    def start_workers(self, master: tuple[str, int], count: int) -> None:
        """Only workers, for a master elsewhere (``stackcheck load --worker-of``)."""
        for i in range(count):
            argv = [*self._base(), "--worker", "--master-host", master[0], "--master-port", str(master[1])]
            self._spawn(f"worker-{i + 1}", argv, echo_progress=i == 0)

    def stop(self) -> None:
        """SIGTERM every process group, wait up to GRACE_S, then SIGKILL what is left; reap all."""
        self._signal_all(signal.SIGTERM)
        deadline = time.monotonic() + GRACE_S
        for proc in self.procs:
            with suppress(subprocess.TimeoutExpired):
                proc.popen.wait(timeout=max(deadline - time.monotonic(), 0.01))
        self._signal_all(signal.SIGKILL, every_group=True)
        for proc in self.procs:
            with suppress(subprocess.TimeoutExpired):  # SIGKILL cannot be ignored: only a hung kernel
                proc.popen.wait(timeout=GRACE_S)
                interrupt.untrack(proc.popen)
            proc.log.close()

    def _signal_all(self, sig: signal.Signals, every_group: bool = False) -> None:
        for proc in self.procs:
            if proc.popen.poll() is None or every_group:
                with suppress(ProcessLookupError, PermissionError):
                    os.killpg(proc.popen.pid, sig)

    def wait(self, driver: _Proc, timeout: float) -> int | None:
        """Wait for the driving process; then give the others a moment to follow. None on timeout."""
        try:
            code = driver.popen.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            return None
        deadline = time.monotonic() + WORKER_EXIT_S
        for proc in self.procs:
            with suppress(subprocess.TimeoutExpired):
                proc.popen.wait(timeout=max(deadline - time.monotonic(), 0.01))
        return code

    def _failure_reason(self, driver: _Proc) -> str:
        """The most telling line of the driver's log, for an 'error' result."""
        path = self.log_dir / f"{driver.name}.log"
        lines = path.read_text(errors="replace").splitlines() if path.is_file() else []
        for marker in ("Gave up waiting for workers", "Error", "error", "Traceback"):
            hits = [line.strip() for line in lines if marker in line]
            if hits:
                return hits[-1] if marker != "Traceback" else (lines[-1].strip() if lines else marker)
        return lines[-1].strip() if lines else "no output"

    def run(self) -> RunOutcome:
        """Start, wait for the end (bounded by the plan's deadline), stop everything, read the statistics."""
        stats_path = Path(self.plan.stats_path)
        stats_path.unlink(missing_ok=True)
        try:
            with interrupt.guard():  # SIGTERM/SIGHUP as Ctrl-C; a second signal SIGKILLs every group
                driver = self.start()
                code = self.wait(driver, timeout=self.plan.deadline_s + 10)
        finally:
            self.stop()  # a no-op for processes that already left; the only way out for the rest
        codes = {p.name: p.popen.returncode for p in self.procs}
        if code is None:
            return RunOutcome(
                None, f"Locust did not finish within {self.plan.deadline_s + 10:g} s; stopped", codes
            )
        if not stats_path.is_file():
            reason = self._failure_reason(driver)
            return RunOutcome(None, f"Locust ended without statistics (exit code {code}): {reason}", codes)
        try:
            stats = LoadStats.model_validate_json(stats_path.read_text(encoding="utf-8"))
        except ValidationError as exc:
            return RunOutcome(
                None, f"unreadable Locust statistics {stats_path}: {exc.errors()[0]['msg']}", codes
            )
        return RunOutcome(stats, None, codes)
