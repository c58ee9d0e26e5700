"""stop_process: SIGTERM, a grace period, then SIGKILL — also for processes that ignore SIGTERM."""

from __future__ import annotations

import subprocess
import sys

from stackcheck.infra.processes import stop_process

STUBBORN = (
    "import signal, time; signal.signal(signal.SIGTERM, signal.SIG_IGN); "
    "print('up', flush=True); time.sleep(60)"
)


def test_a_process_ignoring_sigterm_is_killed_after_the_grace_period() -> None:
    proc = subprocess.Popen([sys.executable, "-c", STUBBORN], stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None and proc.stdout.readline() == "up\n"
    stop_process(proc, grace_s=0.5)
    assert proc.returncode == -9
    proc.stdout.close()


def test_a_process_group_is_stopped_and_an_ended_process_is_left_alone() -> None:
    proc = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"], start_new_session=True)
    stop_process(proc, group=True)
    assert proc.returncode == -15
    stop_process(proc, group=True)  # already reaped: nothing to do, no error
    stop_process(None)
