"""Run scanner processes concurrently within a core budget, each bounded in time, and keep what they wrote.

Scanners are separate programs (checkov, trivy, bandit, detect-secrets); each job says how many cores it
uses (``Job.cores``: 1 for a single-process tool, more for one told to spread its work, e.g. detect-secrets
``--cores N``). :func:`run_jobs` starts jobs in the order given as their cores come free, never using more
cores than the machine has: oversubscribed, two tools that each use every core made each 2-3x slower.
A process that cannot start, exits with an unexpected code or overruns its timeout is a
:class:`JobResult` with ``failure`` set — the caller turns it into ``error``, never ``passed``. Each runs in
a process group of its own, registered with :mod:`stackcheck.interrupt`: an interrupted run stops them all.
"""

from __future__ import annotations

import os
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor, as_completed
from contextlib import suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from stackcheck import interrupt

__all__ = ["Job", "JobResult", "run_jobs", "stderr_tail"]

STOP_GRACE_S = 2.0  # an interrupted scanner's time to exit on SIGTERM before SIGKILL
# What is kept of a scanner's stdout and of its stderr: the first MAX_STREAM_BYTES less the tail, and the
# last TAIL_BYTES (where a failing tool says why); the rest is read and dropped, with a line saying so. A
# report on stdout larger than this is cut, so it does not parse: the scanner's result is `error`.
MAX_STREAM_BYTES = 32 * 1024 * 1024
TAIL_BYTES = 64 * 1024
# A report file read back (checkov's JSON on the 1,050-file corpus: 26 MB); a larger one is a failure.
MAX_REPORT_BYTES = 512 * 1024 * 1024
READER_JOIN_S = 5.0  # after the process ended: its pipes close unless a child it left holds them


@dataclass(frozen=True)
class Job:
    """One scanner invocation."""

    name: str  # unique within a run, e.g. "trivy image stackcheck/refservice:scan"
    tool: str
    argv: tuple[str, ...]
    ok_codes: frozenset[int] = frozenset({0})  # exit codes that mean "ran" (findings or not)
    env: Mapping[str, str] = field(default_factory=dict)  # added to the run's environment
    cwd: Path | None = None
    timeout_s: float = 600.0
    output: Path | None = None  # report file the tool writes; read back into JobResult.output
    # Jobs with the same key never run at once: e.g. trivy holds its cache folder's lock for a whole run,
    # and a second trivy on that folder gives up after 5 s ("cache may be in use by another process").
    exclusive: str | None = None
    cores: int = 1  # cores the tool uses (its budget: the plan set the tool's own option to it)
    # Its processes share whatever cores are free: it starts as soon as one is (not when all its
    # ``cores`` are), so no core idles while the last single-core scanner finishes.
    elastic: bool = False
    # Files and folders whose content is the job's whole input (the result cache's key); () = not cacheable.
    inputs: tuple[Path, ...] = ()


@dataclass(frozen=True)
class JobResult:
    """What one invocation did."""

    job: Job
    returncode: int | None
    stdout: str
    stderr: str
    duration_s: float
    output: str | None
    failure: str | None  # None: the tool ran; else why it did not (not found, crashed, timeout)
    cached: bool = False  # replayed from the result cache (stackcheck.scan.resultcache), not run


def stderr_tail(text: str, lines: int = 8, limit: int = 800) -> str:
    """The last non-empty lines of a tool's stderr: usually the reason it failed."""
    kept = [ln.rstrip() for ln in text.splitlines() if ln.strip()][-lines:]
    tail = " | ".join(kept)
    return tail[-limit:]


class _Running:
    """The scanner processes of one :func:`run_jobs` call, so an interrupt can stop every one of them."""

    def __init__(self) -> None:
        self.cancelled = threading.Event()
        self.procs: set[subprocess.Popen[bytes]] = set()
        self.lock = threading.Lock()

    def stop_all(self) -> None:
        """Refuse new jobs; SIGTERM each running scanner's process group, SIGKILL after a grace period."""
        self.cancelled.set()
        with self.lock:
            procs = list(self.procs)
        for proc in procs:
            with suppress(ProcessLookupError, PermissionError):
                os.killpg(proc.pid, signal.SIGTERM)
        deadline = time.monotonic() + STOP_GRACE_S
        for proc in procs:
            with suppress(subprocess.TimeoutExpired):
                proc.wait(timeout=max(deadline - time.monotonic(), 0.01))
            with suppress(ProcessLookupError, PermissionError):
                os.killpg(proc.pid, signal.SIGKILL)  # the group: a scanner's own children too


