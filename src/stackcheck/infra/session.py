"""One run's services: started together (in parallel), handed to the suites, always removed.

Removal is guaranteed on a normal end, on failures, on Ctrl-C (pytest tears session fixtures down on
``KeyboardInterrupt``) and on SIGTERM (turned into ``KeyboardInterrupt`` while services exist); an
``atexit`` hook is the last resort. A start that is interrupted midway still removes what was created.
"""

from __future__ import annotations

import atexit
import contextlib
import signal
import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from types import FrameType, TracebackType
from typing import Self

from stackcheck._exceptions import CouldNotCheck, ErrorReason, StackcheckError
from stackcheck.infra.base import PostgresServer, ProviderKind, RedisServer, ServiceName
from stackcheck.infra.external import external_postgres, external_redis
from stackcheck.infra.images import resolve_image
from stackcheck.infra.migrations import MigrationRun, apply_migrations
from stackcheck.infra.select import server_config
from stackcheck.profile.models import Profile
from stackcheck.settings import Settings

__all__ = ["ServiceSession"]


def _raise_interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


class ServiceSession:
    """``with ServiceSession("docker", profile, ["postgres", "redis"], settings=..., base_dir=...) as s:``
    ``s.postgres().dsn``. ``settings`` gives the images and the environment ``${VAR}`` references read."""

    def __init__(
        self,
        kind: ProviderKind,
        profile: Profile,
        services: Sequence[ServiceName],
        *,
        settings: Settings,
        base_dir: Path,
    ) -> None:
        self.kind = kind
        self.profile = profile
        self.services = list(services)
        self.settings = settings
        self.environ = settings.environ
        self.base_dir = base_dir
        self.cancel = threading.Event()
        self.migrations: MigrationRun | None = None
        self._results: dict[ServiceName, PostgresServer | RedisServer | BaseException] = {}
        self._provider: object | None = None
        self._started = False
        self._previous_sigterm: Callable[[int, FrameType | None], object] | int | None = None

    # -- lifecycle ----------------------------------------------------------------------------------

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def _guard_signals(self) -> None:
        if threading.current_thread() is threading.main_thread():
            previous = signal.getsignal(signal.SIGTERM)
            if previous in (signal.SIG_DFL, None):
                self._previous_sigterm = previous
                signal.signal(signal.SIGTERM, _raise_interrupt)
        atexit.register(self.close)

    def start(self) -> None:
        """Start every service this session needs, concurrently; failures are kept per service."""
        if self._started:
            return
        self._started = True
        self._guard_signals()
        if self.kind == "docker":
            from stackcheck.infra.docker import DockerProvider, reap_orphans

            with contextlib.suppress(Exception):
                reap_orphans()
            self._provider = DockerProvider(self.cancel)
        elif self.kind == "local":
            from stackcheck.infra.local import LocalProvider

            self._provider = LocalProvider(self.cancel)
        starters: dict[ServiceName, Callable[[], PostgresServer | RedisServer]] = {
            "postgres": self._start_postgres,
            "redis": self._start_redis,
        }
        pool = ThreadPoolExecutor(
            max_workers=max(1, len(self.services)), thread_name_prefix="stackcheck-infra"
        )
        try:
            futures = {name: pool.submit(starters[name]) for name in self.services}
            for name, future in futures.items():
                try:
                    self._results[name] = future.result()
                except Exception as exc:  # kept and raised to every check that needs this service
                    self._results[name] = exc
        except BaseException:
            self.cancel.set()  # interrupted: let the workers give up, then remove what they created
            pool.shutdown(wait=True, cancel_futures=True)
            self.close()
            raise
        pool.shutdown(wait=True)

    def _config(self, service: ServiceName) -> dict[str, str]:
        return server_config(self.profile, service, self.environ)

    def _start_postgres(self) -> PostgresServer:
        section = self.profile.postgres
        assert section is not None
        if self.kind == "external":
            return external_postgres(section, self.environ)
        if self.kind == "docker":
            from stackcheck.infra.docker import DockerProvider

            assert isinstance(self._provider, DockerProvider)
            image = resolve_image("postgres", section.image, self.settings)
            server = self._provider.start_postgres(image, self._config("postgres"))
        else:
            from stackcheck.infra.local import LocalProvider

            assert isinstance(self._provider, LocalProvider)
            server = self._provider.start_postgres(self._config("postgres"))
        if section.migrations:
            self.migrations = apply_migrations(server, self.base_dir / section.migrations)
        return server

    def _start_redis(self) -> RedisServer:
        section = self.profile.redis
        assert section is not None
        if self.kind == "external":
            return external_redis(section, self.environ)
        config = self._config("redis")
        password = config.get("requirepass")
        if self.kind == "docker":
            from stackcheck.infra.docker import DockerProvider

            assert isinstance(self._provider, DockerProvider)
            image = resolve_image("redis", section.image, self.settings)
            return self._provider.start_redis(image, config, password)
        from stackcheck.infra.local import LocalProvider

        assert isinstance(self._provider, LocalProvider)
        return self._provider.start_redis(config, password)

    def _get(self, service: ServiceName) -> PostgresServer | RedisServer:
        self.start()
        result = self._results.get(service)
        if result is None:
            raise CouldNotCheck(
                f"{service} was not started in this run (no `{service}` section or suite)",
                ErrorReason.MISCONFIGURED,
            )
        if isinstance(result, StackcheckError):
            raise result
        if isinstance(result, BaseException):
            raise CouldNotCheck(
                f"could not start {service}: {type(result).__name__}: {result}", ErrorReason.START_FAILED
            ) from result
        return result

    def postgres(self) -> PostgresServer:
        """The run's Postgres (starting the services on first use); :class:`CouldNotCheck` if it failed."""
        server = self._get("postgres")
        assert isinstance(server, PostgresServer)
        return server

    def redis(self) -> RedisServer:
        """The run's Redis (starting the services on first use); :class:`CouldNotCheck` if it failed."""
        server = self._get("redis")
        assert isinstance(server, RedisServer)
        return server

    def close(self) -> None:
        """Remove every server this session started. Idempotent; safe from atexit and signal paths."""
        provider, self._provider = self._provider, None
        close = getattr(provider, "close", None)
        if close is not None:
            close()
        if self._previous_sigterm is not None and threading.current_thread() is threading.main_thread():
            signal.signal(signal.SIGTERM, self._previous_sigterm)
            self._previous_sigterm = None
        atexit.unregister(self.close)
