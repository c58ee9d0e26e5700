"""The run's servers as fixtures: its Postgres and Redis, connections to them, and the launched service.

Registered with the plugin in an active run (:mod:`stackcheck.pytest_entry`), so the built-in suites and a
team's own suite folder (``--suite-dir``) get the same fixtures: ``pg`` (a psycopg connection),
``redis_client`` (a redis-py client), ``postgres_server``/``redis_server`` (address and DSN), ``services``,
``launched_service`` and ``proxied_service`` (a fresh launch behind toxiproxy, for the resilience drills).

Servers come from ``--infra`` (see :mod:`stackcheck.infra`). They start lazily — on the first check that needs
one — and then *all* services the collected checks need start together, in parallel; they are reused by
every check and removed at the end of the session (also on failure and Ctrl-C). A service that cannot be
started or reached raises :class:`stackcheck.CouldNotCheck`, so its checks end as ``error``, never ``failed``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

import pytest

from stackcheck import CouldNotCheck, UsageError
from stackcheck.extras import SERVICE_CLIENTS, require
from stackcheck.infra import PostgresServer, RedisServer, ServiceSession, choose_provider, needed_services
from stackcheck.infra.base import ServiceName
from stackcheck.infra.faults import ProxiedService
from stackcheck.infra.launch import LaunchedService
from stackcheck.infra.relay import Relay, other_dependencies, require_loopback_dependencies
from stackcheck.infra.select import launch_needs
from stackcheck.outcomes import ErrorReason
from stackcheck.plugin import COLLECTOR, check_spec
from stackcheck.profile import Profile
from stackcheck.settings import Settings, resolve_target
from stackcheck.team import TeamCheck

if TYPE_CHECKING:  # the data extra: imported where used, so an HTTP-only run needs none of it
    import psycopg
    import redis
    from psycopg.rows import TupleRow

__all__ = ["PostgresLink"]

CONNECT_TIMEOUT_S = 10


# The fixtures through which a test uses a server: a team's test needs the servers its fixtures reach.
_SERVER_FIXTURES: dict[str, ServiceName] = {"postgres_server": "postgres", "redis_server": "redis"}


def _suites_of(session: pytest.Session) -> list[str]:
    """The built-in suites the collected checks belong to (``suites/<suite>/test_*.py``)."""
    return sorted(
        {item.path.parent.name for item in session.items if not isinstance(check_spec(item), TeamCheck)}
    )


def _team_needs(session: pytest.Session, profile: Profile, target: str | None) -> set[ServiceName]:
    """The servers the collected team checks use: through their fixtures, or through the service
    stackcheck launches for them (no target URL, ``service.command`` wired to Postgres/Redis)."""
    needs: set[ServiceName] = set()
    for item in session.items:
        if not isinstance(check_spec(item), TeamCheck):
            continue
        names = set(getattr(item, "fixturenames", ()))
        needs.update(service for fixture, service in _SERVER_FIXTURES.items() if fixture in names)
        if "launched_service" in names or ("target" in names and target is None and profile.service):
            needs.update(launch_needs(profile))
    return {s for s in needs if getattr(profile, s) is not None}


@pytest.fixture(scope="session")
def services(
    request: pytest.FixtureRequest, profile: Profile, settings: Settings
) -> Iterator[ServiceSession]:
    """The run's service session (provider chosen by ``--infra``); closed at the end of the session.

    Which services it starts is :func:`stackcheck.infra.needed_services`, the decision the CLI's preflight
    made (a provider problem was an exit 2 there, before any check ran), plus the servers the team's checks
    use through their fixtures (a provider problem then is a usage error met while checking: exit 2 too).
    """
    collector = request.config.stash[COLLECTOR]
    target = resolve_target(settings.target, profile)
    needed = needed_services(profile, _suites_of(request.session), target)
    needed += sorted(_team_needs(request.session, profile, target) - set(needed))
    require(*(SERVICE_CLIENTS[service] for service in needed))  # before anything starts: names the extra
    kind = choose_provider(settings, profile, needed)
    base_dir = collector.loaded.path.resolve().parent
    with ServiceSession(kind, profile, needed, settings=settings, base_dir=base_dir) as session:
        yield session


@pytest.fixture(scope="session")
def postgres_server(request: pytest.FixtureRequest, profile: Profile) -> PostgresServer:
    """The Postgres under test (started with every other needed service on first use); a check that
    uses it is ``skipped`` when the profile has no ``postgres`` section."""
    if profile.postgres is None:
        pytest.skip("profile has no `postgres` section")
    services: ServiceSession = request.getfixturevalue("services")
    return services.postgres()


@pytest.fixture(scope="session")
def redis_server(request: pytest.FixtureRequest, profile: Profile) -> RedisServer:
    """The Redis under test (started with every other needed service on first use); a check that uses it
    is ``skipped`` when the profile has no ``redis`` section."""
    if profile.redis is None:
        pytest.skip("profile has no `redis` section")
    services: ServiceSession = request.getfixturevalue("services")
    return services.redis()


class PostgresLink:
    """The session's connection, re-opened when a check's probe ended it (a FATAL error, a restart)."""

    def __init__(self, server: PostgresServer) -> None:
        self.server = server
        self.conn: psycopg.Connection[TupleRow] | None = None
        self.never_reached: CouldNotCheck | None = None

    def get(self) -> psycopg.Connection[TupleRow]:
        """A live autocommit connection.

        A server never reached once is not tried again by every later check: a port that accepts TCP but
        never answers would otherwise cost the connect timeout per check (minutes for a full profile).
        """
        if self.never_reached is not None:
            raise CouldNotCheck(f"{self.never_reached} (not retried)", self.never_reached.reason)
        if self.conn is None or self.conn.closed or self.conn.broken:
            from stackcheck.probes.postgres import connect_postgres  # psycopg (the data extra)

            try:
                self.conn = connect_postgres(self.server.dsn, self.server.display, CONNECT_TIMEOUT_S)
            except CouldNotCheck as exc:
                if self.conn is None:  # never connected in this run
                    self.never_reached = exc
                raise
        return self.conn

    def close(self) -> None:
        """Close the connection, if open."""
        if self.conn is not None:
            self.conn.close()


@pytest.fixture(scope="session")
def pg_link(postgres_server: PostgresServer) -> Iterator[PostgresLink]:
    """Holds the session's Postgres connection."""
    link = PostgresLink(postgres_server)
    try:
        yield link
    finally:
        link.close()


