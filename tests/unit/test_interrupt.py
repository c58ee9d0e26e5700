"""stackcheck.interrupt and the watchdog: signals become one interrupt, nothing registered outlives a run."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from stackcheck import interrupt
from stackcheck.outcomes import Status
from stackcheck.report import Report, mark_interrupted, render_console, render_summary
from stackcheck.wait import wait_until
from stackcheck.watchdog import read_registrations
from tests.unit.test_report import make_report

WATCHDOG = Path(interrupt.__file__).with_name("watchdog.py")


@pytest.mark.parametrize(("sig", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143), (signal.SIGHUP, 129)])
def test_each_signal_becomes_an_interrupt_with_the_shells_exit_code(sig: signal.Signals, code: int) -> None:
    original = signal.getsignal(sig)
    if original is signal.SIG_IGN:  # run under nohup: the guard rightly leaves an ignored signal alone
        signal.signal(sig, signal.SIG_DFL)
    before = signal.getsignal(sig)
    try:
        with pytest.raises(interrupt.Interrupted) as caught, interrupt.guard():
            os.kill(os.getpid(), sig)  # the handler runs before the next line
        assert isinstance(caught.value, KeyboardInterrupt)  # every Ctrl-C cleanup path applies
        assert caught.value.signum == sig and interrupt.exit_code_for(sig) == code
        assert signal.getsignal(sig) == before, "the previous handler is back after the block"
        assert interrupt.received() is None
    finally:
        signal.signal(sig, original)


def test_a_signal_ignored_at_start_stays_ignored() -> None:
    previous = signal.signal(signal.SIGHUP, signal.SIG_IGN)  # nohup
    try:
        with interrupt.guard():
            assert signal.getsignal(signal.SIGHUP) is signal.SIG_IGN
            assert signal.getsignal(signal.SIGTERM) is not signal.SIG_DFL
    finally:
        signal.signal(signal.SIGHUP, previous)


def test_a_nested_guard_keeps_the_outer_one() -> None:
    with interrupt.guard():
        handler = signal.getsignal(signal.SIGTERM)
        with interrupt.guard():
            assert signal.getsignal(signal.SIGTERM) is handler
        assert signal.getsignal(signal.SIGTERM) is handler


SECOND_SIGNAL = """
import os, signal, subprocess, sys, time
from stackcheck import interrupt

with interrupt.guard(ends_process=True), interrupt.on_hard_exit(lambda: print("last words", flush=True)):
    child = subprocess.Popen(["sleep", "600"], start_new_session=True)
    interrupt.track(child)
    try:  # the pid is printed inside the try: the test's first signal can arrive the moment it is read
        print(child.pid, flush=True)
        time.sleep(60)
    except KeyboardInterrupt:
        print("cleaning up", flush=True)
        time.sleep(60)  # a slow cleanup: the second signal must not wait for it
"""


def test_a_second_signal_exits_at_once_and_kills_the_registered_groups() -> None:
    proc = subprocess.Popen(
        [sys.executable, "-c", SECOND_SIGNAL], stdout=subprocess.PIPE, text=True, start_new_session=True
    )
    assert proc.stdout is not None
    child = int(proc.stdout.readline())
    proc.send_signal(signal.SIGTERM)
    assert proc.stdout.readline().strip() == "cleaning up"
    proc.send_signal(signal.SIGINT)
    out, _ = proc.communicate(timeout=30)
    assert proc.returncode == 143, "the exit code of the first signal"
    assert "last words" in out
    assert wait_until(lambda: not _alive(child), 10), "the registered group outlived the hard exit"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    with open(f"/proc/{pid}/stat") as stat:
        return stat.read().split()[2] != "Z"


def _group_members(pgid: int) -> list[int]:
    """Live (not zombie) processes of process group ``pgid``."""
    members = []
    for entry in Path("/proc").iterdir():
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if fields[0] != "Z" and int(fields[2]) == pgid:
            members.append(int(entry.name))
    return members


def test_the_watchdog_reads_what_is_still_registered() -> None:
    lines = [b"+group 123\n", b"+group 456\n", b"-group 123\n", b"+label a.b=c\n", b"+dir /tmp/x\n"]
    lines += [b"+group 1\n", b"+dir /\n", b"garbage\n", b"+grou", b"-dir /tmp/x\n"]
    assert read_registrations(lines) == ({456}, {"a.b=c"}, set())


def test_the_watchdog_stops_groups_and_deletes_dirs_when_its_pipe_closes(tmp_path: Path) -> None:
    deaf = subprocess.Popen(["sh", "-c", "trap '' TERM; sleep 600 & exec sleep 601"], start_new_session=True)
    kept = tmp_path / "left-behind"
    kept.mkdir()
    dog = subprocess.Popen([sys.executable, "-P", str(WATCHDOG), str(os.getpid())], stdin=subprocess.PIPE)
    assert dog.stdin is not None
    dog.stdin.write(f"+group {deaf.pid}\n+dir {kept}\n".encode())
    dog.stdin.close()  # what the kernel does when stackcheck dies, even by SIGKILL
    assert dog.wait(timeout=30) == 0
    assert deaf.wait(timeout=5) == -signal.SIGKILL, "SIGTERM ignored: SIGKILL after the grace period"
    assert not kept.exists()
    assert wait_until(lambda: not _group_members(deaf.pid), 10), "the group's other member too"


def _interrupted(*statuses: Status, signum: int = signal.SIGTERM) -> Report:
    return mark_interrupted(make_report(*statuses), signum)


def test_an_interrupted_report_is_never_compliant_and_carries_the_exit_code() -> None:
    report = _interrupted(Status.PASSED, Status.PASSED)
    assert report.run.interrupted and report.run.signal == "SIGTERM"
    assert report.summary.exit_code == 143 and report.summary.passed == 2
    console = render_console(report)
    assert "COMPLIANT" not in console.replace("NON-COMPLIANT", "")
    assert "INTERRUPTED by SIGTERM" in console and "exit code 143" in console
    assert "**INTERRUPTED by SIGTERM" in render_summary(report)
    assert Report.from_json(report.to_json()) == report


def test_a_report_written_before_this_change_still_reads() -> None:
    data = make_report(Status.PASSED).model_dump(by_alias=True, mode="json")
    for key in ("interrupted", "signal"):
        del data["run"][key]
    assert Report.model_validate(data).run.interrupted is False
