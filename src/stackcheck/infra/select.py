"""Choose who provides Postgres and Redis for a run (``--infra``), and fail early when nobody can.

``auto``: Docker when an engine answers and the images are available, else local binaries, else one usage
error that says what is missing and how to get it. ``docker``/``local``/``external`` insist on that provider.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence

from stackcheck._exceptions import UsageError
from stackcheck.infra.base import ProviderKind, ServiceName
from stackcheck.infra.external import expand_env, external_postgres, external_redis
from stackcheck.infra.images import resolve_image
from stackcheck.profile.models import Profile

__all__ = ["choose_provider", "needed_services", "preflight", "server_config"]

_SERVICES: tuple[ServiceName, ...] = ("postgres", "redis")
_HOW_DOCKER = "start the engine (sudo fixtures/images/ensure-docker.sh)"
_HOW_IMAGES = (
    "build local images (sudo fixtures/images/build_images.py) and set "
    "STACKCHECK_POSTGRES_IMAGE=stackcheck/postgres:17 STACKCHECK_REDIS_IMAGE=stackcheck/redis:7"
)


def needed_services(profile: Profile, suites: Sequence[str]) -> list[ServiceName]:
    """The services the selected suites need (no suites given = every suite) that the profile configures."""
    chosen = set(suites) if suites else set(_SERVICES)
    return [s for s in _SERVICES if s in chosen and getattr(profile, s) is not None]


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


def _docker_problem(
    profile: Profile, services: Sequence[ServiceName], environ: Mapping[str, str]
) -> str | None:
    from stackcheck.infra.docker import engine_problem, image_problem  # the docker SDK only when needed

    problem = engine_problem()
    if problem:
        return problem
    for service in services:
        section = profile.postgres if service == "postgres" else profile.redis
        image = resolve_image(service, section.image if section else None, environ)
        problem = image_problem(image)
        if problem:
            return problem
    return None


def choose_provider(
    infra: str, profile: Profile, services: Sequence[ServiceName], environ: Mapping[str, str]
) -> ProviderKind:
    """The provider for this run, or :class:`UsageError` naming what is missing and how to get it."""
    from stackcheck.infra.local import local_problem

    for service in services:
        server_config(profile, service, environ)  # a missing ${VAR} is a usage error for every provider
    if infra == "external":
        if profile.postgres is not None and "postgres" in services:
            external_postgres(profile.postgres, environ)
        if profile.redis is not None and "redis" in services:
            external_redis(profile.redis, environ)
        return "external"
    if infra == "docker":
        problem = _docker_problem(profile, services, environ) if services else None
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
    docker_problem = _docker_problem(profile, services, environ)
    if docker_problem is None:
        return "docker"
    local = local_problem(services)
    if local is None:
        return "local"
    raise UsageError(
        f"nothing can provide {' and '.join(services)}: {docker_problem}; {local}",
        f"{_HOW_DOCKER}; or install the binaries; or verify existing servers with --infra external",
    )


def preflight(
    infra: str, profile: Profile, suites: list[str], environ: Mapping[str, str] | None = None
) -> None:
    """Raise :class:`UsageError` before anything runs when no provider can serve the selected suites.

    ``suites`` are the ``--suite`` names (empty: all). Unreachable external servers are not a usage
    error: they surface as ``error`` outcomes (exit 3) when the checks run.
    """
    services = needed_services(profile, suites)
    if services:
        choose_provider(infra, profile, services, os.environ if environ is None else environ)
