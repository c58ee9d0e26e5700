"""Throwaway PostgreSQL clusters for the restore drill: a primary stackcheck may destroy, and its restore.

Everything lives in one run-owned directory (:class:`DrillDir`): the primary's data, the WAL archive, the
base backup (or the pgBackRest repository, :mod:`stackcheck.infra.pgbackrest`) and the restored cluster.
Where the servers and tools run is the :class:`~stackcheck.infra.pitr_exec.Executor` the directory is made
with: local ``initdb``/``postgres`` processes (Debian's ``postgresql-NN`` binaries, ``--infra local``, the
default) or containers of the run's Postgres image with the directory bind-mounted at the same path
(``--infra docker``). Either way a cluster is reached over a Unix socket in its own folder (trust for the
local socket only: nothing else can log in), its server is registered with :mod:`stackcheck.interrupt`
(process group, or container label), so a signal or a crash of stackcheck still stops it and deletes the
directory. Nothing here ever touches a server stackcheck did not start: :meth:`DrillCluster.destroy` acts on
the process (or container) and the folder this module created.
"""

from __future__ import annotations

import contextlib
import os
import shlex
import shutil
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import psycopg

from stackcheck import interrupt
from stackcheck._exceptions import CouldNotCheck, ErrorReason
from stackcheck.infra.base import free_port
from stackcheck.infra.images import postgres_settings_args
from stackcheck.infra.local import ProcessControl
from stackcheck.infra.pitr_exec import Executor, LocalExecutor, drill_bindir, local_executor, run_as
from stackcheck.probes.postgres import connect_or_none
from stackcheck.wait import wait_until

__all__ = ["DrillCluster", "DrillDir", "archive_settings", "drill_bindir", "local_executor", "run_as"]

DRILL_USER = "stackcheck"


class DrillDir:
    """The drill's own directory (owned by the server user), deleted by :meth:`close` or the watchdog.

    ``executor`` (default: the local binaries) runs its servers and tools; the directory closes it."""

    def __init__(self, executor: Executor | None = None) -> None:
        self.executor = executor if executor is not None else local_executor()
        self.user = self.executor.user if isinstance(self.executor, LocalExecutor) else None
        self.root = Path(tempfile.mkdtemp(prefix="stackcheck-drill-"))
        interrupt.watch_dir(self.root)
        try:
            self.executor.open(self.root)
            self.chown(self.root)
            self.archive = self.folder("archive")
        except BaseException:
            self.close()
            raise

    def chown(self, path: Path) -> None:
        """Give ``path`` to the server user (when stackcheck runs as root)."""
        if self.executor.owner is not None:
            os.chown(path, *self.executor.owner)

    def folder(self, name: str) -> Path:
        """A new sub-folder the server user owns."""
        path = self.root / name
        path.mkdir(mode=0o700)
        self.chown(path)
        return path

    def cluster(self, name: str) -> DrillCluster:
        """A cluster (not yet created) in a new sub-folder ``name``, run by this directory's executor."""
        return DrillCluster(self.executor.bindir, self.folder(name), self.user, executor=self.executor)

    def close(self) -> None:
        """Remove the executor's containers, then delete everything the drill wrote. Idempotent."""
        try:
            self.executor.close()
        finally:
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
    executor: Executor = field(default=None)  # type: ignore[assignment]  # None: local (bindir, user)

    def __post_init__(self) -> None:
        if self.executor is None:
            self.executor = LocalExecutor(self.bindir, self.user)

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
        self.executor.run(
            [
                self.executor.tool("initdb"), "-D", str(self.data), "-U", DRILL_USER, "-E", "UTF8",
                "--locale=C.UTF-8", "--auth-local=trust", "--auth-host=reject", "--no-sync",
                f"--wal-segsize={wal_segsize_mb}",
            ],
            "initdb",
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
            self.executor.tool("postgres"),
            "-D", str(self.data),
            "-c", f"port={self.port}",
            "-c", "listen_addresses=",  # the socket only
            "-c", f"unix_socket_directories={self.home}",
            *postgres_settings_args(settings),
        ]  # fmt: skip
        # Stopped with SIGINT (fast shutdown); the drill's disaster is destroy().
        self.control = self.executor.server(self.home, argv)

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
        """The disaster: SIGKILL to the server (its whole process group, or its container), then its data
        directory removed."""
        control = self.control
        if control is not None and control.proc is not None:
            self.executor.kill(self.home, control)
            control.stop()  # closes the log
        shutil.rmtree(self.data, ignore_errors=True)

    def close(self) -> None:
        """Stop the server if it still runs (its folder goes with the drill's directory)."""
        if self.control is not None:
            with contextlib.suppress(OSError, subprocess.SubprocessError):
                self.control.stop()
            self.executor.forget(self.home)
