"""Ending the processes stackcheck (and its fixtures) start: one way, so none is ever left behind."""

from __future__ import annotations

import os
import signal
import subprocess
from contextlib import suppress
from typing import IO

from stackcheck import interrupt

__all__ = ["output_tail", "stop_process"]


def output_tail(log: IO[bytes], limit: int = 400) -> str:
    """The last ``limit`` characters of what a process stackcheck started printed into ``log`` (its
    stdout/stderr file), reading at most four bytes per character from the end: a chatty process's
    output is never read whole."""
    if log.closed:
        return "(no output)"
    size = os.fstat(log.fileno()).st_size
    log.seek(max(size - limit * 4, 0))
    text = log.read(limit * 4).decode(errors="replace").strip()
    return text[-limit:] if text else "(no output)"


def stop_process(
    proc: subprocess.Popen[bytes] | subprocess.Popen[str] | None,
    *,
    grace_s: float = 5.0,
    sig: int = signal.SIGTERM,
    group: bool = False,
) -> None:
    """Send ``sig`` (SIGTERM), wait ``grace_s``, then SIGKILL; always reap. ``group``: the whole process
    group (for processes started with ``start_new_session=True``). Does nothing if it already ended.
    Either way the process leaves the run's registry (:func:`stackcheck.interrupt.track`)."""
    if proc is None:
        return
    if proc.poll() is not None:
        interrupt.untrack(proc)
        return

    def send(s: int) -> None:
        with suppress(ProcessLookupError):
            if group:
                os.killpg(proc.pid, s)
            else:
                proc.send_signal(s)

    send(sig)
    try:
        proc.wait(timeout=grace_s)
    except subprocess.TimeoutExpired:
        send(signal.SIGKILL)
        proc.wait(timeout=10)
    interrupt.untrack(proc)
