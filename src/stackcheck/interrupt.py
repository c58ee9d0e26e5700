"""Signals during a run: SIGINT, SIGTERM and SIGHUP end it the same way, and nothing it started outlives it.

``stackcheck verify|scan|load`` run inside :func:`guard`:

* the **first** of SIGINT, SIGTERM or SIGHUP raises :class:`Interrupted` (a ``KeyboardInterrupt``) in the
  main thread, so the cleanup written for Ctrl-C runs for all three: pytest tears the session fixtures down
  (launched service, containers, local servers), the load stage stops its Locust processes, the scan stage
  its scanners; then the stage writes a partial report marked interrupted;
* a **second** signal exits at once with the same code: the hooks of :func:`on_hard_exit` run (they write
  the partial report), every process group in the registry (:func:`track`) gets SIGKILL, ``os._exit``;
* **SIGKILL**, where nothing of stackcheck runs: the run's watchdog (:mod:`stackcheck.watchdog`, started
  with the first registration) sees its pipe from stackcheck close, stops the registered process groups and
  removes the registered containers (by label) and directories — testcontainers' Ryuk, built locally.

Exit codes follow the shell's convention, 128 + the signal's number: 130 SIGINT, 143 SIGTERM, 129 SIGHUP.
A signal that was ignored when stackcheck started (``nohup``, a background job of a non-interactive shell)
stays ignored. This module uses the standard library only.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from types import FrameType
from typing import IO, Any

__all__ = [
    "HANDLED",
    "Interrupted",
    "exit_code_for",
    "guard",
    "on_hard_exit",
    "received",
    "signal_name",
    "track",
    "untrack",
    "unwatch_containers",
    "unwatch_dir",
    "watch_containers",
    "watch_dir",
]

HANDLED: tuple[signal.Signals, ...] = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)

_Handler = Callable[[int, FrameType | None], Any] | int | None


def exit_code_for(signum: int) -> int:
    """The exit code of a run ended by ``signum``: 128 + its number (130 SIGINT, 143 SIGTERM, 129 SIGHUP)."""
    return 128 + int(signum)


def signal_name(signum: int) -> str:
    """``SIGTERM`` for 15."""
    try:
        return signal.Signals(signum).name
    except ValueError:
        return f"signal {signum}"


class Interrupted(KeyboardInterrupt):
    """The run was stopped by ``signum``; a ``KeyboardInterrupt``, so every Ctrl-C cleanup path applies."""

    def __init__(self, signum: int) -> None:
        self.signum = signum
        super().__init__(signal_name(signum))


class _State:
    """The process's one guard: which signal came first, hard-exit hooks, the registry and its watchdog."""

    def __init__(self) -> None:
        self.depth = 0
        self.first: int | None = None
        self.previous: dict[signal.Signals, _Handler] = {}
        self.hooks: list[Callable[[], object]] = []
        self.lock = threading.RLock()  # re-entrant: the second-signal handler runs on the main thread
        self.groups: set[int] = set()
        self.watched: set[str] = set()
        self.watchdog: subprocess.Popen[bytes] | None = None
        self.pipe: IO[bytes] | None = None


_STATE = _State()


def received() -> int | None:
    """The first signal the current guard received, or None."""
    return _STATE.first


def _handle(signum: int, frame: FrameType | None) -> None:
    if _STATE.first is None:
        _STATE.first = signum
        raise Interrupted(signum)
    _hard_exit(signum)


def _hard_exit(signum: int) -> None:
    first = _STATE.first if _STATE.first is not None else signum
    with suppress(Exception):
        print(
            f"stackcheck: {signal_name(signum)} again: stopping at once (exit code {exit_code_for(first)})",
            file=sys.stderr,
            flush=True,
        )
    for hook in reversed(list(_STATE.hooks)):
        with suppress(Exception):
            hook()
    for pgid in list(_STATE.groups):
        with suppress(OSError):
            os.killpg(pgid, signal.SIGKILL)
    with suppress(Exception):
        sys.stdout.flush()
    # The watchdog sees the pipe close and removes the run's containers and directories.
    os._exit(exit_code_for(first))


