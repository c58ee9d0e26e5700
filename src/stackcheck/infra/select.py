"""Choose who provides Postgres and Redis for a run (``--infra``), and fail early when nobody can.

``auto``: Docker when an engine answers and the images are available, else local binaries, else one usage
error that says what is missing and how to get it. ``docker``/``local``/``external`` insist on that provider.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from stackcheck._exceptions import UsageError
from stackcheck.catalog import SUITES, SuiteName, breaker, drills
from stackcheck.extras import SERVICE_CLIENTS, missing
from stackcheck.infra.base import ProviderKind, ServiceName
from stackcheck.infra.external import expand_env, external_postgres, external_redis
from stackcheck.infra.images import resolve_image
from stackcheck.profile.models import Profile
from stackcheck.settings import Settings

__all__ = ["choose_provider", "launch_needs", "needed_services", "preflight", "server_config"]

_SERVICES: tuple[ServiceName, ...] = ("postgres", "redis")
_PLACEHOLDER_OF: dict[ServiceName, str] = {"postgres": "{postgres_dsn}", "redis": "{redis_url}"}
_HOW_DOCKER = "start the engine (sudo fixtures/images/ensure-docker.sh)"
_HOW_IMAGES = (
    "build local images (sudo fixtures/images/build_images.py) and set "
    "STACKCHECK_POSTGRES_IMAGE=stackcheck/postgres:17 STACKCHECK_REDIS_IMAGE=stackcheck/redis:7"
)


def launch_needs(profile: Profile) -> set[ServiceName]:
    """The services ``service.command`` (or its ``env``) is wired to: ``{postgres_dsn}``, ``{redis_url}``."""
    if profile.service is None:
        return set()
    text = " ".join([*profile.service.command, *profile.service.env.values()])
    return {service for service, placeholder in _PLACEHOLDER_OF.items() if placeholder in text}


def _launches(profile: Profile, suites: set[str], target: str | None) -> bool:
    """Whether the run starts ``service.command``: the readiness drill and the resilience drills always do;
    any other check that talks to the service does when no target URL is given."""
    if profile.service is None:
        return False
    if "health" in suites and profile.health is not None and profile.health.ready_dependencies:
        return True
    if "drills" in suites and drills.SIGTERM.skip_reason_for(profile) is None:
        return True  # the SIGTERM drill launches a service of its own, wired like the others
    if "drills" in suites and any(spec.skip_reason_for(profile) is None for spec in breaker.CHECKS):
        return True  # the resilience drills launch the service behind toxiproxy, wired like the others
    return target is None and any(
        spec.needs_target and spec.skip_reason_for(profile) is None
        for suite in suites
        for spec in SUITES.get(SuiteName(suite), ())
        if suite in SUITES
    )


def needed_services(profile: Profile, suites: Sequence[str], target: str | None = None) -> list[ServiceName]:
    """The services a run of ``suites`` (empty: every suite) needs that the profile configures.

    One decision for the CLI's preflight and the suites' session: a service is needed by its own suite
    (``postgres``, ``redis``), by the readiness drill (``health.ready_dependencies``), by the Redis
    persistence drill (``redis.appendonly: true``), and by the service
    stackcheck launches when ``service.command`` is wired to it (see :func:`launch_needs`). ``target`` is
    the resolved target URL (``None``: the service under test is launched from ``service.command``).
    """
    chosen = set(suites) if suites else {str(s) for s in SUITES}
    wanted: set[ServiceName] = {s for s in _SERVICES if s in chosen}
    if "health" in chosen and profile.health is not None:
        wanted.update(d for d in _SERVICES if d in profile.health.ready_dependencies)
    backup = profile.backup
    if (
        "drills" in chosen
        and backup is not None
        and backup.fresh is not None
        and backup.mechanism != "pgbackrest"
    ):
        wanted.add("postgres")  # drill.backup_fresh reads the run's Postgres (pg_stat_archiver)
    if "drills" in chosen and profile.redis is not None and profile.redis.appendonly:
        wanted.add("redis")  # the persistence drill kills and restarts the run's Redis
    if _launches(profile, chosen, target):
        wanted.update(launch_needs(profile))
    return [s for s in _SERVICES if s in wanted and getattr(profile, s) is not None]


def server_config(profile: Profile, service: ServiceName, environ: Mapping[str, str]) -> dict[str, str]:
    """The section's ``server_config`` as server text, ``${VAR}`` expanded (missing variable: UsageError)."""
    section = profile.postgres if service == "postgres" else profile.redis
    if section is None:
        return {}
    out: dict[str, str] = {}
    for key, value in section.server_config.items():
        if isinstance(value, bool):
            text = ("on" if value else "off") if service == "postgres" else ("yes" if value else "no")
        else:
            text = str(value)
        out[key] = expand_env(text, environ, f"{service}.server_config.{key}")
    return out


