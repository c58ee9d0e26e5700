"""Run scanner processes concurrently, each bounded in time, and keep what they wrote.

Scanners are separate programs (checkov, trivy, bandit, detect-secrets) that spend most of their time
starting up or reading files, so they run side by side: the stage takes about as long as its slowest
scanner. A process that cannot start, exits with an unexpected code or overruns its timeout is a
:class:`JobResult` with ``failure`` set — the caller turns it into ``error``, never ``passed``.
"""

from __future__ import annotations

import subprocess
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["Job", "JobResult", "run_jobs", "stderr_tail"]


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


def stderr_tail(text: str, lines: int = 8, limit: int = 800) -> str:
    """The last non-empty lines of a tool's stderr: usually the reason it failed."""
    kept = [ln.rstrip() for ln in text.splitlines() if ln.strip()][-lines:]
    tail = " | ".join(kept)
    return tail[-limit:]


def _run(job: Job, environ: Mapping[str, str]) -> JobResult:
    start = time.monotonic()
    env = {**environ, **job.env}
    try:
        proc = subprocess.run(
            list(job.argv),
            cwd=job.cwd,
            env=env,
            capture_output=True,
            text=True,
            errors="replace",
            timeout=job.timeout_s,
            check=False,
            stdin=subprocess.DEVNULL,
        )
    except FileNotFoundError as exc:
        return JobResult(job, None, "", "", time.monotonic() - start, None, f"cannot start {job.tool}: {exc}")
    except subprocess.TimeoutExpired as exc:
        err = exc.stderr.decode(errors="replace") if isinstance(exc.stderr, bytes) else (exc.stderr or "")
        timeout = f"{job.tool} did not finish within {job.timeout_s:g} s"
        if err.strip():
            timeout += f": {stderr_tail(err)}"
        return JobResult(job, None, "", err, time.monotonic() - start, None, timeout)
    duration = time.monotonic() - start
    output: str | None = None
    if job.output is not None and job.output.is_file():
        output = job.output.read_text(encoding="utf-8", errors="replace")
    failure: str | None = None
    if proc.returncode not in job.ok_codes:
        tail = stderr_tail(proc.stderr) or stderr_tail(proc.stdout) or "no output"
        failure = f"{job.tool} exited with code {proc.returncode}: {tail}"
    elif job.output is not None and output is None:
        failure = f"{job.tool} wrote no report ({job.output.name}): {stderr_tail(proc.stderr) or 'no output'}"
    return JobResult(job, proc.returncode, proc.stdout, proc.stderr, duration, output, failure)


def run_jobs(
    jobs: Sequence[Job],
    environ: Mapping[str, str],
    *,
    max_workers: int | None = None,
    on_done: Callable[[JobResult], None] | None = None,
) -> list[JobResult]:
    """Run every job concurrently (threads waiting on processes); results in the order of ``jobs``.

    Jobs sharing an ``exclusive`` key run one after another (each one's duration is its own run).

    Each process gets ``environ`` (the run's environment, :attr:`Settings.environ
    <stackcheck.settings.Settings.environ>`) plus its job's ``env``, and nothing else.
    """
    if not jobs:
        return []
    locks = {job.exclusive: threading.Lock() for job in jobs if job.exclusive is not None}

    def run(job: Job) -> JobResult:
        if job.exclusive is None:
            return _run(job, environ)
        with locks[job.exclusive]:
            return _run(job, environ)

    with ThreadPoolExecutor(max_workers=max_workers or len(jobs), thread_name_prefix="scan") as pool:
        futures = [pool.submit(run, job) for job in jobs]
        results = []
        for future in futures:
            result = future.result()
            if on_done is not None:
                on_done(result)
            results.append(result)
    return results
