"""A login as a client with ``sslmode=verify-ca|verify-full`` would make it: does the server's certificate
validate for the CA clients trust and the host name they use?

libpq does the validation (what every client library built on it does); this module only tells its
refusals apart: a certificate or TLS handshake the client's rules reject is the finding (the check fails),
while an unreachable server, a refused login or a CA file the verifier lacks is :class:`CouldNotCheck`.
"""

from __future__ import annotations

import ipaddress
import socket
from dataclasses import dataclass
from typing import Any

import psycopg
from psycopg.conninfo import conninfo_to_dict

from stackcheck._exceptions import CouldNotCheck, ErrorReason
from stackcheck.probes.postgres import login_failure

__all__ = ["ClientTls", "client_tls_login", "tls_refusal"]

# libpq's words when its TLS rules refuse the server (fe-secure-openssl.c, fe-connect.c).
_REFUSALS = (
    "certificate verify failed",
    "does not match host name",
    "server does not support ssl",
    "ssl error:",
    "could not get server's host name from server certificate",
    "server certificate for",
)
_CLIENT_SIDE = ("root certificate file", "could not read root certificate", "could not load ssl certificate")


def tls_refusal(message: str) -> str | None:
    """The reason libpq's TLS rules refused the server, from its error text; ``None`` for anything else
    (an unreachable server, a refused login). ``SSL SYSCALL`` (the connection dropped mid-handshake) is not a
    refusal: nothing was judged."""
    lowered = message.lower()
    if "ssl syscall" in lowered or not any(marker in lowered for marker in _REFUSALS):
        return None
    line = next((line for line in message.splitlines() if any(m in line.lower() for m in _REFUSALS)), message)
    return line.rsplit(" failed: ", 1)[-1].strip()


@dataclass(frozen=True)
class ClientTls:
    """What a client with the profile's sslmode saw."""

    sslmode: str
    host: str
    connected: bool
    refusal: str | None = None
    protocol: str | None = None
    cipher: str | None = None


def _parameters(dsn: str, sslmode: str, ca_bundle: str | None, server_name: str | None) -> dict[str, Any]:
    params: dict[str, Any] = {"sslmode": sslmode}
    if ca_bundle:
        params["sslrootcert"] = ca_bundle
    if server_name:
        # libpq verifies the certificate against `host` and connects to `hostaddr` when both are given: the
        # name clients use is checked without resolving it (it may exist only inside the team's network).
        info = conninfo_to_dict(dsn)
        host, port = str(info.get("host") or ""), str(info.get("port") or "5432")
        if "," in host or host.startswith("/"):
            raise CouldNotCheck(
                f"postgres.server_name needs one TCP host in the DSN, not {host or 'a socket'!r}",
                ErrorReason.MISCONFIGURED,
            )
        params["host"] = server_name
        params["hostaddr"] = str(info.get("hostaddr") or _address_of(host or "localhost", port))
    return params


def _address_of(host: str, port: str) -> str:
    try:
        return str(ipaddress.ip_address(host))
    except ValueError:
        pass
    try:
        found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except OSError as exc:
        raise CouldNotCheck(f"cannot resolve the DSN's host {host}: {exc}", ErrorReason.UNREACHABLE) from None
    return str(found[0][4][0])


def client_tls_login(
    dsn: str, display: str, sslmode: str, ca_bundle: str | None, server_name: str | None
) -> ClientTls:
    """Log in with ``dsn`` as a client with ``sslmode`` (and ``ca_bundle``, ``server_name``) would."""
    params = _parameters(dsn, sslmode, ca_bundle, server_name)
    host = params.get("host") or str(conninfo_to_dict(dsn).get("host") or "localhost")
    try:
        conn = psycopg.connect(dsn, autocommit=True, connect_timeout=10, prepare_threshold=None, **params)
    except psycopg.OperationalError as exc:
        text = str(exc)
        if any(marker in text.lower() for marker in _CLIENT_SIDE):
            reason = text.splitlines()[0].rsplit(" failed: ", 1)[-1]
            raise CouldNotCheck(
                f"stackcheck has no CA file to verify the server with ({reason}); set postgres.ca_bundle to"
                " the CA clients trust",
                ErrorReason.MISCONFIGURED,
            ) from None
        refusal = tls_refusal(text)
        if refusal is None:
            raise login_failure(exc, display) from None
        return ClientTls(sslmode=sslmode, host=host, connected=False, refusal=refusal)
    with conn:
        if conn.info.host.startswith("/"):
            raise CouldNotCheck(
                f"the DSN connects over a Unix socket ({conn.info.host}), where libpq never uses TLS: "
                "give a TCP host to judge postgres.sslmode",
                ErrorReason.MISCONFIGURED,
            )
        row = conn.execute(
            "SELECT ssl, version, cipher FROM pg_stat_ssl WHERE pid = pg_backend_pid()"
        ).fetchone()
    in_use = bool(row and row[0])
    return ClientTls(
        sslmode=sslmode,
        host=host,
        connected=in_use,
        refusal=None if in_use else "the session is not encrypted",
        protocol=str(row[1]) if row and row[1] else None,
        cipher=str(row[2]) if row and row[2] else None,
    )
