"""Where the restore drill's servers and tools run: local binaries, or containers of the run's image.

An :class:`Executor` runs a tool to completion (``initdb``, ``pg_basebackup``, ``pgbackrest``, ``cp``),
starts a server process (:class:`~stackcheck.infra.local.ProcessControl`, whose log and exit the drill
watches the same way for both) and kills it (the disaster). The drill, its clusters and its mechanisms
(:mod:`stackcheck.infra.pitr`, :mod:`stackcheck.infra.pitr_mechanisms`) only talk to this seam.

* :class:`LocalExecutor` (``--infra local``): Debian's ``postgresql-NN`` binaries on the host, run as the
  ``postgres`` system user when stackcheck is root (PostgreSQL refuses root).
* :class:`DockerExecutor` (``--infra docker``): the drill's directory is bind-mounted at the same path into
  every container (host network), so paths, the Unix sockets in it and the RTO poll from the host are the
  same as locally. Tools run with ``docker exec`` in one tools container per drill, as the image's
  ``postgres`` user (the folders are given to that user's uid/gid); each server is a container of its own,
  run in the foreground of a ``docker run --rm`` client (its output is the server log, its exit the
  server's). The disaster is ``docker kill --signal KILL``. Every container is named
  ``stackcheck-drill-<run>-<what>`` and labelled like :mod:`stackcheck.infra.docker`'s, registered with the
  watchdog (:func:`stackcheck.interrupt.watch_containers`) before it is created, and removed by
  :meth:`DockerExecutor.close` on every path; only containers of this drill's label are ever touched.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import signal
import socket
import subprocess
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from stackcheck import interrupt
from stackcheck._exceptions import CouldNotCheck, ErrorReason
from stackcheck.infra.images import resolve_image
from stackcheck.infra.local import ProcessControl, find_postgres_bindir

if TYPE_CHECKING:
    from stackcheck.settings import Settings

__all__ = [
    "DockerExecutor",
    "Executor",
    "LocalExecutor",
    "drill_bindir",
    "drill_executor",
    "exec_argv",
    "local_executor",
    "run_as",
    "server_argv",
]

TOOL_TIMEOUT_S = 300.0
DOCKER_TIMEOUT_S = 60.0
# The labels of stackcheck.infra.docker (kept in step: reap_orphans and the tests filter on them); spelled
# here so that choosing the local executor never imports the docker SDK.
LABEL_MANAGED = "org.stackcheck.managed"
LABEL_PID = "org.stackcheck.pid"
LABEL_HOST = "org.stackcheck.host"
LABEL_SERVICE = "org.stackcheck.service"
LABEL_RUN = "org.stackcheck.run"
_HOW_IMAGE = "build it (sudo fixtures/images/build_images.py) or set STACKCHECK_POSTGRES_IMAGE"


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


def drill_bindir() -> Path:
    """The local PostgreSQL binaries the drill runs, or :class:`CouldNotCheck` naming the package."""
    bindir = find_postgres_bindir()
    if bindir is None or not (bindir / "pg_basebackup").is_file():
        raise CouldNotCheck(
            "the restore drill (--infra local) runs local PostgreSQL binaries (initdb, postgres, "
            "pg_basebackup) and found none: apt-get install postgresql, or use --infra docker",
            ErrorReason.TOOL_MISSING,
        )
    return bindir


def _server_user() -> str | None:
    # PostgreSQL refuses to run as root: as root, the clusters (and the tools writing their files) run as
    # the `postgres` system user Debian's packages create.
    return "postgres" if os.geteuid() == 0 else None


def local_executor() -> LocalExecutor:
    """The local binaries (``--infra local``), or :class:`CouldNotCheck` naming the package."""
    return LocalExecutor(drill_bindir(), _server_user())


def drill_executor(settings: Settings, profile_image: str | None = None) -> Executor:
    """Where the drill runs for ``settings.infra``: ``docker`` → containers of the run's Postgres image
    (``postgres.image``, else ``$STACKCHECK_POSTGRES_IMAGE``...); ``local`` → the local binaries; ``auto``
    → the local binaries when there are some, else containers. Nothing is started yet."""
    if settings.infra == "docker" or (settings.infra == "auto" and find_postgres_bindir() is None):
        return DockerExecutor(resolve_image("postgres", profile_image, settings))
    return local_executor()


class Executor(Protocol):
    """Runs the drill's tools and servers (see the module docstring)."""

    kind: str
    bindir: Path
    owner: tuple[int, int] | None  # uid/gid the drill's folders are given to (None: leave them)

    @property
    def servers(self) -> str:
        """What runs the servers, for the evidence: ``docker IMAGE`` or ``local BINDIR``."""

    def open(self, root: Path) -> None:
        """Get ready to work in the drill's directory ``root`` (created, not yet given to ``owner``)."""

    def tool(self, name: str) -> str:
        """The path of ``name`` (``initdb``, ``pgbackrest``) where it runs, or :class:`CouldNotCheck`."""

    def run(self, argv: Sequence[str], what: str) -> str:
        """Run a tool to completion as the server user; its stdout, or :class:`CouldNotCheck`."""

    def server(self, home: Path, argv: list[str]) -> ProcessControl:
        """Start the server ``argv`` (its files under ``home``) without waiting for it."""

    def kill(self, home: Path, control: ProcessControl) -> None:
        """SIGKILL the server started for ``home`` (the disaster) and wait until it is gone."""

    def forget(self, home: Path) -> None:
        """Remove whatever is left of the server started for ``home``. Idempotent."""

    def close(self) -> None:
        """Remove everything this executor started. Idempotent."""


