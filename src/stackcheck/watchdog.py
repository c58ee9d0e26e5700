"""A run's watchdog: when the stackcheck process that started it dies, remove whatever it left running.

testcontainers' Ryuk idea, built locally (its image cannot be pulled here) and extended to processes.
:mod:`stackcheck.interrupt` starts it on the first registration as ``python -P watchdog.py PARENT_PID`` with
its stdin a pipe from stackcheck, then writes one line per change::

    +group PID   -group PID     a process group stackcheck started (start_new_session=True) / stopped
    +label K=V   -label K=V     containers labelled K=V / removed by stackcheck itself
    +dir PATH    -dir PATH      a directory to delete / deleted

The pipe closes when stackcheck ends, whichever way (even SIGKILL: the kernel closes its descriptors).
Then what is still registered is removed: each process group gets SIGTERM and, after ``GRACE_S``, SIGKILL;
containers with a label are removed twice, ``SWEEP_AGAIN_S`` apart (a create request in flight when
stackcheck died can complete after the first sweep); directories are deleted. After a normal end nothing is
registered any more and it exits at once. Standard library only, plus the docker SDK when a label is left.
"""

from __future__ import annotations

import os
import shutil
import signal
import sys
import time
from collections.abc import Iterable
from contextlib import suppress
from typing import TypeVar

GRACE_S = 3.0
SWEEP_AGAIN_S = 3.0


T = TypeVar("T")


def _apply(target: set[T], value: T, add: bool) -> None:
    if add:
        target.add(value)
    else:
        target.discard(value)


def read_registrations(lines: Iterable[bytes]) -> tuple[set[int], set[str], set[str]]:
    """Apply the ``+kind value`` / ``-kind value`` lines; what is still registered at the end of the input."""
    groups: set[int] = set()
    labels: set[str] = set()
    dirs: set[str] = set()
    for raw in lines:
        op, _, rest = raw.decode(errors="replace").rstrip("\n").partition(" ")
        add = op[:1] == "+"
        if op[:1] not in ("+", "-") or not rest:
            continue  # malformed (e.g. cut short): ignored rather than acted on
        if op[1:] == "group" and rest.isdigit() and int(rest) > 1:
            _apply(groups, int(rest), add)
        elif op[1:] == "label" and "=" in rest:
            _apply(labels, rest, add)
        elif op[1:] == "dir" and rest.startswith("/") and rest != "/":
            _apply(dirs, rest, add)
    return groups, labels, dirs


def _alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def stop_groups(groups: set[int]) -> None:
    """SIGTERM every group, SIGKILL what is left after ``GRACE_S``."""
    for pgid in groups:
        with suppress(OSError):
            os.killpg(pgid, signal.SIGCONT)  # a paused (SIGSTOP) server would not act on SIGTERM
            os.killpg(pgid, signal.SIGTERM)
    deadline = time.monotonic() + GRACE_S
    while time.monotonic() < deadline and any(_alive(g) for g in groups):
        time.sleep(0.1)
    for pgid in groups:
        with suppress(OSError):
            os.killpg(pgid, signal.SIGKILL)


def remove_containers(labels: set[str]) -> None:
    """Remove (forced, with volumes) every container carrying one of ``labels``."""
    try:
        import docker
    except ImportError:
        return
    try:
        client = docker.from_env(timeout=60)
    except Exception:
        return
    try:
        for label in labels:
            try:
                found = client.containers.list(all=True, sparse=True, filters={"label": label})
            except Exception:
                continue
            for container in found:
                with suppress(Exception):
                    container.remove(force=True, v=True)
    finally:
        client.close()


def main() -> int:
    """Wait for the pipe to close, then clean up what is still registered."""
    for sig in (signal.SIGINT, signal.SIGHUP):
        signal.signal(sig, signal.SIG_IGN)  # a terminal's signals are for stackcheck, not for us
    groups, labels, dirs = read_registrations(sys.stdin.buffer)
    if groups:
        stop_groups(groups)
    if labels:
        remove_containers(labels)
    for path in dirs:
        shutil.rmtree(path, ignore_errors=True)
    if labels:
        time.sleep(SWEEP_AGAIN_S)
        remove_containers(labels)
    return 0


if __name__ == "__main__":
    sys.exit(main())
