"""Reading a Redis server's configuration the way managed services allow, and Redis' memory units.

``INFO`` works everywhere (ElastiCache and other managed services rename or block ``CONFIG``), so checks read
``INFO`` first and use ``CONFIG GET`` only for what ``INFO`` does not show (``appendfsync``, ``save``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import redis
from redis.backoff import NoBackoff
from redis.connection import parse_url
from redis.retry import Retry

from stackcheck._exceptions import CouldNotCheck, ErrorReason

__all__ = [
    "AclUser",
    "acl_user",
    "config_get",
    "format_size",
    "parse_redis_size",
    "session_user",
    "unauthenticated_client",
]

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


@dataclass(frozen=True)
class AclUser:
    """What ``ACL GETUSER`` says of one user (its flags only: never its password hashes)."""

    name: str
    flags: tuple[str, ...]

    @property
    def enabled(self) -> bool:
        """``on``: the user may log in (``off`` refuses every AUTH and HELLO as it)."""
        return "on" in self.flags

    @property
    def nopass(self) -> bool:
        """``nopass``: any password logs in as it."""
        return "nopass" in self.flags


def _text(value: object) -> str:
    return value.decode(errors="replace") if isinstance(value, bytes) else str(value)


def acl_user(client: redis.Redis, name: str) -> AclUser | None:
    """``ACL GETUSER name``; ``None`` when there is no such user. A server that does not let this client run
    it (``NOPERM``, a provider that renamed or blocked ``ACL``, Redis before 6) is :class:`CouldNotCheck`:
    what the ACL holds is then unknown, never non-compliant."""
    try:
        reply: Any = client.acl_getuser(name)
    except redis.exceptions.NoPermissionError as exc:
        raise CouldNotCheck(
            f"the server refuses ACL GETUSER to stackcheck's user ({exc}); log in as a user allowed "
            "+acl|getuser (or +@admin) to read the ACL",
            ErrorReason.ACCESS_DENIED,
        ) from None
    except redis.ResponseError as exc:
        raise CouldNotCheck(
            f"the server does not answer ACL GETUSER ({exc}): no ACL (Redis < 6), or the provider renamed"
            " or blocked the command",
            ErrorReason.ACCESS_DENIED,
        ) from None
    if reply is None:
        return None
    if not isinstance(reply, dict):
        raise CouldNotCheck(
            f"ACL GETUSER {name} answered {type(reply).__name__}, not a user", ErrorReason.UNEXPECTED_ANSWER
        )
    raw = reply.get("flags", reply.get(b"flags", []))
    return AclUser(name=name, flags=tuple(_text(f) for f in raw or ()))


def session_user(client: redis.Redis) -> str | None:
    """``ACL WHOAMI``: the user this client is logged in as; ``None`` when the server does not say."""
    try:
        return _text(client.execute_command("ACL", "WHOAMI"))  # type: ignore[no-untyped-call]
    except redis.ResponseError:
        return None