@pytest.fixture
def pg(pg_link: PostgresLink) -> psycopg.Connection[TupleRow]:
    """An autocommit connection for read-only checks (shared by the session); writing checks roll back."""
    return pg_link.get()


@pytest.fixture(scope="session")
def redis_client(redis_server: RedisServer) -> Iterator[redis.Redis]:
    """A client authenticated as ``redis.url`` says; an unreachable server is :class:`CouldNotCheck`."""
    require("redis")
    import redis

    client = redis.Redis.from_url(
        redis_server.url, socket_connect_timeout=CONNECT_TIMEOUT_S, socket_timeout=CONNECT_TIMEOUT_S
    )
    try:
        client.ping()
    except redis.AuthenticationError as exc:
        client.close()
        raise CouldNotCheck(
            f"Redis at {redis_server.display} refused the login: {exc} (check the password in redis.url)",
            ErrorReason.ACCESS_DENIED,
        ) from None
    except (redis.RedisError, OSError) as exc:
        client.close()
        text = str(exc)
        if "NOAUTH" in text or "authenticated" in text:
            raise CouldNotCheck(
                f"Redis at {redis_server.display} requires a login: {exc} (put the password in redis.url)",
                ErrorReason.ACCESS_DENIED,
            ) from None
        raise CouldNotCheck(
            f"cannot reach Redis at {redis_server.display}: {exc}", ErrorReason.UNREACHABLE
        ) from None
    try:
        yield client
    finally:
        client.close()


@pytest.fixture(scope="session")
def dependency_relays(profile: Profile, settings: Settings) -> Iterator[dict[str, Relay]]:
    """A loopback relay in front of each TCP/HTTP dependency of ``health.ready_dependencies``, by name.

    The service is wired to the relays (``{dep_NAME}``), so the readiness drill can stop or pause a
    dependency stackcheck did not start. Every relay is closed when the session ends, on every way out.
    """
    relays: dict[str, Relay] = {}
    try:
        require_loopback_dependencies(profile, settings.allow_remote)
        for dep in other_dependencies(profile):
            relays[dep.name] = Relay(dep.name, dep.address).open()
        yield relays
    finally:
        for relay in relays.values():
            relay.close()


def _new_launch(
    request: pytest.FixtureRequest, profile: Profile, settings: Settings, command: list[str] | None = None
) -> LaunchedService:
    """A launch of ``service.command`` (not started) wired to the run's Postgres/Redis and to the relays of
    its other dependencies (``{dep_NAME}``); ``command`` replaces ``service.command`` (another build)."""
    if profile.service is None:
        raise UsageError("no `service` section", "add service.command to the profile, or pass --target URL")
    services: ServiceSession = request.getfixturevalue("services")
    values: dict[str, str] = {}
    needs = launch_needs(profile)
    if "postgres" in needs:
        values["postgres_dsn"] = services.postgres().dsn
    if "redis" in needs:
        values["redis_url"] = services.redis().url
    if other_dependencies(profile):
        relays: dict[str, Relay] = request.getfixturevalue("dependency_relays")
        values.update({f"dep_{name}": relay.address for name, relay in relays.items()})
    live = profile.health.live if profile.health and profile.health.live else "/"
    path = request.config.stash[COLLECTOR].loaded.path
    section = profile.service if command is None else profile.service.model_copy(update={"command": command})
    return LaunchedService(section, values, path, live, settings.environ)


@pytest.fixture(scope="session")
def launched_service(
    request: pytest.FixtureRequest, profile: Profile, settings: Settings
) -> Iterator[LaunchedService]:
    """The service under test, started from ``service.command`` and wired to the run's Postgres/Redis and to
    the relays of its other dependencies (``{dep_NAME}``)."""
    with _new_launch(request, profile, settings) as service:
        yield service


@pytest.fixture
def service_launcher(
    request: pytest.FixtureRequest, profile: Profile, settings: Settings
) -> Callable[..., LaunchedService]:
    """Makes launches of ``service.command`` of a check's own (``with service_launcher() as svc:``), wired
    as :func:`launched_service` is: for a drill that ends the process (SIGTERM), so the session's launch
    stays up for the other checks. The caller starts and stops each one (the ``with`` block).
    ``service_launcher(command)`` launches another command the same way (the blue-green drill's green)."""
    return lambda command=None: _new_launch(request, profile, settings, command)


@pytest.fixture
def proxied_service(
    request: pytest.FixtureRequest, profile: Profile, settings: Settings
) -> Iterator[ProxiedService]:
    """A fresh instance of the service under test (``service.command``) with toxiproxy between it and each
    run server it is wired to, for one drill; stopped, with toxiproxy, when the drill ends."""
    services: ServiceSession = request.getfixturevalue("services")
    path = request.config.stash[COLLECTOR].loaded.path
    with ProxiedService(profile, services, launch_needs(profile), settings, path) as proxied:
        yield proxied
