"""The service under test launched behind toxiproxy: each of its dependencies reached through a proxy.

The resilience drills need a service whose Postgres and Redis they can slow down or freeze without touching
the servers: :class:`ProxiedService` starts toxiproxy (:mod:`stackcheck.infra.toxiproxy`), puts a proxy in
front of every run server ``service.command`` is wired to, and launches the service with ``{postgres_dsn}``
and ``{redis_url}`` naming the proxies (the password and database unchanged). A fresh service per drill: a
breaker's state never carries from one drill to the next.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from types import TracebackType
from typing import Self

from stackcheck._exceptions import UsageError
from stackcheck.infra.base import ServiceName
from stackcheck.infra.launch import LaunchedService
from stackcheck.infra.session import ServiceSession
from stackcheck.infra.toxiproxy import Fault, Toxiproxy, proxied_url
from stackcheck.probes.loopback import Refusal, require_loopback
from stackcheck.profile.models import Profile
from stackcheck.settings import Settings

__all__ = ["ProxiedService"]

_REFUSAL = Refusal(
    "the resilience drills would proxy {what} at {host}, which is not a loopback address",
    "run them on the throwaway servers (--infra docker|local), or pass --allow-remote on purpose",
)


def _upstream(url: str) -> str:
    """``HOST:PORT`` of a ``postgresql://`` or ``redis://`` URL."""
    netloc = url.split("://", 1)[-1].split("/", 1)[0]
    return netloc.rpartition("@")[2]


class ProxiedService:
    """``with ProxiedService(profile, services, wired, settings, path) as s: s.inject("postgres", "hang")``.

    ``wired`` are the run's servers the command names (``{postgres_dsn}``, ``{redis_url}``); each gets a
    proxy. :attr:`service` is the launched service, :attr:`proxies` the proxies' addresses by server.
    """

    def __init__(
        self,
        profile: Profile,
        services: ServiceSession,
        wired: set[ServiceName],
        settings: Settings,
        profile_path: Path,
    ) -> None:
        if profile.service is None:
            raise UsageError(
                "no `service` section", "add service.command to the profile (the drills start it)"
            )
        self._profile = profile
        self._services = services
        self._wired = sorted(wired)
        self._settings = settings
        self._path = profile_path
        self.toxiproxy: Toxiproxy | None = None
        self.proxies: dict[str, str] = {}
        self.upstreams: dict[str, str] = {}
        self._launched: LaunchedService | None = None

    @property
    def service(self) -> LaunchedService:
        """The running service (after :meth:`start`)."""
        if self._launched is None:
            raise RuntimeError("ProxiedService.start() has not run")
        return self._launched

    def start(self) -> Self:
        """Start toxiproxy, a proxy per wired server, then the service; everything stops again on failure."""
        try:
            self.toxiproxy = Toxiproxy(self._settings).start()
            values = self._values(self.toxiproxy)
            assert self._profile.service is not None
            health = self._profile.health
            live = health.live if health and health.live else "/"
            self._launched = LaunchedService(
                self._profile.service, values, self._path, live, self._settings.environ
            ).start()
        except BaseException:
            self.close()
            raise
        return self

    def _values(self, toxi: Toxiproxy) -> Mapping[str, str]:
        values: dict[str, str] = {}
        for name in self._wired:
            url = self._services.postgres().dsn if name == "postgres" else self._services.redis().url
            self.upstreams[name] = _upstream(url)
            require_loopback(self.upstreams[name], self._settings.allow_remote, name, _REFUSAL)
            self.proxies[name] = toxi.proxy(name, self.upstreams[name])
            values["postgres_dsn" if name == "postgres" else "redis_url"] = proxied_url(
                url, self.proxies[name]
            )
        return values

    def inject(self, name: str, fault: Fault, latency_ms: float = 0) -> None:
        """Put ``fault`` between the service and server ``name``."""
        assert self.toxiproxy is not None
        self.toxiproxy.inject(name, fault, latency_ms)

    def clear(self, name: str) -> None:
        """Remove the fault between the service and server ``name``."""
        assert self.toxiproxy is not None
        self.toxiproxy.clear(name)

    def close(self) -> None:
        """Stop the service, then toxiproxy. Idempotent."""
        try:
            if self._launched is not None:
                self._launched.stop()
                self._launched = None
        finally:
            if self.toxiproxy is not None:
                self.toxiproxy.close()
                self.toxiproxy = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()
