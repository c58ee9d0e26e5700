"""What a provider hands to the suites: a running Postgres or Redis, and how to stop, start and pause it.

A server is a frozen record (``dsn``/``url``, version, where it runs). The ``control`` behind it is what the
readiness fault drill uses: ``stop()`` / ``start()`` / ``pause()`` / ``resume()``, and the persistence drill
``kill()`` (SIGKILL, data kept). Servers reached with
``--infra external`` have no control: stackcheck never stops somebody else's database.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal, Protocol

from stackcheck._exceptions import UsageError
from stackcheck.probes.loopback import free_port  # the one free_port; re-exported for the providers
from stackcheck.redact import Redactor

__all__ = [
    "Control",
    "PostgresServer",
    "ProviderKind",
    "RedisServer",
    "ServiceName",
    "free_port",
    "redact_url",
]

ProviderKind = Literal["docker", "local", "external"]
ServiceName = Literal["postgres", "redis"]


class Control(Protocol):
    """Lifecycle of a server stackcheck started itself (docker container or local process)."""

    def stop(self) -> None:
        """Shut the server down (fast shutdown); its data stays for :meth:`start`."""

    def start(self) -> None:
        """Start a stopped server again on the same port and wait until it accepts connections."""

    def kill(self) -> None:
        """End the server with SIGKILL, as a crash would (no shutdown, nothing flushed on the way out); its
        data directory stays for :meth:`start`."""

    def pause(self) -> None:
        """Freeze the server: connections hang instead of being refused."""

    def resume(self) -> None:
        """Undo :meth:`pause`."""

    def close(self) -> None:
        """Remove the server and everything it wrote, for good. Idempotent."""


def _no_control(what: str) -> UsageError:
    return UsageError(
        f"{what} was not started by stackcheck (--infra external) and cannot be stopped or paused",
        "run the fault drill with --infra docker or --infra local",
    )


@dataclass(frozen=True)
class _Server:
    version: str | None
    provider: ProviderKind
    where: str
    control: Control | None = field(default=None, repr=False, compare=False)

    @property
    def managed(self) -> bool:
        """Whether stackcheck started this server (so it may apply migrations, stop or pause it)."""
        return self.control is not None

    def _control(self) -> Control:
        if self.control is None:
            raise _no_control(self.where)
        return self.control

    def stop(self) -> None:
        """Stop the server (fault drill)."""
        self._control().stop()

    def kill(self) -> None:
        """SIGKILL the server, keeping its data (persistence drill)."""
        self._control().kill()

    def start(self) -> None:
        """Start the server again and wait until it is ready."""
        self._control().start()

    def pause(self) -> None:
        """Freeze the server (fault drill)."""
        self._control().pause()

    def resume(self) -> None:
        """Unfreeze the server."""
        self._control().resume()


@dataclass(frozen=True)
class PostgresServer(_Server):
    """A PostgreSQL server: a libpq connection URI plus where it runs. ``dsn`` may hold a password."""

    dsn: str = ""

    @property
    def display(self) -> str:
        """The DSN without its password, for messages and evidence."""
        return redact_url(self.dsn)


@dataclass(frozen=True)
class RedisServer(_Server):
    """A Redis server: a ``redis://`` URL plus where it runs. ``url`` may hold a password."""

    url: str = ""

    @property
    def display(self) -> str:
        """The URL without its password, for messages and evidence."""
        return redact_url(self.url)


def redact_url(url: str) -> str:
    """``postgresql://app:s3cret@h:5432/db`` → ``postgresql://app:***@h:5432/db`` (query, key=value too).

    The one redaction layer's shapes (:mod:`stackcheck.redact`): ``?password=`` forms are masked as well.
    """
    return Redactor().text(url)