class LocalExecutor:
    """Local binaries; as root, tools and servers run as the ``postgres`` system user."""

    kind = "local"

    def __init__(self, bindir: Path, user: str | None) -> None:
        self.bindir = bindir
        self.user = user
        entry = pwd.getpwnam(user) if user is not None else None
        self.owner = (entry.pw_uid, entry.pw_gid) if entry is not None else None

    @property
    def servers(self) -> str:
        """``local /usr/lib/postgresql/15/bin``."""
        return f"local {self.bindir}"

    def open(self, root: Path) -> None:
        """Nothing to prepare."""

    def tool(self, name: str) -> str:
        """``BINDIR/name`` for PostgreSQL's programs, else ``name`` from PATH."""
        if (self.bindir / name).is_file():
            return str(self.bindir / name)
        found = shutil.which(name)
        if found is None:
            raise CouldNotCheck(
                f"no {name} on this machine (apt-get install {name})", ErrorReason.TOOL_MISSING
            )
        return found

    def run(self, argv: Sequence[str], what: str) -> str:
        """The tool as the server user."""
        return run_as(argv, what, user=self.user)

    def server(self, home: Path, argv: list[str]) -> ProcessControl:
        """A process in a session of its own (SIGINT: fast shutdown), registered with the watchdog."""
        control = ProcessControl(argv, home, self.user, signal.SIGINT)
        control.launch()
        return control

    def kill(self, home: Path, control: ProcessControl) -> None:
        """SIGKILL to the server's whole process group."""
        if control.proc is not None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(control.proc.pid, signal.SIGKILL)
            control.proc.wait(timeout=30)
            interrupt.untrack(control.proc)

    def forget(self, home: Path) -> None:
        """Nothing outlives the process."""

    def close(self) -> None:
        """Nothing of its own to remove."""


def labels(run_id: str, pid: int, host: str) -> dict[str, str]:
    """The labels of every container of one drill (``org.stackcheck.run`` is the drill's own id)."""
    return {
        LABEL_MANAGED: "true",
        LABEL_PID: str(pid),
        LABEL_HOST: host,
        LABEL_SERVICE: "drill",
        LABEL_RUN: run_id,
    }


def _common(name: str, root: Path, tags: dict[str, str]) -> list[str]:
    out = ["--name", name, "--network", "host", "-v", f"{root}:{root}"]
    for key, value in tags.items():
        out += ["--label", f"{key}={value}"]
    return out


def server_argv(image: str, name: str, root: Path, tags: dict[str, str], argv: Sequence[str]) -> list[str]:
    """``docker run`` of one server in the foreground (``--rm``: gone when it ends; SIGINT, PostgreSQL's fast
    shutdown, is what the client passes on when asked to stop it)."""
    return ["docker", "run", "--rm", "--stop-signal", "SIGINT", *_common(name, root, tags), image, *argv]


def tools_argv(image: str, name: str, root: Path, tags: dict[str, str]) -> list[str]:
    """``docker run -d`` of the drill's tools container: it only waits; the tools are ``docker exec``-ed."""
    return ["docker", "run", "-d", "--rm", *_common(name, root, tags), image, "sleep", "infinity"]


def exec_argv(container: str, argv: Sequence[str], user: str = "postgres") -> list[str]:
    """``docker exec`` of one tool in ``container`` as ``user``."""
    return ["docker", "exec", "-u", user, container, *argv]


