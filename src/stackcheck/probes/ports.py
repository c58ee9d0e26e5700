"""Whether a TCP port accepts a connection: one connect per port, bounded in time, nothing sent.

Used by ``exposure.closed_ports``: the target's database and cache ports must not accept a connection
from where stackcheck runs. Only the target's host is ever contacted (the loopback guard of the target
applies: a remote host needs ``--allow-remote``). A refused connection and one nobody answers within the
timeout both mean "not reachable from here"; only an established TCP handshake counts as open.
"""

from __future__ import annotations

import errno
import socket
from dataclasses import dataclass
from enum import StrEnum

__all__ = ["PortState", "Reach", "reach"]


class PortState(StrEnum):
    """What one connection attempt showed."""

    OPEN = "open"  # the handshake completed
    REFUSED = "refused"  # RST: nothing listens there for us
    SILENT = "silent"  # no answer within the timeout (filtered)
    UNREACHABLE = "unreachable"  # the host or network is unreachable from here


@dataclass(frozen=True)
class Reach:
    """One port's state and the time it took to learn it."""

    port: int
    state: PortState
    detail: str = ""


def reach(host: str, port: int, timeout_s: float = 2.0) -> Reach:
    """Try one TCP connection to ``host:port`` and close it at once; send nothing."""
    try:
        with socket.create_connection((host, port), timeout=timeout_s):
            return Reach(port, PortState.OPEN)
    except ConnectionRefusedError:
        return Reach(port, PortState.REFUSED)
    except TimeoutError:
        return Reach(port, PortState.SILENT, f"no answer within {timeout_s:g} s")
    except OSError as exc:
        if exc.errno in (errno.EHOSTUNREACH, errno.ENETUNREACH):
            return Reach(port, PortState.UNREACHABLE, exc.strerror or "")
        raise