@contextmanager
def guard(*, ends_process: bool = False) -> Iterator[None]:
    """Handle SIGINT, SIGTERM and SIGHUP as described above for the block. Re-entrant; a no-op off the main
    thread. Leaving the outermost block restores the previous handlers and forgets the signal received.

    ``ends_process`` (the CLI): after a signal, the process only exits once the block is left; a further
    signal is then ignored, not left to the default action, which would kill it mid-exit (Python resets
    its handlers to the default while it shuts down) with another exit code than the report's.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    if _STATE.depth == 0:
        _STATE.first = None
        for sig in HANDLED:
            previous = signal.getsignal(sig)
            if previous is not signal.SIG_IGN:  # ignored on purpose by whoever started us
                _STATE.previous[sig] = previous
                signal.signal(sig, _handle)
    _STATE.depth += 1
    try:
        yield
    finally:
        _STATE.depth -= 1
        if _STATE.depth == 0:
            for sig, previous in _STATE.previous.items():
                if ends_process and _STATE.first is not None:
                    signal.signal(sig, signal.SIG_IGN)
                else:
                    signal.signal(sig, previous if previous is not None else signal.SIG_DFL)
            _STATE.previous.clear()
            _STATE.hooks.clear()
            _STATE.first = None


@contextmanager
def on_hard_exit(hook: Callable[[], object]) -> Iterator[None]:
    """Run ``hook`` (e.g. write the partial report) if a second signal ends the process inside the block."""
    _STATE.hooks.append(hook)
    try:
        yield
    finally:
        with suppress(ValueError):
            _STATE.hooks.remove(hook)


# ---- the registry the second signal and the watchdog act on -------------------------------------------


@contextmanager
def _signals_blocked() -> Iterator[None]:
    """Defer our signals while a line goes to the watchdog: a half-written line would lose a registration."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, HANDLED)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


def _send(line: str) -> None:
    """Tell the watchdog (started on first use) one registration line."""
    with _STATE.lock:
        if _STATE.pipe is None and _STATE.watchdog is None:
            _start_watchdog()  # not while our signals are blocked: a child would inherit the mask
    with _STATE.lock, _signals_blocked():
        pipe = _STATE.pipe
        if pipe is None:
            return
        try:
            pipe.write(line.encode() + b"\n")
            pipe.flush()
        except (OSError, ValueError):  # the watchdog is gone: the in-process paths still clean up
            _STATE.pipe = None


def _start_watchdog() -> None:
    script = Path(__file__).with_name("watchdog.py")
    try:
        proc = subprocess.Popen(
            # -P: the script's folder is not put on sys.path (stdlib modules must not be shadowed).
            [sys.executable, "-P", str(script), str(os.getpid())],
            stdin=subprocess.PIPE,
            stdout=subprocess.DEVNULL,  # never a pipe of ours: readers of our output would wait for it
            stderr=subprocess.DEVNULL,
            start_new_session=True,  # a terminal's Ctrl-C to our group does not reach it
        )
    except OSError:
        return
    _STATE.watchdog, _STATE.pipe = proc, proc.stdin


def track(proc: subprocess.Popen[bytes] | subprocess.Popen[str]) -> None:
    """Register a process started with ``start_new_session=True``: its group is stopped on every path."""
    with _STATE.lock:
        _STATE.groups.add(proc.pid)
        _send(f"+group {proc.pid}")


def untrack(proc: subprocess.Popen[bytes] | subprocess.Popen[str]) -> None:
    """The process has been stopped and reaped: forget its group."""
    with _STATE.lock:
        if proc.pid in _STATE.groups:
            _STATE.groups.discard(proc.pid)
            _send(f"-group {proc.pid}")


def watch_containers(label: str) -> None:
    """Containers labelled ``label`` (``key=value``) are removed by the watchdog if stackcheck dies."""
    _watch(f"label {label}", add=True)


def unwatch_containers(label: str) -> None:
    """stackcheck removed the containers labelled ``label`` itself."""
    _watch(f"label {label}", add=False)


def watch_dir(path: Path) -> None:
    """``path`` is deleted by the watchdog if stackcheck dies."""
    _watch(f"dir {path}", add=True)


def unwatch_dir(path: Path) -> None:
    """stackcheck deleted ``path`` itself."""
    _watch(f"dir {path}", add=False)


def _watch(item: str, *, add: bool) -> None:
    with _STATE.lock:
        if add and item not in _STATE.watched:
            _STATE.watched.add(item)
            _send(f"+{item}")
        elif not add and item in _STATE.watched:
            _STATE.watched.discard(item)
            _send(f"-{item}")
