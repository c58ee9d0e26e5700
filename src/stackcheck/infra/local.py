"""``--infra local``: real ``initdb``/``postgres`` and ``redis-server`` binaries, for machines without Docker.

Each server gets a temporary directory and a free port on 127.0.0.1; :meth:`LocalProvider.close` stops the
processes and deletes the directories. PostgreSQL refuses to run as root, so when stackcheck runs as root
the server runs as the ``postgres`` system user (Debian's packages create it).
"""

from __future__ import annotations

import contextlib
import os
import pwd
import re
import secrets
import shutil
import signal
import subprocess
import tempfile
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import IO

from stackcheck import interrupt
from stackcheck._exceptions import CouldNotCheck, ErrorReason
from stackcheck.infra.base import PostgresServer, RedisServer, free_port
from stackcheck.infra.images import postgres_settings_args, redis_args
from stackcheck.infra.probe import postgres_version, redis_version
from stackcheck.infra.processes import stop_process
from stackcheck.wait import wait_until

__all__ = ["LocalProvider", "find_postgres_bindir", "find_redis_server", "local_problem"]

START_TIMEOUT_S = 60.0
_PG_SEARCH = (
    "/usr/lib/postgresql/*/bin",
    "/usr/local/pgsql/bin",
    "/usr/pgsql-*/bin",
    "/opt/homebrew/opt/postgresql*/bin",
)
# Preloaded when the server has them, as the stacks we verify often need (server_config may override).
_PRELOAD_WANTED = ("timescaledb", "pg_stat_statements")


def _version_key(path: Path) -> tuple[int, ...]:
    return tuple(int(n) for n in re.findall(r"\d+", str(path))) or (0,)


def find_postgres_bindir() -> Path | None:
    """The folder holding ``initdb`` and ``postgres``: from ``PATH``, else the newest packaged version."""
    initdb = shutil.which("initdb")
    if initdb and (Path(initdb).parent / "postgres").is_file():
        return Path(initdb).resolve().parent
    candidates = [p for pattern in _PG_SEARCH for p in Path("/").glob(pattern.lstrip("/"))]
    candidates = [p for p in candidates if (p / "initdb").is_file() and (p / "postgres").is_file()]
    return max(candidates, key=_version_key) if candidates else None


def find_redis_server() -> Path | None:
    """``redis-server`` from ``PATH``."""
    found = shutil.which("redis-server")
    return Path(found) if found else None


def local_problem(services: Sequence[str]) -> str | None:
    """Why local binaries cannot provide ``services``, or ``None``."""
    missing = []
    if "postgres" in services and find_postgres_bindir() is None:
        missing.append("initdb/postgres (apt-get install postgresql)")
    if "redis" in services and find_redis_server() is None:
        missing.append("redis-server (apt-get install redis-server)")
    return f"no local {' or '.join(missing)} found" if missing else None


class ProcessControl:
    """Stop/start/pause one server process; ``close`` also deletes its directory."""

    def __init__(self, argv: list[str], workdir: Path, user: str | None, stop_signal: signal.Signals) -> None:
        self.argv = argv
        self.workdir = workdir
        self.user = user
        self.stop_signal = stop_signal
        self.ready: Callable[[], object] = lambda: None
        self.proc: subprocess.Popen[bytes] | None = None
        self.log_path = workdir / "server.log"
        self._log: IO[bytes] | None = None

    def launch(self) -> None:
        """Start the process (output to a log file: a chatty server never blocks on a pipe)."""
        self._log = open(self.log_path, "ab")  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen(
            self.argv,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            user=self.user,
            cwd=self.workdir,
            start_new_session=True,  # Ctrl-C goes to us, not to the server
        )
        interrupt.track(self.proc)

    def exited(self) -> bool:
        """Whether the process has ended."""
        return self.proc is None or self.proc.poll() is not None

    def log_tail(self, lines: int = 3) -> str:
        """The end of the server's output, for error messages."""
        try:
            text = self.log_path.read_text(errors="replace").strip().splitlines()
        except OSError:
            return "no output"
        return " | ".join(text[-lines:]) or "no output"

    def stop(self) -> None:
        """Fast shutdown; wait for the process to end (kill it after 30 s)."""
        if self.proc is not None and self.proc.poll() is None:
            self.resume()  # a paused (SIGSTOP) server would not act on the stop signal
            stop_process(self.proc, grace_s=30, sig=self.stop_signal)
        if self._log is not None:
            self._log.close()
            self._log = None

    def kill(self) -> None:
        """SIGKILL the process group (a crash: no shutdown); the directory and its data stay."""
        if self.proc is not None and self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=10)
        if self.proc is not None:
            interrupt.untrack(self.proc)
        if self._log is not None:
            self._log.close()
            self._log = None

    def start(self) -> None:
        """Start again on the same port with the same data, and wait for readiness."""
        self.launch()
        self.ready()

    def pause(self) -> None:
        """SIGSTOP the server: connections hang."""
        if self.proc is not None:
            os.killpg(self.proc.pid, signal.SIGSTOP)

    def resume(self) -> None:
        """SIGCONT the server."""
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGCONT)

    def close(self) -> None:
        """Stop the server and delete its directory. Idempotent."""
        try:
            self.stop()
        finally:
            shutil.rmtree(self.workdir, ignore_errors=True)
            interrupt.unwatch_dir(self.workdir)


