"""``--infra external``: the servers named in the profile (staging), credentials from the environment.

``postgres.dsn: postgresql://app:${PGPASSWORD}@db.staging.internal:5432/app`` — every ``${VAR}`` is read
from the environment when the run starts; a variable that is not set is one clear usage error naming it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from stackcheck._exceptions import UsageError
from stackcheck.infra.base import PostgresServer, RedisServer
from stackcheck.profile.models import PostgresSection, RedisSection

__all__ = ["expand_env", "external_postgres", "external_redis"]

_VAR = re.compile(r"\$\{([^}]*)\}")
_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def expand_env(text: str, environ: Mapping[str, str], key: str) -> str:
    """Replace every ``${VAR}`` in ``text`` (the value of profile key ``key``) from ``environ``.

    A missing or malformed variable raises :class:`UsageError` naming the key and the variable.
    """

    def substitute(match: re.Match[str]) -> str:
        name = match.group(1)
        if not _NAME.match(name):
            raise UsageError(
                f"{key}: ${{{name}}} is not a valid environment variable reference", "write ${NAME}"
            )
        if name not in environ:
            raise UsageError(
                f"{key} uses ${{{name}}}, but the environment variable {name} is not set",
                f"export {name}=... before running stackcheck",
            )
        return environ[name]

    return _VAR.sub(substitute, text)


def external_postgres(section: PostgresSection, environ: Mapping[str, str]) -> PostgresServer:
    """The profile's Postgres (``postgres.dsn``); never started, stopped or migrated by stackcheck."""
    if not section.dsn:
        raise UsageError(
            "--infra external needs postgres.dsn in the profile",
            "e.g. dsn: postgresql://app:${PGPASSWORD}@db.staging.internal:5432/app",
        )
    dsn = expand_env(section.dsn, environ, "postgres.dsn")
    server = PostgresServer(version=None, provider="external", where="", dsn=dsn)
    return PostgresServer(version=None, provider="external", where=f"external {server.display}", dsn=dsn)


def external_redis(section: RedisSection, environ: Mapping[str, str]) -> RedisServer:
    """The profile's Redis (``redis.url``); never started or stopped by stackcheck."""
    if not section.url:
        raise UsageError(
            "--infra external needs redis.url in the profile",
            "e.g. url: redis://:${REDIS_PASSWORD}@cache.staging.internal:6379/0",
        )
    url = expand_env(section.url, environ, "redis.url")
    server = RedisServer(version=None, provider="external", where="", url=url)
    return RedisServer(version=None, provider="external", where=f"external {server.display}", url=url)
