"""Throwaway PostgreSQL clusters for the restore drill: a primary stackcheck may destroy, and its restore.

Everything lives in one run-owned directory (:class:`DrillDir`): the primary's data, the WAL archive, the
base backup (or the pgBackRest repository, :mod:`stackcheck.infra.pgbackrest`) and the restored cluster.
The clusters are local ``initdb``/``postgres`` processes (Debian's ``postgresql-NN`` binaries), reached
over a Unix socket in their own folder (trust for the local socket only: nothing else can log in), started
in a session of their own and registered with :mod:`stackcheck.interrupt`, so a signal or a crash of
stackcheck still stops them and deletes the directory. Nothing here ever touches a server stackcheck did
not start: :meth:`DrillCluster.destroy` acts on the process and the folder this module created.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shlex
import shutil
import signal
import subprocess
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import psycopg

from stackcheck import interrupt
from stackcheck._exceptions import CouldNotCheck, ErrorReason
from stackcheck.infra.base import free_port
from stackcheck.infra.images import postgres_settings_args
from stackcheck.infra.local import ProcessControl, find_postgres_bindir
from stackcheck.probes.postgres import connect_or_none
from stackcheck.wait import wait_until

__all__ = ["DrillCluster", "DrillDir", "archive_settings", "drill_bindir", "run_as"]

TOOL_TIMEOUT_S = 300.0
DRILL_USER = "stackcheck"


def drill_bindir() -> Path:
    """The local PostgreSQL binaries the drill runs, or :class:`CouldNotCheck` naming the package."""
    bindir = find_postgres_bindir()
    if bindir is None or not (bindir / "pg_basebackup").is_file():
        raise CouldNotCheck(
            "the restore drill runs local PostgreSQL binaries (initdb, postgres, pg_basebackup) and found "
            "none: apt-get install postgresql (any --infra; the drill's servers are its own)",
            ErrorReason.TOOL_MISSING,
        )
    return bindir


def _server_user() -> str | None:
    # PostgreSQL refuses to run as root: as root, the clusters (and the tools writing their files) run as
    # the `postgres` system user Debian's packages create.
    return "postgres" if os.geteuid() == 0 else None


def run_as(argv: Sequence[str], what: str, *, user: str | None, timeout_s: float = TOOL_TIMEOUT_S) -> str:
    """Run a tool to completion as ``user``; its stdout, or :class:`CouldNotCheck` with its last lines."""
    try:
        done = subprocess.run(
            list(argv), capture_output=True, text=True, user=user, timeout=timeout_s, check=False
        )
    except subprocess.TimeoutExpired:
        raise CouldNotCheck(f"{what} did not finish within {timeout_s:g} s", ErrorReason.TIMEOUT) from None
    except OSError as exc:
        raise CouldNotCheck(f"{what} could not run: {exc}", ErrorReason.TOOL_MISSING) from None
    if done.returncode != 0:
        tail = " | ".join((done.stderr or done.stdout).strip().splitlines()[-3:])[:400]
        raise CouldNotCheck(f"{what} failed (exit {done.returncode}): {tail}", ErrorReason.TOOL_FAILED)
    return done.stdout


class DrillDir:
    """The drill's own directory (owned by the server user), deleted by :meth:`close` or the watchdog."""

    def __init__(self) -> None:
        self.user = _server_user()
        self.root = Path(tempfile.mkdtemp(prefix="stackcheck-drill-"))
        interrupt.watch_dir(self.root)
        self.chown(self.root)
        self.archive = self.folder("archive")

    def chown(self, path: Path) -> None:
        """Give ``path`` to the server user (when stackcheck runs as root)."""
        if self.user is not None:
            entry = pwd.getpwnam(self.user)
            os.chown(path, entry.pw_uid, entry.pw_gid)

    def folder(self, name: str) -> Path:
        """A new sub-folder the server user owns."""
        path = self.root / name
        path.mkdir(mode=0o700)
        self.chown(path)
        return path

    def close(self) -> None:
        """Delete everything the drill wrote. Idempotent."""
        shutil.rmtree(self.root, ignore_errors=True)
        interrupt.unwatch_dir(self.root)