class _Cores:
    """Core tokens: a job starts when it is the first waiting job (in the order given) and its cores are
    free. Strict order: the plan put the jobs that must start first at the front."""

    def __init__(self, total: int, count: int) -> None:
        self.total = total
        self.free = total
        self.cond = threading.Condition()
        # Every job is in line from the start: one still computing its cache key keeps its place, and no
        # later job overtakes it (a late checkov once queued behind detect-secrets).
        self.waiting: list[int] = list(range(count))

    def leave(self, index: int) -> None:
        """``index`` needs no core (replayed from the cache): the next in line may go."""
        with self.cond:
            if index in self.waiting:
                self.waiting.remove(index)
            self.cond.notify_all()

    def acquire(self, index: int, need: int, cancelled: threading.Event, elastic: bool = False) -> int:
        """Wait for ``need`` cores (at most the machine's; ``elastic``: as soon as one is free, taking
        those that are); the number taken, 0 when the run was interrupted meanwhile."""
        need = max(1, min(need, self.total))
        with self.cond:
            while not (self.waiting[0] == index and self.free >= (1 if elastic else need)):
                # Bounded waits: an interrupt (stop_all) is noticed within half a second.
                self.cond.wait(timeout=0.5)
                if cancelled.is_set():
                    self.waiting.remove(index)
                    self.cond.notify_all()
                    return 0
            self.waiting.pop(0)
            need = min(need, self.free)
            self.free -= need
            self.cond.notify_all()
            return need

    def release(self, count: int) -> None:
        """Give ``count`` cores back."""
        with self.cond:
            self.free += count
            self.cond.notify_all()


class _Capture:
    """One of a process's output pipes, read to its end in a thread of its own, kept within bounds: the
    first ``limit - tail`` bytes and the last ``tail`` bytes."""

    def __init__(
        self, stream: IO[bytes] | None, name: str, limit: int = MAX_STREAM_BYTES, tail: int = TAIL_BYTES
    ) -> None:
        self.stream = stream
        self.name = name
        self.head_limit = max(limit - tail, 0)
        self.tail_limit = tail
        self.head = bytearray()
        self.tail = bytearray()
        self.dropped = 0
        self.thread = threading.Thread(target=self._read, name=f"scan-{name}", daemon=True)
        self.thread.start()

    def _read(self) -> None:
        if self.stream is None:
            return
        read = getattr(self.stream, "read1", None) or self.stream.read
        with suppress(OSError, ValueError):
            while chunk := read(65536):
                room = self.head_limit - len(self.head)
                if room > 0:
                    self.head += chunk[:room]
                    chunk = chunk[room:]
                if chunk:
                    self.tail += chunk
                    if len(self.tail) > self.tail_limit:
                        cut = len(self.tail) - self.tail_limit
                        self.dropped += cut
                        del self.tail[:cut]

    def text(self) -> str:
        """What was kept, decoded (undecodable bytes replaced), with a line where bytes were left out."""
        self.thread.join(timeout=READER_JOIN_S)
        if self.thread.is_alive():  # a child the tool left holds the pipe: stop reading before copying
            self.close()
            self.thread.join(timeout=1.0)
        kept = bytes(self.head)
        if self.dropped:
            kept += f"\n[stackcheck: {self.dropped:,} bytes of {self.name} left out]\n".encode()
        kept += bytes(self.tail)
        text = kept.decode("utf-8", errors="replace")
        return text.replace("\r\n", "\n").replace("\r", "\n")  # as a text-mode pipe reads it

    def close(self) -> None:
        """Close the pipe (a reader still blocked on it, behind a child that kept it open, then ends)."""
        if self.stream is not None:
            with suppress(OSError, ValueError):
                self.stream.close()


