"""Capturing a service's log stream for the run, bounded in bytes and time.

Three sources, one shape (:class:`LogSource`): :class:`FileLog` (what is appended to a file after
``open()``), :class:`ServiceOutput` (what the service stackcheck launched printed since it started) and
:class:`CommandLog` (what a program, e.g. ``docker logs -f NAME`` or a platform's log CLI, prints while it
runs; started without a shell in its own process group and stopped by :meth:`close`). The ``logs`` suite
and ``secrets.logs`` both read through them.

Reading never moves a file position the service writes through (``pread``) and never reads more than the
limit it is given: the service chooses how much it logs, not how much stackcheck holds.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Protocol

from stackcheck import interrupt
from stackcheck._exceptions import CouldNotCheck, ErrorReason, UsageError
from stackcheck.infra.processes import stop_process
from stackcheck.wait import wait_until

__all__ = ["Captured", "CommandLog", "FileLog", "LogSource", "ServiceOutput", "settle"]

QUIET_S = 0.3  # a stream that grew and then stayed still this long has written our requests' lines


@dataclass(frozen=True)
class Captured:
    """What a source gave: at most the limit's bytes, and how many more there were."""

    data: bytes
    dropped: int
    source: str


class LogSource(Protocol):
    """A log stream: ``open()`` marks the start, ``size()``/``read()`` see what came after, ``close()``."""

    display: str

    def open(self) -> None:
        """Mark the start of the run's window (a command is started here)."""

    def size(self) -> int:
        """Bytes written since the start."""

    def read(self, limit: int) -> Captured:
        """At most ``limit`` bytes written since the start."""

    def close(self) -> None:
        """End the capture (a command is stopped here)."""


class FileLog:
    """The bytes appended to ``path`` after :meth:`open` (from the start again if the file was truncated
    or rotated meanwhile)."""

    def __init__(self, path: Path, key: str = "logs.file") -> None:
        self.path = path
        self.display = path.name
        self.key = key
        self.offset = 0
        self.inode = 0

    def open(self) -> None:
        """Remember the file's size; a missing file is :class:`CouldNotCheck` (misconfigured)."""
        if not self.path.is_file():
            raise CouldNotCheck(
                f"{self.key}: {self.path} does not exist (is the service logging there?)",
                ErrorReason.MISCONFIGURED,
            )
        stat = self.path.stat()
        self.offset, self.inode = stat.st_size, stat.st_ino

    def _current(self) -> int:
        try:
            stat = self.path.stat()
        except OSError:
            return 0
        if stat.st_ino != self.inode or stat.st_size < self.offset:
            # rotated (a new file under the name) or truncated: all of it was written during the run
            self.offset, self.inode = 0, stat.st_ino
        return stat.st_size

    def size(self) -> int:
        """Bytes appended since :meth:`open`."""
        return self._current() - self.offset

    def read(self, limit: int) -> Captured:
        """At most ``limit`` of the appended bytes."""
        total = self.size()
        try:
            with self.path.open("rb") as fh:
                data = os.pread(fh.fileno(), min(total, limit), self.offset) if total > 0 else b""
        except OSError:
            data = b""
        return Captured(data, max(total - len(data), 0), self.display)

    def close(self) -> None:
        """Nothing to release."""


class _Printed(Protocol):
    def output_size(self) -> int: ...
    def read_output(self, offset: int, limit: int) -> bytes: ...


class ServiceOutput:
    """The stdout/stderr of the service stackcheck launched, from its first byte: the run's whole stream."""

    def __init__(self, service: _Printed) -> None:
        self.service = service
        self.display = "the launched service's stdout/stderr"

    def open(self) -> None:
        """The window is the service's whole life: nothing to mark."""

    def size(self) -> int:
        """Bytes printed since the service started."""
        return self.service.output_size()

    def read(self, limit: int) -> Captured:
        """At most ``limit`` bytes of what it printed."""
        total = self.size()
        data = self.service.read_output(0, min(total, limit))
        return Captured(data, max(total - len(data), 0), self.display)

    def close(self) -> None:
        """The service is stopped with the session, not here."""


class CommandLog:
    """What ``argv`` prints (stdout and stderr) between :meth:`open` and :meth:`close`."""

    def __init__(self, argv: list[str], cwd: Path, environ: Mapping[str, str]) -> None:
        self.argv = argv
        self.cwd = cwd
        self.env = dict(environ)
        self.display = f"the output of logs.command ({Path(argv[0]).name})"
        self._out: IO[bytes] = tempfile.TemporaryFile()  # noqa: SIM115 - closed in close()
        self._proc: subprocess.Popen[bytes] | None = None

    def open(self) -> None:
        """Start the command; one that cannot be started is a usage error (exit 2)."""
        try:
            self._proc = subprocess.Popen(
                self.argv,
                cwd=self.cwd,
                env=self.env,
                stdin=subprocess.DEVNULL,
                stdout=self._out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        except OSError as exc:
            self._out.close()
            raise UsageError(
                f"logs.command {self.argv[0]!r} cannot be started: {exc.strerror or exc}",
                "install the program or fix logs.command (no shell: give the program and its arguments)",
            ) from None
        interrupt.track(self._proc)

    def exit_code(self) -> int | None:
        """The command's exit status, ``None`` while it runs."""
        return self._proc.poll() if self._proc is not None else None

    def size(self) -> int:
        """Bytes printed so far."""
        return os.fstat(self._out.fileno()).st_size if not self._out.closed else 0

    def read(self, limit: int) -> Captured:
        """At most ``limit`` bytes of what it printed."""
        total = self.size()
        data = os.pread(self._out.fileno(), min(total, limit), 0) if total > 0 else b""
        return Captured(data, max(total - len(data), 0), self.display)

    def close(self) -> None:
        """Stop the command's process group (SIGTERM, SIGKILL after 2 s) and drop its output."""
        stop_process(self._proc, grace_s=2.0, group=True)
        self._out.close()


def settle(source: LogSource, timeout_s: float, *, baseline: int = 0, limit: int | None = None) -> bool:
    """Wait (at most ``timeout_s``) until the stream grew past ``baseline`` and then stayed quiet for
    :data:`QUIET_S`, or reached ``limit`` bytes; whether it grew at all."""
    last: dict[str, float] = {"size": -1, "since": time.monotonic()}

    def quiet() -> bool:
        size = source.size()
        now = time.monotonic()
        if size != last["size"]:
            last["size"], last["since"] = size, now
        if limit is not None and size >= limit:
            return True
        return size > baseline and now - last["since"] >= QUIET_S

    wait_until(quiet, timeout_s, 0.05)
    return source.size() > baseline