def _docker_problem(profile: Profile, services: Sequence[ServiceName], settings: Settings) -> str | None:
    absent = missing("docker") or missing("testcontainers")  # the data extra: not installed, not usable
    if absent:
        return absent
    from stackcheck.infra.docker import engine_problem, image_problem  # the docker SDK only when needed

    problem = engine_problem()
    if problem:
        return problem
    for service in services:
        section = profile.postgres if service == "postgres" else profile.redis
        image = resolve_image(service, section.image if section else None, settings)
        problem = image_problem(image)
        if problem:
            return problem
    return None


def choose_provider(settings: Settings, profile: Profile, services: Sequence[ServiceName]) -> ProviderKind:
    """The provider ``settings.infra`` asks for (``auto``: the first that can serve ``services``), or
    :class:`UsageError` naming what is missing and how to get it."""
    from stackcheck.infra.local import local_problem

    infra, environ = settings.infra, settings.environ
    for service in services:
        server_config(profile, service, environ)  # a missing ${VAR} is a usage error for every provider
    if infra == "external":
        if profile.postgres is not None and "postgres" in services:
            external_postgres(profile.postgres, environ)
        if profile.redis is not None and "redis" in services:
            external_redis(profile.redis, environ)
        return "external"
    if infra == "docker":
        absent = missing("docker") or missing("testcontainers")
        if absent:  # asked for by name: the whole command cannot run (exit 2), whatever the suites need
            raise UsageError(f"--infra docker: {absent}")
        problem = _docker_problem(profile, services, settings) if services else None
        if problem:
            hint = _HOW_IMAGES if problem.startswith("image") else _HOW_DOCKER
            raise UsageError(f"--infra docker: {problem}", f"{hint}, or use --infra local")
        return "docker"
    if infra == "local":
        problem = local_problem(services)
        if problem:
            raise UsageError(f"--infra local: {problem}", "install them, or use --infra docker")
        return "local"
    if infra != "auto":
        raise UsageError(f"unknown --infra {infra!r}", "choose auto, docker, local or external")
    if not services:
        return "docker"
    docker_problem = _docker_problem(profile, services, settings)
    if docker_problem is None:
        return "docker"
    local = local_problem(services)
    if local is None:
        return "local"
    raise UsageError(
        f"nothing can provide {' and '.join(services)}: {docker_problem}; {local}",
        f"{_HOW_DOCKER}; or install the binaries; or verify existing servers with --infra external",
    )


def preflight(settings: Settings, profile: Profile, suites: Sequence[str], target: str | None) -> None:
    """Raise :class:`UsageError` before anything runs when no provider can serve the selected suites.

    ``suites`` are the selected suite names (empty: all), ``target`` the resolved target URL. Unreachable
    external servers are not a usage error: they surface as ``error`` outcomes (exit 3) when checks run.
    """
    services = needed_services(profile, suites, target)
    if services and settings.infra == "auto" and any(missing(SERVICE_CLIENTS[s]) for s in services):
        return  # without the data extra nothing will start: the checks say which extra, as `error`
    if services:
        choose_provider(settings, profile, services)
