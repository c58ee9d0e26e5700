"""Readiness probes: a real login and query, the same for every provider and image family.

Log lines differ between images (the official Postgres image prints "ready to accept connections" twice,
once for its init-only server), so readiness is decided by the protocol itself.
"""

from __future__ import annotations

__all__ = ["postgres_version", "redis_version"]


def postgres_version(dsn: str, timeout_s: float = 2.0) -> str | None:
    """The server version if a login and ``SHOW server_version`` succeed now, else ``None``."""
    import psycopg  # the data extra: imported where used (stackcheck.extras)

    try:
        with psycopg.connect(
            dsn, connect_timeout=max(1, int(timeout_s)), autocommit=True, prepare_threshold=None
        ) as conn:
            row = conn.execute("SHOW server_version").fetchone()
    except psycopg.Error:
        return None
    return str(row[0]).split()[0] if row else None


def redis_version(url: str, timeout_s: float = 2.0) -> str | None:
    """The server version if ``INFO server`` succeeds now (authenticated as the URL says), else ``None``."""
    import redis

    client = redis.Redis.from_url(url, socket_connect_timeout=timeout_s, socket_timeout=timeout_s)
    try:
        info = client.info("server")
    except (redis.RedisError, OSError):
        return None
    finally:
        client.close()
    return str(info.get("redis_version")) if info.get("redis_version") else None
