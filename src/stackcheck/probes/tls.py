"""TLS probe: an sslyze scan in a child process with our own timeout, and how to judge what it found.

sslyze brings its own OpenSSL builds, so it sees SSL 3.0 and TLS 1.0/1.1 that the system library refuses to
speak. The scan runs as ``python -m stackcheck.probes.sslyze_scan`` because a failing sslyze worker can hang
the scanner for ever; :func:`scan_tls` kills it after ``timeout_s`` and reports ``CouldNotCheck``.
The judging functions are pure, so they are unit-tested on recorded scans.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import json
import os
import signal
import socket
import ssl
import subprocess
import sys

from pydantic import BaseModel, ConfigDict

from stackcheck import interrupt
from stackcheck._exceptions import CouldNotCheck, ErrorReason

__all__ = [
    "PROTOCOL_ORDER",
    "CertificateFacts",
    "CipherFacts",
    "TlsScan",
    "certificate_problems",
    "cipher_weaknesses",
    "hostname_matches",
    "protocol_problems",
    "scan_tls",
    "system_ca_file",
]

PROTOCOL_ORDER = ("SSL 2.0", "SSL 3.0", "TLS 1.0", "TLS 1.1", "TLS 1.2", "TLS 1.3")


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class CipherFacts(_Frozen):
    """One cipher suite the server accepted."""

    protocol: str
    name: str
    key_size: int
    anonymous: bool = False
    ephemeral: str | None = None
    ephemeral_bits: int | None = None


class CertificateFacts(_Frozen):
    """The leaf certificate the server sent, and whether its chain validated."""

    subject: str
    issuer: str
    not_after: dt.datetime
    key_type: str
    key_bits: int
    san_dns: tuple[str, ...] = ()
    san_ip: tuple[str, ...] = ()
    trusted: bool
    validation_error: str | None = None
    chain_length: int = 1
    sha1_in_chain: bool = False
    server_name: str


class TlsScan(_Frozen):
    """What one scan found."""

    host: str
    port: int
    server_name: str
    scanned_at: dt.datetime
    protocols: dict[str, bool]
    ciphers: tuple[CipherFacts, ...] = ()
    certificate: CertificateFacts | None = None
    errors: tuple[str, ...] = ()

    @property
    def accepted(self) -> list[str]:
        """Accepted protocols, oldest first."""
        return [p for p in PROTOCOL_ORDER if self.protocols.get(p)]


def system_ca_file() -> str | None:
    """The system's CA bundle (what "trusted" means when the profile names no ``ca_bundle``)."""
    paths = ssl.get_default_verify_paths()
    for candidate in (paths.cafile, paths.openssl_cafile, "/etc/ssl/certs/ca-certificates.crt"):
        if candidate:
            try:
                with open(candidate, "rb"):
                    return candidate
            except OSError:
                continue
    return None


