"""Clients with a chosen source address: a second client IP on loopback, for the per-IP rate-limit check.

On Linux all of 127.0.0.0/8 is local, so a client bound to 127.0.0.2 reaches a server on 127.0.0.1 and the
server sees a different peer address. Elsewhere (or for remote and IPv6 targets) the source cannot vary and
:func:`alternate_source` says why.
"""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit

import httpx

from stackcheck.probes.http import HttpProbe, client_tls_context

__all__ = ["alternate_source", "alternate_sources", "bound_probe"]


def alternate_source(base_url: str) -> tuple[str | None, str]:
    """``(address, "")`` of a second loopback source address for ``base_url``, or ``(None, reason)``."""
    sources, reason = alternate_sources(base_url, 1)
    return (sources[0], "") if sources else (None, reason)


def alternate_sources(base_url: str, count: int = 2) -> tuple[list[str], str]:
    """Up to ``count`` further loopback source addresses for ``base_url`` (``([], reason)`` when none)."""
    host = (urlsplit(base_url).hostname or "").strip("[]")
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return [], f"target host {host!r} is a name: use the IPv4 loopback address (https://127.0.0.1:PORT)"
    if address.version != 4 or not address.is_loopback:
        return (
            [],
            f"target {host} is not an IPv4 loopback address: a second client address is not available",
        )
    found: list[str] = []
    for candidate in ("127.0.0.2", "127.0.0.3", "127.0.0.4")[: count + 1]:
        if candidate == host or len(found) == count:
            continue
        try:
            with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
                sock.bind((candidate, 0))
        except OSError as exc:
            if found:
                break
            return [], f"cannot bind a client to {candidate} on this machine ({exc.strerror})"
        found.append(candidate)
    return (found, "") if found else ([], "no second loopback address available")


def bound_probe(base_url: str, source: str, *, timeout_s: float, verify: str | bool) -> HttpProbe:
    """An :class:`HttpProbe` whose connections leave from ``source``."""
    # The same TLS client as every HTTP probe (probes/http.py): the second address must be able to talk to
    # whatever the first one could, legacy suites included.
    transport = httpx.HTTPTransport(local_address=source, verify=client_tls_context(verify))
    return HttpProbe(base_url, timeout_s=timeout_s, transport=transport)  # TLS settings live in the transport
