"""``--infra docker``: throwaway Postgres and Redis containers through testcontainers-python.

Host networking only (our engines run with ``--bridge=none``; nothing is published on other interfaces):
each server listens on a free port of 127.0.0.1. testcontainers believes it runs inside a container here
(``/.dockerenv``) and would hand out an empty or bridge address, so :class:`HostNetworkContainer` pins the
address to 127.0.0.1 and the port to itself. Ryuk (the reaper container) cannot be pulled offline: it is
disabled, and every container carries :data:`LABEL_MANAGED` so that :meth:`DockerProvider.close`, a later
run (:func:`reap_orphans`) and the tests can find and remove what a run started. Ryuk's job itself — remove
the run's containers as soon as stackcheck dies, even by SIGKILL — is done by the run's watchdog
(:mod:`stackcheck.watchdog`), told the run's label before the first container is created.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import socket
import threading
import uuid
from collections.abc import Callable
from typing import Any

import docker
import docker.errors
from testcontainers.core.config import testcontainers_config
from testcontainers.core.container import DockerContainer

from stackcheck import interrupt
from stackcheck._exceptions import CouldNotCheck, ErrorReason
from stackcheck.infra.base import PostgresServer, RedisServer, ServiceName, free_port
from stackcheck.infra.images import (
    ContainerPlan,
    postgres_family,
    postgres_plan,
    redis_plan,
)
from stackcheck.infra.probe import postgres_version, redis_version
from stackcheck.wait import wait_until

__all__ = [
    "LABEL_MANAGED",
    "LABEL_PID",
    "DockerProvider",
    "HostNetworkContainer",
    "engine_problem",
    "image_problem",
    "reap_orphans",
]

LABEL_MANAGED = "org.stackcheck.managed"
LABEL_PID = "org.stackcheck.pid"
LABEL_HOST = "org.stackcheck.host"
LABEL_SERVICE = "org.stackcheck.service"
LABEL_RUN = "org.stackcheck.run"
START_TIMEOUT_S = 90.0
API_TIMEOUT_S = 120


class HostNetworkContainer(DockerContainer):
    """A container on the host network, reached at 127.0.0.1 on the port the server itself binds."""

    def get_container_host_ip(self) -> str:
        """Always loopback: never a bridge gateway or another interface."""
        return "127.0.0.1"

    def _get_exposed_port(self, port: int) -> int:
        return port


def _client() -> docker.DockerClient:
    return docker.from_env(timeout=API_TIMEOUT_S)


def engine_problem() -> str | None:
    """Why no Docker engine can be used, or ``None`` when one answers."""
    try:
        client = docker.from_env(timeout=5)
    except docker.errors.DockerException as exc:
        return f"no Docker engine answered ({_first_line(exc)})"
    try:
        client.ping()
    except (docker.errors.DockerException, OSError) as exc:
        return f"no Docker engine answered ({_first_line(exc)})"
    finally:
        client.close()
    return None


def image_problem(image: str) -> str | None:
    """``None`` when ``image`` is present locally or could be pulled now; else why it is unavailable."""
    client = _client()
    try:
        try:
            client.images.get(image)
            return None
        except docker.errors.ImageNotFound:
            pass
        try:
            client.images.pull(image)
            return None
        except docker.errors.DockerException as exc:
            return f"image {image} is not present locally and pulling it failed ({_first_line(exc)})"
    finally:
        client.close()


def reap_orphans() -> list[str]:
    """Remove containers a killed stackcheck run on this host left behind (its process is gone)."""
    removed: list[str] = []
    client = _client()
    try:
        # sparse: no per-container inspect, which would race with other runs removing theirs
        for container in client.containers.list(
            all=True, sparse=True, filters={"label": f"{LABEL_HOST}={socket.gethostname()}"}
        ):
            pid = str((container.attrs.get("Labels") or {}).get(LABEL_PID, ""))
            if pid.isdigit() and not _alive(int(pid)):
                with contextlib.suppress(docker.errors.NotFound):
                    container.remove(force=True, v=True)
                removed.append(str(container.id)[:12])
    finally:
        client.close()
    return removed


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _first_line(exc: BaseException) -> str:
    # The daemon's own explanation is the useful part of an APIError (not the request URL around it).
    text = str(getattr(exc, "explanation", None) or exc).strip()
    line = text.splitlines()[0] if text else exc.__class__.__name__
    return line if len(line) <= 200 else line[:197] + "..."


class ContainerControl:
    """Stop/start/pause one container; ``close`` removes it with its volumes."""

    def __init__(
        self, container: HostNetworkContainer, stop_signal: str, ready: Callable[[], object]
    ) -> None:
        self.container = container
        self.stop_signal = stop_signal
        self.ready = ready
        self._closed = False

    @property
    def _wrapped(self) -> Any:
        return self.container.get_wrapped_container()

    def _status(self) -> str:
        wrapped = self._wrapped
        wrapped.reload()
        return str(wrapped.status)

    def stop(self) -> None:
        """Send the image's fast-shutdown signal and wait until the container has exited."""
        self._wrapped.kill(signal=self.stop_signal)
        if not wait_until(lambda: self._status() in ("exited", "dead"), 30, 0.1):
            self._wrapped.kill()

    def kill(self) -> None:
        """SIGKILL the container's processes (a crash); its file system and volumes stay for :meth:`start`."""
        self._wrapped.kill(signal="SIGKILL")
        wait_until(lambda: self._status() in ("exited", "dead"), 30, 0.1)

    def start(self) -> None:
        """Start the stopped container again (same port, same data) and wait for readiness."""
        self._wrapped.start()
        self.ready()

    def pause(self) -> None:
        """Freeze every process of the container (cgroup freezer)."""
        self._wrapped.pause()

    def resume(self) -> None:
        """Thaw the container."""
        self._wrapped.unpause()

    def close(self) -> None:
        """Remove the container (forced, with its anonymous volumes). Idempotent."""
        if self._closed:
            return
        self._closed = True
        with contextlib.suppress(docker.errors.NotFound):
            self.container.stop(force=True, delete_volume=True)


