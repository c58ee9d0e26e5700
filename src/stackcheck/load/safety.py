"""Where load may be sent: loopback only, unless the user says ``--allow-remote``."""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit

from stackcheck._exceptions import UsageError

__all__ = ["is_loopback_host", "require_loopback"]


def _is_loopback_ip(text: str) -> bool | None:
    """True/False for an IP literal, ``None`` for a host name."""
    try:
        ip = ipaddress.ip_address(text.strip("[]").split("%")[0])
    except ValueError:
        return None
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        return ip.ipv4_mapped.is_loopback
    return ip.is_loopback


def is_loopback_host(host: str) -> bool:
    """Whether every address ``host`` stands for is a loopback address (127.0.0.0/8, ::1).

    A name is resolved locally (``/etc/hosts`` or DNS); nothing is sent to the host itself.
    """
    literal = _is_loopback_ip(host)
    if literal is not None:
        return literal
    try:
        infos = socket.getaddrinfo(host, None, proto=socket.IPPROTO_TCP)
    except (socket.gaierror, UnicodeError):
        raise UsageError(
            f"cannot resolve the target host {host!r}", "check the URL, or use an IP address"
        ) from None
    return bool(infos) and all(_is_loopback_ip(str(info[4][0])) for info in infos)


def require_loopback(url: str, allow_remote: bool, what: str = "target") -> None:
    """Refuse (``UsageError``, exit 2) to send load to a non-loopback host unless ``allow_remote``."""
    parts = urlsplit(url if "://" in url else f"tcp://{url}")
    host = parts.hostname
    if not host:
        raise UsageError(f"{what} {url!r} has no host", "e.g. --target http://127.0.0.1:8080")
    if allow_remote or is_loopback_host(host):
        return
    raise UsageError(
        f"{what} host {host!r} is not a loopback address: load is sent only to 127.0.0.0/8 or ::1",
        "pass --allow-remote if you mean to load-test that host",
    )
