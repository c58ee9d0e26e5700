"""Loopback: is a target on this machine, and a free port on it.

One rule for every probe that sends bursts or load (the rate-limit probe, ``stackcheck load``, a Locust
master address): a host is loopback when every address it stands for is in 127.0.0.0/8 or is ``::1``; an
IPv4-mapped IPv6 address (``::ffff:127.0.0.1``) counts as the IPv4 address it maps. A name is resolved
locally (``/etc/hosts`` or DNS); nothing is sent to the host itself. A name that does not resolve is not
loopback.
"""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

from stackcheck._exceptions import UsageError

__all__ = [
    "BURST_REFUSAL",
    "LOAD_REFUSAL",
    "Refusal",
    "free_port",
    "is_loopback_host",
    "require_loopback",
]


@dataclass(frozen=True)
class Refusal:
    """How a caller words the refusal: ``line`` is formatted with ``what`` and ``host``."""

    line: str
    hint: str


BURST_REFUSAL = Refusal(
    "{what} would send a burst of requests to {host}, which is not a loopback address",
    "pass --allow-remote to probe a remote target on purpose",
)
LOAD_REFUSAL = Refusal(
    "{what} host {host!r} is not a loopback address: load is sent only to 127.0.0.0/8 or ::1",
    "pass --allow-remote if you mean to load-test that host",
)


def _literal_is_loopback(text: str) -> bool | None:
    """True/False for an IP literal (brackets and a zone id allowed), ``None`` for a host name."""
    try:
        ip = ipaddress.ip_address(text.strip("[]").split("%")[0])
    except ValueError:
        return None
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        return ip.ipv4_mapped.is_loopback
    return ip.is_loopback


def _resolve(host: str) -> set[str] | None:
    """The addresses ``host`` stands for, or ``None`` when it does not resolve."""
    try:
        infos = socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
    except (OSError, UnicodeError):
        return None
    return {str(info[4][0]) for info in infos}


def is_loopback_host(host: str) -> bool:
    """Whether every address ``host`` stands for is a loopback address (see the module docstring)."""
    literal = _literal_is_loopback(host)
    if literal is not None:
        return literal
    addresses = _resolve(host)
    return bool(addresses) and all(_literal_is_loopback(a) for a in addresses or ())


def require_loopback(
    url: str, allow_remote: bool, what: str = "target", refusal: Refusal = BURST_REFUSAL
) -> None:
    """Raise :class:`UsageError` (exit 2) when ``url``'s host is not loopback and ``allow_remote`` is false.

    ``url`` may be ``scheme://host:port/...`` or ``host:port``. An unresolvable name is refused as such.
    """
    host = urlsplit(url if "://" in url else f"tcp://{url}").hostname
    if not host:
        raise UsageError(f"{what} {url!r} has no host", "e.g. --target http://127.0.0.1:8080")
    if allow_remote or is_loopback_host(host):
        return
    if _literal_is_loopback(host) is None and _resolve(host) is None:
        raise UsageError(f"cannot resolve the {what} host {host!r}", "check the URL, or use an IP address")
    raise UsageError(refusal.line.format(what=what, host=host), refusal.hint)


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port nobody listens on right now on ``host`` (servers then bind it themselves)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        sock.bind((host.strip("[]"), 0))
        return int(sock.getsockname()[1])