def tls_reachable(host: str, port: int, server_name: str | None, timeout_s: float) -> None:
    """One bounded handshake before the scan: a port that accepts and never speaks TLS is ``error`` within
    ``timeout_s``, not after the whole scan timeout. A handshake the server refuses (a cipher or protocol
    this client does not offer) is no reason to stop: the scan tries every protocol itself."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    try:
        with (
            socket.create_connection((host, port), timeout=timeout_s) as sock,
            context.wrap_socket(sock, server_hostname=server_name or host),
        ):
            return
    except TimeoutError:
        raise CouldNotCheck(
            f"{host}:{port} accepted the connection but sent no TLS handshake within {timeout_s:g} s",
            ErrorReason.TIMEOUT,
        ) from None
    except ssl.SSLError:
        return
    except OSError as exc:
        raise CouldNotCheck(
            f"cannot connect to {host}:{port}: {exc.strerror or exc}", ErrorReason.UNREACHABLE
        ) from None


def scan_tls(
    host: str,
    port: int,
    *,
    server_name: str | None,
    ca_file: str | None,
    timeout_s: float,
    handshake_timeout_s: float = 10.0,
) -> TlsScan:
    """Scan ``host:port`` with sslyze in a child process; :class:`CouldNotCheck` if it cannot finish."""
    tls_reachable(host, port, server_name, min(handshake_timeout_s, timeout_s))
    args = json.dumps({"host": host, "port": port, "server_name": server_name, "ca_file": ca_file})
    # Its own process group, registered with the run: a signal (or stackcheck's death) never leaves an
    # sslyze scanner behind, and a hung one is killed at the timeout.
    proc = subprocess.Popen(
        [sys.executable, "-m", "stackcheck.probes.sslyze_scan", args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    interrupt.track(proc)
    try:
        stdout, stderr = proc.communicate(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        raise CouldNotCheck(
            f"the sslyze scan of {host}:{port} did not finish within {timeout_s:g} s (tls.scan_timeout_s)",
            ErrorReason.TIMEOUT,
        ) from None
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        interrupt.untrack(proc)
    last = (stderr.strip().splitlines() or [""])[-1]
    if proc.returncode == 4:
        raise CouldNotCheck(
            "sslyze is not installed (pip install 'sslyze>=6.3,<6.4')", ErrorReason.TOOL_MISSING
        )
    if proc.returncode == 3:
        raise CouldNotCheck(last or f"cannot reach {host}:{port} over TLS", ErrorReason.UNREACHABLE)
    if proc.returncode != 0:
        raise CouldNotCheck(f"the sslyze scan of {host}:{port} failed: {last}", ErrorReason.TOOL_FAILED)
    return TlsScan.model_validate_json(stdout)


def protocol_problems(scan: TlsScan, min_version: str) -> list[str]:
    """Why the accepted protocols break ``min_version`` (empty when they do not)."""
    floor = PROTOCOL_ORDER.index(f"TLS {min_version}")
    accepted = scan.accepted
    problems = [f"{p} is accepted" for p in accepted if PROTOCOL_ORDER.index(p) < floor]
    if not any(PROTOCOL_ORDER.index(p) >= floor for p in accepted):
        problems.append(f"no protocol at or above TLS {min_version} is offered")
    elif min_version == "1.3" and "TLS 1.3" not in accepted:
        problems.append("TLS 1.3 is not offered")
    return problems


def cipher_weaknesses(cipher: CipherFacts) -> list[str]:
    """Why an accepted suite is weak (empty when it is strong). TLS 1.3 suites are all forward secret."""
    name = cipher.name.upper()
    reasons = []
    if cipher.anonymous or "_ANON_" in name:
        reasons.append("anonymous (no authentication)")
    if "_NULL_" in name or name.endswith("_NULL"):
        reasons.append("no encryption (NULL)")
    if "EXPORT" in name:
        reasons.append("export grade")
    if "RC4" in name:
        reasons.append("RC4")
    if "3DES" in name or "_DES_" in name or "DES_CBC" in name:
        reasons.append("DES/3DES")
    if name.endswith("_MD5"):
        reasons.append("MD5")
    if 0 < cipher.key_size < 128:
        reasons.append(f"{cipher.key_size}-bit key")
    if cipher.protocol != "TLS 1.3" and not any(k in name for k in ("_ECDHE_", "_DHE_")):
        reasons.append("no forward secrecy (static key exchange)")
    if cipher.ephemeral == "DH" and cipher.ephemeral_bits is not None and cipher.ephemeral_bits < 2048:
        reasons.append(f"{cipher.ephemeral_bits}-bit DH group")
    # X25519 reports 253 bits; curves below 224 bits (P-192 and smaller) are weak.
    if cipher.ephemeral == "ECDH" and cipher.ephemeral_bits is not None and cipher.ephemeral_bits < 224:
        reasons.append(f"{cipher.ephemeral_bits}-bit ECDH curve")
    return reasons


def hostname_matches(cert: CertificateFacts, name: str) -> bool:
    """RFC 6125 matching of ``name`` against the subjectAltName (IP addresses only against IP entries)."""
    try:
        address = ipaddress.ip_address(name.strip("[]"))
    except ValueError:
        address = None
    if address is not None:
        return any(ipaddress.ip_address(ip) == address for ip in cert.san_ip)
    host = name.lower().rstrip(".")
    for pattern in (p.lower().rstrip(".") for p in cert.san_dns):
        if pattern == host:
            return True
        if pattern.startswith("*.") and "." in host and host.split(".", 1)[1] == pattern[2:]:
            return True
    return False


# Validation errors that come from the strict certificate profile rather than from an unknown issuer.
_STRICT_RULES = ("basicConstraints", "missing required extension", "keyUsage", "2.5.29.15", "2.5.29.19")


def certificate_problems(
    cert: CertificateFacts, *, now: dt.datetime, min_days: int, min_rsa_bits: int
) -> list[str]:
    """Why the certificate breaks the profile (empty when it does not)."""
    problems = []
    days_left = (cert.not_after - now).total_seconds() / 86400
    if days_left < 0:
        problems.append(f"expired {-days_left:.0f} day(s) ago ({cert.not_after:%Y-%m-%d})")
    elif days_left < min_days:
        problems.append(f"expires in {days_left:.1f} days, fewer than {min_days}")
    if not hostname_matches(cert, cert.server_name):
        names = ", ".join([*cert.san_dns, *cert.san_ip]) or "none"
        problems.append(f"not issued for {cert.server_name} (subjectAltName: {names})")
    if not cert.trusted:
        reason = (cert.validation_error or "validation failed").split(" (encountered processing")[0]
        if any(hint in reason for hint in _STRICT_RULES):
            # openssl/curl accept these; the scan applies the CA/Browser Forum profile, as browsers do.
            reason += (
                " (strict WebPKI rules: a CA certificate needs keyUsage keyCertSign, a server certificate "
                "must not be a CA; see docs/suites/tls.md)"
            )
        problems.append(f"chain not trusted: {reason}")
    minimum = min_rsa_bits if cert.key_type in ("RSA", "DSA") else 256
    if cert.key_bits < minimum:
        problems.append(f"{cert.key_bits}-bit {cert.key_type} key, below {minimum} bits")
    if cert.sha1_in_chain:
        problems.append("SHA-1 signature in the chain")
    return problems