def _run(job: Job, environ: Mapping[str, str], running: _Running) -> JobResult:
    start = time.monotonic()
    env = {**environ, **job.env}
    if running.cancelled.is_set():
        return JobResult(job, None, "", "", 0.0, None, f"{job.tool} was not started: the run was interrupted")
    try:
        proc = subprocess.Popen(
            list(job.argv),
            cwd=job.cwd,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            stdin=subprocess.DEVNULL,
            start_new_session=True,  # a group of its own: stopping it stops the tools it starts
        )
    except FileNotFoundError as exc:
        return JobResult(job, None, "", "", time.monotonic() - start, None, f"cannot start {job.tool}: {exc}")
    interrupt.track(proc)
    with running.lock:
        running.procs.add(proc)
    out = _Capture(proc.stdout, "stdout", MAX_STREAM_BYTES, TAIL_BYTES)
    err = _Capture(proc.stderr, "stderr", MAX_STREAM_BYTES, TAIL_BYTES)
    try:
        proc.wait(timeout=job.timeout_s)
    except subprocess.TimeoutExpired:
        with suppress(ProcessLookupError, PermissionError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
        timeout = f"{job.tool} did not finish within {job.timeout_s:g} s"
        said = err.text()
        out.close()
        err.close()
        if said.strip():
            timeout += f": {stderr_tail(said)}"
        return JobResult(job, None, "", said, time.monotonic() - start, None, timeout)
    finally:
        with running.lock:
            running.procs.discard(proc)
        if proc.poll() is not None:
            interrupt.untrack(proc)
    stdout, stderr = out.text(), err.text()
    out.close()
    err.close()
    if running.cancelled.is_set():
        stopped = f"{job.tool} was stopped: the run was interrupted"
        return JobResult(job, proc.returncode, stdout, stderr, time.monotonic() - start, None, stopped)
    duration = time.monotonic() - start
    output: str | None = None
    failure: str | None = None
    if job.output is not None and job.output.is_file():
        size = job.output.stat().st_size
        if size > MAX_REPORT_BYTES:
            failure = (
                f"{job.tool} wrote a report of {size:,} bytes ({job.output.name}), over {MAX_REPORT_BYTES:,}"
            )
            return JobResult(job, proc.returncode, stdout, stderr, duration, None, failure)
        output = job.output.read_text(encoding="utf-8", errors="replace")
    if proc.returncode not in job.ok_codes:
        tail = stderr_tail(stderr) or stderr_tail(stdout) or "no output"
        failure = f"{job.tool} exited with code {proc.returncode}: {tail}"
    elif job.output is not None and output is None:
        failure = f"{job.tool} wrote no report ({job.output.name}): {stderr_tail(stderr) or 'no output'}"
    return JobResult(job, proc.returncode, stdout, stderr, duration, output, failure)


def run_jobs(
    jobs: Sequence[Job],
    environ: Mapping[str, str],
    *,
    max_workers: int | None = None,
    cores: int | None = None,
    on_done: Callable[[JobResult], None] | None = None,
    replay: Callable[[Job], JobResult | None] | None = None,
) -> list[JobResult]:
    """Run every job concurrently (threads waiting on processes); results in the order of ``jobs``.

    With ``cores``, jobs start in the order of ``jobs`` as their ``Job.cores`` come free (at most ``cores``
    in use at once); without it, at most ``max_workers`` run at once. Jobs sharing an ``exclusive`` key run
    one after another (each one's duration is its own run). ``replay`` may answer a job without running it
    (the result cache): a result it returns costs no core.

    Each process gets ``environ`` (the run's environment, :attr:`Settings.environ
    <stackcheck.settings.Settings.environ>`) plus its job's ``env``, and nothing else.
    """
    if not jobs:
        return []
    locks = {job.exclusive: threading.Lock() for job in jobs if job.exclusive is not None}
    running = _Running()
    budget = _Cores(cores, len(jobs)) if cores else None

    def exclusively(job: Job) -> JobResult:
        if job.exclusive is None:
            return _run(job, environ, running)
        with locks[job.exclusive]:
            return _run(job, environ, running)

    def run(index: int, job: Job) -> JobResult:
        try:
            known = replay(job) if replay is not None else None
        except Exception:  # the cache only ever saves time: on any trouble (an input gone
            known = None  # while its key was computed, ...) the tool runs; the job never leaves the line
        if budget is None:
            return known or exclusively(job)
        if known is not None:
            budget.leave(index)
            return known
        # Cores first, then the exclusive lock: every job is in line from the start, so one waiting for
        # the lock before its place would hold up the holder's place (a deadlock); this way the lock's
        # holder already has its cores and ends.
        taken = budget.acquire(index, job.cores, running.cancelled, job.elastic)
        try:
            return exclusively(job)
        finally:
            budget.release(taken)

    threads = len(jobs) if budget is not None else (max_workers or len(jobs))
    pool = ThreadPoolExecutor(max_workers=threads, thread_name_prefix="scan")
    try:
        futures = [pool.submit(run, i, job) for i, job in enumerate(jobs)]
        # on_done hears of each job as soon as it ends (a progress line), not in the order of ``jobs``.
        for future in as_completed(futures):
            if on_done is not None:
                on_done(future.result())
        results = [future.result() for future in futures]
    except BaseException:  # interrupted (a signal, stackcheck.interrupt): no scanner may outlive the run
        running.stop_all()
        pool.shutdown(wait=True, cancel_futures=True)
        raise
    pool.shutdown(wait=True)
    return results