class DockerProvider:
    """Starts labelled containers and removes every one of them in :meth:`close`, whatever happened."""

    kind = "docker"

    def __init__(self, cancel: threading.Event | None = None) -> None:
        self.run_id = uuid.uuid4().hex[:12]
        self.cancel = cancel or threading.Event()
        self._controls: list[ContainerControl] = []
        self._lock = threading.Lock()

    def labels(self, service: ServiceName) -> dict[str, str]:
        """The labels every container of this run carries (tests filter on them)."""
        return {
            LABEL_MANAGED: "true",
            LABEL_PID: str(os.getpid()),
            LABEL_HOST: socket.gethostname(),
            LABEL_SERVICE: service,
            LABEL_RUN: self.run_id,
        }

    def _run(self, service: ServiceName, plan: ContainerPlan) -> ContainerControl:
        # Without Ryuk, removal is ours (close, reap_orphans). Set here, not on import: importing this
        # module must not change testcontainers for whoever else uses it in the process.
        testcontainers_config.ryuk_disabled = True
        container = HostNetworkContainer(plan.image, docker_client_kw={"timeout": API_TIMEOUT_S})
        container.with_command(plan.command).with_envs(**plan.env)
        container.with_name(f"stackcheck-{service}-{os.getpid()}-{self.run_id}")
        # `network="host"` (not network_mode) also stops testcontainers from guessing a network of its own.
        container.with_kwargs(labels=self.labels(service), network="host", stop_signal=plan.stop_signal)
        control = ContainerControl(container, plan.stop_signal, lambda: None)
        with self._lock:
            self._controls.append(control)  # registered before creation: close() must find it
        interrupt.watch_containers(f"{LABEL_RUN}={self.run_id}")  # and the watchdog, if we die
        if self.cancel.is_set():
            raise CouldNotCheck("interrupted before the container started", ErrorReason.START_FAILED)
        try:
            container.start()
        except docker.errors.DockerException as exc:
            raise CouldNotCheck(
                f"cannot start a {service} container from {plan.image}: {_first_line(exc)}",
                ErrorReason.START_FAILED,
            ) from None
        return control

    def _wait(self, control: ContainerControl, what: str, probe: Callable[[], str | None]) -> str:
        def ready() -> str | None:
            if self.cancel.is_set():
                raise CouldNotCheck(f"interrupted while waiting for {what}", ErrorReason.START_FAILED)
            if control._status() in ("exited", "dead"):
                logs = b"".join(control.container.get_logs()).decode(errors="replace").strip().splitlines()
                raise CouldNotCheck(
                    f"{what} exited during start-up: {' | '.join(logs[-3:]) or 'no output'}",
                    ErrorReason.START_FAILED,
                )
            return probe()

        version = wait_until(ready, START_TIMEOUT_S, 0.1, what=what)
        if not version:
            raise CouldNotCheck(
                f"{what} did not accept connections within {START_TIMEOUT_S:g} s", ErrorReason.START_FAILED
            )
        return version

    def start_postgres(self, image: str, config: dict[str, str]) -> PostgresServer:
        """A throwaway Postgres in a container; returns once a login succeeds."""
        client = _client()
        try:
            family = postgres_family(client.images.get(image).attrs.get("Config") or {})
        except docker.errors.ImageNotFound:
            family = postgres_family({})
        finally:
            client.close()
        port, password = free_port(), secrets.token_hex(12)
        plan = postgres_plan(
            image,
            family,
            port=port,
            user="stackcheck",
            password=password,
            database="stackcheck",
            config=config,
        )
        control = self._run("postgres", plan)
        dsn = f"postgresql://stackcheck:{password}@127.0.0.1:{port}/stackcheck"
        what = f"Postgres container {control.container.get_container_id()[:12]} ({image})"
        control.ready = lambda: self._wait(control, what, lambda: postgres_version(dsn))
        version = self._wait(control, what, lambda: postgres_version(dsn))
        return PostgresServer(version=version, provider="docker", where=what, control=control, dsn=dsn)

    def start_redis(self, image: str, config: dict[str, str], password: str | None) -> RedisServer:
        """A throwaway Redis in a container; ``password`` is the ``requirepass`` the config sets, if any."""
        port = free_port()
        control = self._run("redis", redis_plan(image, port=port, config=config))
        url = f"redis://:{password}@127.0.0.1:{port}/0" if password else f"redis://127.0.0.1:{port}/0"
        what = f"Redis container {control.container.get_container_id()[:12]} ({image})"
        control.ready = lambda: self._wait(control, what, lambda: redis_version(url))
        version = self._wait(control, what, lambda: redis_version(url))
        return RedisServer(version=version, provider="docker", where=what, control=control, url=url)

    def close(self) -> None:
        """Remove every container this provider created, then any other container labelled with its run."""
        with self._lock:
            controls, self._controls = self._controls, []
        for control in controls:
            with contextlib.suppress(docker.errors.DockerException):  # the sweep below retries by label
                control.close()
        client = _client()
        try:
            for container in client.containers.list(
                all=True, sparse=True, filters={"label": f"{LABEL_RUN}={self.run_id}"}
            ):
                with contextlib.suppress(docker.errors.NotFound):
                    container.remove(force=True, v=True)
        finally:
            client.close()
        interrupt.unwatch_containers(f"{LABEL_RUN}={self.run_id}")