class LocalProvider:
    """Starts servers from local binaries and removes all of them in :meth:`close`."""

    kind = "local"

    def __init__(self, cancel: threading.Event | None = None) -> None:
        self.cancel = cancel or threading.Event()
        self._controls: list[ProcessControl] = []
        self._lock = threading.Lock()

    def _workdir(self, prefix: str, owner: str | None) -> Path:
        path = Path(tempfile.mkdtemp(prefix=f"stackcheck-{prefix}-"))
        if owner is not None:
            entry = pwd.getpwnam(owner)
            os.chown(path, entry.pw_uid, entry.pw_gid)
        interrupt.watch_dir(path)
        return path

    def _register(self, control: ProcessControl) -> None:
        with self._lock:
            self._controls.append(control)
        if self.cancel.is_set():
            raise CouldNotCheck("interrupted before the server started", ErrorReason.START_FAILED)

    def _wait(self, control: ProcessControl, what: str, probe: Callable[[], str | None]) -> str:
        def ready() -> str | None:
            if self.cancel.is_set():
                raise CouldNotCheck(f"interrupted while waiting for {what}", ErrorReason.START_FAILED)
            if control.exited():
                raise CouldNotCheck(
                    f"{what} exited during start-up: {control.log_tail()}", ErrorReason.START_FAILED
                )
            return probe()

        version = wait_until(ready, START_TIMEOUT_S, 0.05, what=what)
        if not version:
            raise CouldNotCheck(
                f"{what} did not accept connections within {START_TIMEOUT_S:g} s", ErrorReason.START_FAILED
            )
        return version

    def start_postgres(self, config: dict[str, str]) -> PostgresServer:
        """initdb into a temporary directory, then start postgres on a free loopback port."""
        bindir = find_postgres_bindir()
        if bindir is None:
            raise CouldNotCheck(
                "no local initdb/postgres binaries (apt-get install postgresql)", ErrorReason.TOOL_MISSING
            )
        user = "postgres" if os.geteuid() == 0 else None  # PostgreSQL refuses to run as root
        workdir = self._workdir("postgres", user)
        port, password = free_port(), secrets.token_hex(12)
        control = ProcessControl([], workdir, user, signal.SIGINT)  # SIGINT: fast shutdown
        self._register(control)
        pwfile = workdir / "pwfile"
        pwfile.write_text(password + "\n")
        if user is not None:
            entry = pwd.getpwnam(user)
            os.chown(pwfile, entry.pw_uid, entry.pw_gid)
        data = workdir / "data"
        initdb = [
            str(bindir / "initdb"),
            "-D",
            str(data),
            "-U",
            "stackcheck",
            f"--pwfile={pwfile}",
            "-E",
            "UTF8",
            "--locale=C.UTF-8",
            "--auth-local=trust",
            "--auth-host=scram-sha-256",
            "--no-sync",
        ]
        done = subprocess.run(initdb, capture_output=True, text=True, user=user, cwd=workdir, check=False)
        pwfile.unlink()
        if done.returncode != 0:
            tail = " | ".join(done.stderr.strip().splitlines()[-2:])
            raise CouldNotCheck(f"initdb ({bindir}) failed: {tail}", ErrorReason.START_FAILED)
        preload = [lib for lib in _PRELOAD_WANTED if _has_library(bindir, lib)]
        settings = {"shared_preload_libraries": ",".join(preload), **config}
        control.argv = [
            str(bindir / "postgres"),
            "-D",
            str(data),
            "-c",
            f"port={port}",
            "-c",
            "listen_addresses=127.0.0.1",
            "-c",
            f"unix_socket_directories={workdir}",
            *postgres_settings_args(settings),
        ]
        dsn = f"postgresql://stackcheck:{password}@127.0.0.1:{port}/postgres"
        what = f"local Postgres ({bindir}/postgres, port {port})"
        control.ready = lambda: self._wait(control, what, lambda: postgres_version(dsn))
        control.launch()
        version = self._wait(control, what, lambda: postgres_version(dsn))
        return PostgresServer(version=version, provider="local", where=what, control=control, dsn=dsn)

    def start_redis(self, config: dict[str, str], password: str | None) -> RedisServer:
        """redis-server in a temporary directory on a free loopback port."""
        binary = find_redis_server()
        if binary is None:
            raise CouldNotCheck(
                "no local redis-server binary (apt-get install redis-server)", ErrorReason.TOOL_MISSING
            )
        workdir = self._workdir("redis", None)
        port = free_port()
        argv = [
            str(binary),
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--dir",
            str(workdir),
            *redis_args(config),
        ]
        control = ProcessControl(argv, workdir, None, signal.SIGTERM)
        self._register(control)
        url = f"redis://:{password}@127.0.0.1:{port}/0" if password else f"redis://127.0.0.1:{port}/0"
        what = f"local Redis ({binary}, port {port})"
        control.ready = lambda: self._wait(control, what, lambda: redis_version(url))
        control.launch()
        version = self._wait(control, what, lambda: redis_version(url))
        return RedisServer(version=version, provider="local", where=what, control=control, url=url)

    def close(self) -> None:
        """Stop every server this provider started and delete their directories."""
        with self._lock:
            controls, self._controls = self._controls, []
        for control in controls:
            with contextlib.suppress(OSError, subprocess.SubprocessError):
                control.close()


def _has_library(bindir: Path, name: str) -> bool:
    done = subprocess.run(
        [str(bindir / "pg_config"), "--pkglibdir"], capture_output=True, text=True, check=False
    )
    libdir = done.stdout.strip() if done.returncode == 0 else str(bindir.parent / "lib")
    return (Path(libdir) / f"{name}.so").is_file()
