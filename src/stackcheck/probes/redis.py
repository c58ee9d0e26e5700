"""Reading a Redis server's configuration the way managed services allow, and Redis' memory units.

``INFO`` works everywhere (ElastiCache and other managed services rename or block ``CONFIG``), so checks read
``INFO`` first and use ``CONFIG GET`` only for what ``INFO`` does not show (``appendfsync``, ``save``).
"""

from __future__ import annotations

import re
from typing import Any

import redis
from redis.backoff import NoBackoff
from redis.connection import parse_url
from redis.retry import Retry

from stackcheck._exceptions import CouldNotCheck, ErrorReason

__all__ = ["config_get", "format_size", "parse_redis_size", "unauthenticated_client"]

# Redis' own units (redis.conf): k/m/g are powers of 1000, kb/mb/gb powers of 1024.
_UNITS = {"": 1, "b": 1, "k": 1000, "kb": 1024, "m": 1000**2, "mb": 1024**2, "g": 1000**3, "gb": 1024**3}
_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([a-zA-Z]*)\s*$")


def parse_redis_size(value: str | int) -> int:
    """``"2gb"`` → 2147483648, ``"100mb"`` → 104857600, ``"1g"`` → 10**9; ``ValueError`` otherwise."""
    if isinstance(value, int):
        return value
    match = _SIZE.match(value)
    unit = match.group(2).lower() if match else ""
    if not match or unit not in _UNITS:
        raise ValueError(f"{value!r} is not a Redis memory size (write e.g. 2gb, 512mb or a number of bytes)")
    return int(float(match.group(1)) * _UNITS[unit])


def format_size(size: int, like: str | int) -> str:
    """``size`` bytes in the unit of ``like`` (so evidence reads ``expected 2gb, observed 1gb``); ``0`` is
    Redis's "no limit", said so (``maxmemory is 0gb`` read as a tiny limit)."""
    if size == 0:
        return "0 (no limit)"
    if isinstance(like, int):
        return str(size)
    match = _SIZE.match(like)
    unit = match.group(2) if match else ""
    factor = _UNITS.get(unit.lower(), 1)
    value = size / factor
    return f"{value:g}{unit}" if value == int(value) else f"{value:.3f}{unit}"


def config_get(client: redis.Redis, name: str) -> str:
    """``CONFIG GET name``; :class:`CouldNotCheck` when the server does not allow ``CONFIG``."""
    try:
        reply: Any = client.config_get(name)
    except redis.ResponseError as exc:
        raise CouldNotCheck(
            f"the server refuses CONFIG GET {name} ({exc}); it cannot be read here", ErrorReason.ACCESS_DENIED
        ) from None
    value = reply.get(name) if isinstance(reply, dict) else None
    if value is None:
        raise CouldNotCheck(f"the server reports no {name} setting", ErrorReason.UNEXPECTED_ANSWER)
    return value.decode() if isinstance(value, bytes) else str(value)


def unauthenticated_client(url: str, timeout_s: float = 5.0) -> redis.Redis:
    """A client for the same server, database and TLS mode as ``url``, without any credentials."""
    kwargs: dict[str, Any] = parse_url(url)  # type: ignore[no-untyped-call]
    kwargs.pop("username", None)
    kwargs.pop("password", None)
    connection_class = kwargs.pop("connection_class", None)
    if connection_class is redis.SSLConnection:
        kwargs["ssl"] = True
    if "path" in kwargs:
        kwargs["unix_socket_path"] = kwargs.pop("path")
    # RESP2: the probe's first command is the PING itself (RESP3 would open with HELLO); no retries.
    return redis.Redis(
        **kwargs,
        protocol=2,
        retry=Retry(NoBackoff(), 0),
        socket_connect_timeout=timeout_s,
        socket_timeout=timeout_s,
    )
