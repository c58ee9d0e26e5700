"""Is a target on this machine? Load and rate-limit probes refuse other hosts unless ``--allow-remote``."""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit

from stackcheck._exceptions import UsageError

__all__ = ["is_loopback_host", "require_loopback"]


def is_loopback_host(host: str) -> bool:
    """``True`` when every address ``host`` names is a loopback address (127.0.0.0/8, ::1).

    A name is resolved (no traffic goes to the host itself); a name that does not resolve is not loopback.
    """
    host = host.strip("[]")
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        pass
    try:
        infos = socket.getaddrinfo(host, None)
    except OSError:
        return False
    addresses = {info[4][0] for info in infos}
    return bool(addresses) and all(ipaddress.ip_address(str(a).split("%")[0]).is_loopback for a in addresses)


def require_loopback(url: str, allow_remote: bool, what: str) -> None:
    """Raise :class:`UsageError` when ``url`` is not on loopback and ``--allow-remote`` was not given."""
    host = urlsplit(url).hostname or ""
    if allow_remote or is_loopback_host(host):
        return
    raise UsageError(
        f"{what} would send a burst of requests to {host}, which is not a loopback address",
        "pass --allow-remote to probe a remote target on purpose",
    )