def archive_settings(archive: Path) -> dict[str, str]:
    """``archive_command`` copying each finished WAL segment into ``archive``: first to a temporary name,
    then renamed, so a primary killed mid-copy leaves no truncated segment for the restore to read."""
    into = shlex.quote(str(archive))
    return {
        "archive_mode": "on",
        "archive_command": f"test ! -f {into}/%f && cp %p {into}/%f.part && mv {into}/%f.part {into}/%f",
    }


@dataclass
class DrillCluster:
    """One cluster of the drill: ``data`` under its own folder, a socket there, a free port."""

    bindir: Path
    home: Path
    user: str | None
    port: int = 0
    control: ProcessControl | None = None

    @property
    def data(self) -> Path:
        """The data directory."""
        return self.home / "data"

    @property
    def dsn(self) -> str:
        """libpq key/value DSN over the cluster's Unix socket."""
        return f"host={self.home} port={self.port} user={DRILL_USER} dbname=postgres connect_timeout=5"

    def initdb(self, wal_segsize_mb: int = 1) -> None:
        """Create the cluster. Small WAL segments (1 MB): a short drill's WAL reaches the archive in whole
        segments without writing 16 MB per switch."""
        run_as(
            [
                str(self.bindir / "initdb"), "-D", str(self.data), "-U", DRILL_USER, "-E", "UTF8",
                "--locale=C.UTF-8", "--auth-local=trust", "--auth-host=reject", "--no-sync",
                f"--wal-segsize={wal_segsize_mb}",
            ],
            "initdb",
            user=self.user,
        )  # fmt: skip

    def start(self, settings: dict[str, str], timeout_s: float) -> None:
        """Start the server with ``settings`` (as ``-c``); return once it accepts connections."""
        self.launch(settings)
        if not self.wait_ready("SELECT 1", timeout_s):
            raise CouldNotCheck(
                f"the drill's server ({self.data}) did not accept connections within {timeout_s:g} s: "
                f"{self.control.log_tail() if self.control else ''}",
                ErrorReason.START_FAILED,
            )

    def launch(self, settings: dict[str, str]) -> None:
        """Start the server process with ``settings`` (as ``-c``) without waiting for it."""
        self.port = free_port()
        argv = [
            str(self.bindir / "postgres"),
            "-D", str(self.data),
            "-c", f"port={self.port}",
            "-c", "listen_addresses=",  # the socket only
            "-c", f"unix_socket_directories={self.home}",
            *postgres_settings_args(settings),
        ]  # fmt: skip
        # ProcessControl's stop signal is SIGINT (fast shutdown); the drill's disaster is destroy().
        self.control = ProcessControl(argv, self.home, self.user, signal.SIGINT)
        self.control.launch()

    def wait_ready(self, query: str, timeout_s: float, *, primary: bool = False) -> bool:
        """Whether the server answers ``query`` (and, with ``primary``, has left recovery) within
        ``timeout_s``; ends early when the process exits."""

        def answers() -> bool:
            if self.control is None or self.control.exited():
                raise CouldNotCheck(
                    f"the drill's server exited: {self.control.log_tail() if self.control else ''}",
                    ErrorReason.START_FAILED,
                )
            conn = connect_or_none(self.dsn).conn
            if conn is None:
                return False
            with conn:
                try:
                    if primary and conn.execute("SELECT pg_is_in_recovery()").fetchone() != (False,):
                        return False
                    conn.execute(query)
                except psycopg.Error:  # not answering yet (starting up, still recovering): poll again
                    return False
            return True

        return bool(wait_until(answers, timeout_s, 0.05))

    def destroy(self) -> None:
        """The disaster: SIGKILL to the server's whole process group, then its data directory removed."""
        control = self.control
        if control is not None and control.proc is not None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(control.proc.pid, signal.SIGKILL)
            control.proc.wait(timeout=30)
            interrupt.untrack(control.proc)
            control.stop()  # closes the log
        shutil.rmtree(self.data, ignore_errors=True)

    def close(self) -> None:
        """Stop the server if it still runs (its folder goes with the drill's directory)."""
        if self.control is not None:
            with contextlib.suppress(OSError, subprocess.SubprocessError):
                self.control.stop()