class DockerExecutor:
    """Containers of ``image`` (see the module docstring)."""

    kind = "docker"

    def __init__(self, image: str) -> None:
        if os.geteuid() != 0:
            # The drill's folders are bind-mounted and must belong to the image's postgres user.
            raise CouldNotCheck(
                "the restore drill in containers (--infra docker) gives its folders to the image's postgres "
                "user and must run as root: run as root, or use --infra local",
                ErrorReason.ACCESS_DENIED,
            )
        if shutil.which("docker") is None:
            raise CouldNotCheck(
                "the restore drill in containers (--infra docker) needs the docker command line "
                "(apt-get install docker.io), or use --infra local",
                ErrorReason.TOOL_MISSING,
            )
        self.image = image
        self.run_id = "drill-" + uuid.uuid4().hex[:12]
        self.tags = labels(self.run_id, os.getpid(), socket.gethostname())
        self.prefix = f"stackcheck-{self.run_id}"
        self.root: Path | None = None
        self.bindir = Path("/usr/lib/postgresql/17/bin")
        self.owner: tuple[int, int] | None = None
        self._tools: dict[str, str] = {}
        self._watching = False

    @property
    def servers(self) -> str:
        """``docker stackcheck/postgres:17``."""
        return f"docker {self.image}"

    @property
    def tools_container(self) -> str:
        """The name of the drill's tools container."""
        return f"{self.prefix}-tools"

    def _docker(self, argv: list[str], what: str) -> str:
        return run_as(argv, what, user=None, timeout_s=DOCKER_TIMEOUT_S)

    def open(self, root: Path) -> None:
        """Check the image, start the tools container on ``root``, learn the postgres uid/gid and bindir."""
        self.root = root
        try:
            self._docker(["docker", "image", "inspect", "--format", "{{.Id}}", self.image], "docker image")
        except CouldNotCheck as exc:
            raise CouldNotCheck(
                f"the restore drill's image {self.image} is not usable ({exc}): {_HOW_IMAGE}, or use "
                "--infra local",
                ErrorReason.START_FAILED,
            ) from None
        interrupt.watch_containers(f"{LABEL_RUN}={self.run_id}")  # before creation: the watchdog finds it
        self._watching = True
        try:
            self._docker(tools_argv(self.image, self.tools_container, root, self.tags), "the tools container")
        except CouldNotCheck as exc:
            raise CouldNotCheck(
                f"cannot start the restore drill's container from {self.image}: {exc}",
                ErrorReason.START_FAILED,
            ) from None
        ids = self._docker(exec_argv(self.tools_container, ["sh", "-c", "id -u; id -g"]), "id postgres")
        uid, gid = (int(n) for n in ids.split())
        self.owner = (uid, gid)
        initdb = self._docker(
            exec_argv(self.tools_container, ["sh", "-c", "command -v initdb"]), "finding initdb in the image"
        )
        self.bindir = Path(initdb.strip()).parent

    def tool(self, name: str) -> str:
        """``name`` as found on the image's PATH (PostgreSQL's programs from its bindir)."""
        if name not in self._tools:
            try:
                found = self._docker(
                    exec_argv(self.tools_container, ["sh", "-c", f"command -v {name}"]), f"finding {name}"
                ).strip()
            except CouldNotCheck:
                found = ""
            if not found:
                hint = (
                    "its recipe in fixtures/images/build_images.py installs it: rebuild (sudo "
                    "fixtures/images/build_images.py)"
                    if name == "pgbackrest"
                    else _HOW_IMAGE
                )
                raise CouldNotCheck(
                    f"the drill's image {self.image} has no {name}: {hint}, or use --infra local",
                    ErrorReason.TOOL_MISSING,
                )
            self._tools[name] = found
        return self._tools[name]

    def run(self, argv: Sequence[str], what: str) -> str:
        """``docker exec -u postgres`` in the tools container."""
        return run_as(exec_argv(self.tools_container, argv), what, user=None)

    def container(self, home: Path) -> str:
        """The name of the server container for ``home`` (``...-primary``, ``...-restored``)."""
        return f"{self.prefix}-{home.name}"

    def server(self, home: Path, argv: list[str]) -> ProcessControl:
        """``docker run --rm`` in the foreground of a client in a session of its own."""
        assert self.root is not None, "open() first"
        docker_argv = server_argv(self.image, self.container(home), self.root, self.tags, argv)
        control = ProcessControl(docker_argv, home, None, signal.SIGINT)
        control.launch()
        return control

    def kill(self, home: Path, control: ProcessControl) -> None:
        """``docker kill --signal KILL``; the client ends with its container."""
        with contextlib.suppress(CouldNotCheck):  # already gone: the disaster happened anyway
            self._docker(["docker", "kill", "--signal", "KILL", self.container(home)], "docker kill")
        if control.proc is not None:
            try:
                control.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(control.proc.pid, signal.SIGKILL)
                control.proc.wait(timeout=10)
            interrupt.untrack(control.proc)

    def forget(self, home: Path) -> None:
        """``docker rm -f`` of the server's container (normally gone already: ``--rm``)."""
        self._remove([self.container(home)])

    def _remove(self, names: list[str]) -> None:
        with contextlib.suppress(OSError, subprocess.SubprocessError):
            subprocess.run(
                ["docker", "rm", "-f", "-v", *names],
                capture_output=True, timeout=DOCKER_TIMEOUT_S, check=False,
            )  # fmt: skip

    def close(self) -> None:
        """Remove the tools container and every other container carrying this drill's label."""
        if not self._watching:
            return
        self._remove([self.tools_container])
        with contextlib.suppress(OSError, subprocess.SubprocessError):
            listed = subprocess.run(
                ["docker", "ps", "-aq", "--filter", f"label={LABEL_RUN}={self.run_id}"],
                capture_output=True, text=True, timeout=DOCKER_TIMEOUT_S, check=False,
            )  # fmt: skip
            left = listed.stdout.split()
            if left:
                self._remove(left)
        interrupt.unwatch_containers(f"{LABEL_RUN}={self.run_id}")
        self._watching = False
