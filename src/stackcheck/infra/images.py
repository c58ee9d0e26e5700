"""Which image to run, and the command line each image family needs (docker provider).

Image name: the profile's ``image`` key, else ``$STACKCHECK_POSTGRES_IMAGE`` / ``$STACKCHECK_REDIS_IMAGE``,
else the official image a user with internet access would pull. Families differ in how they start:

* ``stackcheck`` — our local images (``fixtures/images``): the ``stackcheck-postgres`` entry script;
* ``official`` — the official ``postgres`` image and its derivatives (``timescale/timescaledb-ha``,
  ``timescale/timescaledb``, ``pgvector/pgvector``): ``docker-entrypoint.sh postgres -c ...``.

Every container uses host networking and listens on 127.0.0.1 only, on a port chosen for it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from stackcheck.infra.base import ServiceName
from stackcheck.settings import ENV_POSTGRES_IMAGE, ENV_REDIS_IMAGE, Settings

__all__ = [
    "DEFAULT_IMAGES",
    "ENV_IMAGE",
    "ContainerPlan",
    "PostgresFamily",
    "postgres_family",
    "postgres_plan",
    "postgres_settings_args",
    "redis_args",
    "redis_config_text",
    "redis_plan",
    "render_value",
    "resolve_image",
]

# What a user with internet access gets: TimescaleDB's HA image also carries pgvector.
DEFAULT_IMAGES: dict[ServiceName, str] = {
    "postgres": "timescale/timescaledb-ha:pg17",
    "redis": "redis:7",
}
ENV_IMAGE: dict[ServiceName, str] = {"postgres": ENV_POSTGRES_IMAGE, "redis": ENV_REDIS_IMAGE}
# TimescaleDB must not phone home from a throwaway server; harmless (a placeholder) without the extension.
_POSTGRES_ALWAYS = {"timescaledb.telemetry_level": "off"}


class PostgresFamily(StrEnum):
    """How a Postgres image expects to be started."""

    STACKCHECK = "stackcheck"
    OFFICIAL = "official"


@dataclass(frozen=True)
class ContainerPlan:
    """Everything needed to create one container."""

    image: str
    command: list[str]
    env: dict[str, str] = field(default_factory=dict)
    stop_signal: str = "SIGTERM"


def resolve_image(service: ServiceName, profile_image: str | None, settings: Settings) -> str:
    """Profile key, else the setting (``$STACKCHECK_POSTGRES_IMAGE``...), else the official default."""
    configured = settings.postgres_image if service == "postgres" else settings.redis_image
    return profile_image or configured or DEFAULT_IMAGES[service]


def postgres_family(image_config: Mapping[str, object]) -> PostgresFamily:
    """Tell the family from the image's ``Config`` (its default command), not from its name."""
    cmd = image_config.get("Cmd") or []
    entry = image_config.get("Entrypoint") or []
    words = [
        str(w) for w in (*(entry if isinstance(entry, list) else []), *(cmd if isinstance(cmd, list) else []))
    ]
    if any(w.rsplit("/", 1)[-1] == "stackcheck-postgres" for w in words):
        return PostgresFamily.STACKCHECK
    return PostgresFamily.OFFICIAL


def render_value(value: str | int | float | bool) -> str:
    """Profile scalars as server configuration text (``true`` → ``on`` for Postgres-style booleans)."""
    if isinstance(value, bool):
        return "on" if value else "off"
    return str(value)


def postgres_settings_args(config: Mapping[str, str]) -> list[str]:
    """``{"shared_buffers": "256MB"}`` → ``["-c", "shared_buffers=256MB"]`` (always with telemetry off)."""
    args: list[str] = []
    for key, value in {**_POSTGRES_ALWAYS, **config}.items():
        args += ["-c", f"{key}={value}"]
    return args


def postgres_plan(
    image: str,
    family: PostgresFamily,
    *,
    port: int,
    user: str,
    password: str,
    database: str,
    config: Mapping[str, str],
) -> ContainerPlan:
    """The container for a throwaway Postgres on 127.0.0.1:``port`` with a password-protected user."""
    env = {
        "PGPORT": str(port),  # the official entrypoint's init-time server and psql use it too
        "POSTGRES_USER": user,
        "POSTGRES_PASSWORD": password,
        "POSTGRES_DB": database,
    }
    settings = postgres_settings_args(config)
    if family is PostgresFamily.STACKCHECK:
        # The entry script adds port, listen address, socket dir and the preload list itself.
        return ContainerPlan(image, ["stackcheck-postgres", *settings], env, "SIGINT")
    base = ["-c", f"port={port}", "-c", "listen_addresses=127.0.0.1"]
    # SIGINT is PostgreSQL's fast shutdown (SIGTERM waits for every session to end).
    return ContainerPlan(image, ["postgres", *base, *settings], env, "SIGINT")


def redis_args(config: Mapping[str, str]) -> list[str]:
    """``{"appendonly": "yes"}`` → ``["--appendonly", "yes"]``; multi-word values stay one argument."""
    args: list[str] = []
    for key, value in config.items():
        args += [f"--{key}", value]
    return args


def redis_plan(
    image: str, *, port: int, config: Mapping[str, str], extra: Sequence[str] = ()
) -> ContainerPlan:
    """The container for a throwaway Redis on 127.0.0.1:``port`` (same command for both families)."""
    command = ["redis-server", "--port", str(port), "--bind", "127.0.0.1", *extra, *redis_args(config)]
    return ContainerPlan(image, command, {}, "SIGTERM")


def redis_config_text(config: Mapping[str, str | int | float | bool]) -> dict[str, str]:
    """Profile values as Redis spells them (booleans are ``yes``/``no``)."""
    return {k: ("yes" if v else "no") if isinstance(v, bool) else str(v) for k, v in config.items()}
