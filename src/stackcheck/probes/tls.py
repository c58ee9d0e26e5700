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
import re
import signal
import socket
import ssl
import subprocess
import sys
from dataclasses import dataclass

from pydantic import BaseModel, ConfigDict

from stackcheck import interrupt
from stackcheck._exceptions import CouldNotCheck, ErrorReason
from stackcheck.extras import missing_message

__all__ = [
    "PROTOCOL_ORDER",
    "CertificateFacts",
    "CertificateProblem",
    "CipherFacts",
    "TlsScan",
    "certificate_problems",
    "cipher_weaknesses",
    "ciphers_undecided",
    "distrust_resets",
    "explain_untrusted",
    "hostname_matches",
    "protocol_problems",
    "protocols_undecided",
    "scan_error_reason",
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
    openssl_name: str | None = None  # the same suite as OpenSSL (nginx's ssl_ciphers) names it


class CertificateFacts(_Frozen):
    """The leaf certificate the server sent, and whether its chain validated."""

    subject: str
    issuer: str
    not_after: dt.datetime
    key_type: str
    key_bits: int
    san_dns: tuple[str, ...] = ()
    san_ip: tuple[str, ...] = ()
    trusted: bool  # sslyze's validation: chain, host name and dates together
    validation_error: str | None = None
    chain_length: int = 1
    sha1_in_chain: bool = False
    server_name: str
    not_before: dt.datetime | None = None
    self_signed: bool = False  # issuer is the subject and the key verifies its own signature
    is_ca: bool = False  # basicConstraints CA:TRUE on the server certificate
    signature_algorithm: str | None = None  # of the leaf, e.g. sha256WithRSAEncryption, ecdsa-with-SHA1
    # The chain alone, validated again for a name the certificate carries at a time inside its validity,
    # so that a wrong host or an expiry is reported as such and not also as "not trusted".
    # None when that second validation could not run (no subjectAltName, no CA file).
    chain_trusted: bool | None = None
    chain_error: str | None = None


class TlsScan(_Frozen):
    """What one scan found."""

    host: str
    port: int
    server_name: str
    scanned_at: dt.datetime
    protocols: dict[str, bool]  # the protocols whose probe completed: accepted or not
    ciphers: tuple[CipherFacts, ...] = ()
    certificate: CertificateFacts | None = None
    errors: tuple[str, ...] = ()
    protocol_errors: dict[str, str] = {}  # the protocols whose probe errored, and why: neither yes nor no
    certificate_error: str | None = None

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
        raise CouldNotCheck(missing_message("sslyze"), ErrorReason.TOOL_MISSING)
    if proc.returncode == 3:
        raise CouldNotCheck(last or f"cannot reach {host}:{port} over TLS", ErrorReason.UNREACHABLE)
    if proc.returncode != 0:
        raise CouldNotCheck(f"the sslyze scan of {host}:{port} failed: {last}", ErrorReason.TOOL_FAILED)
    return TlsScan.model_validate_json(stdout)


_REFUSED_CONNECTION = "ServerRejectedConnection"  # sslyze's error for a connection closed at once


def distrust_resets(
    protocols: dict[str, bool], errors: dict[str, str], reset_only: list[str]
) -> tuple[dict[str, bool], dict[str, str]]:
    """Completed probes and errored ones, once "every handshake was reset" is weighed.

    sslyze counts a connection reset during the handshake as a refusal, which it is for servers that reset
    unknown versions. Not while the same server was also refusing connections outright (a limit on bursts
    of connections): then a probe ``reset_only`` names says nothing about its protocol, and is errored.
    """
    if not any(_REFUSED_CONNECTION in why for why in errors.values()):
        return protocols, errors
    reason = (
        "every handshake was reset while the server was refusing connections (ServerRejectedTlsHandshake)"
    )
    done = {p: v for p, v in protocols.items() if p not in reset_only}
    errored = {**errors, **dict.fromkeys(reset_only, reason)}
    return done, {p: errored[p] for p in PROTOCOL_ORDER if p in errored}


def protocol_problems(scan: TlsScan, min_version: str) -> list[str]:
    """Why the probes that completed prove ``min_version`` broken (empty when they do not).

    Only what a completed probe saw counts: an errored probe is neither accepted nor refused, so "nothing
    at or above the minimum is offered" needs every probe at or above it to have completed. What the
    errored probes leave open is :func:`protocols_undecided`.
    """
    floor = PROTOCOL_ORDER.index(f"TLS {min_version}")
    accepted = scan.accepted
    problems = [f"{p} is accepted" for p in accepted if PROTOCOL_ORDER.index(p) < floor]
    upper = PROTOCOL_ORDER[floor:]
    if not any(p in accepted for p in upper) and not any(p in scan.protocol_errors for p in upper):
        problems.append(f"no protocol at or above TLS {min_version} is offered")
    return problems


def protocols_undecided(scan: TlsScan, min_version: str) -> dict[str, str]:
    """The errored probes that could change the verdict, with why they errored (empty: the verdict holds).

    A protocol below the minimum whose probe errored might be accepted; one at or above it matters while
    no completed probe has shown an accepted protocol there (and TLS 1.3 always does for a 1.3 minimum).
    """
    floor = PROTOCOL_ORDER.index(f"TLS {min_version}")
    upper_accepted = any(PROTOCOL_ORDER.index(p) >= floor for p in scan.accepted)
    open_ = {}
    for label, reason in scan.protocol_errors.items():
        index = PROTOCOL_ORDER.index(label)
        if index < floor or not upper_accepted or (min_version == "1.3" and label == "TLS 1.3"):
            open_[label] = reason
    return open_


_CONNECTION_ERRORS = ("CONNECTIVITY_ISSUE", "Rejected", "Connection", "TimedOut", "Timeout")


def scan_error_reason(errors: dict[str, str]) -> ErrorReason:
    """``unreachable`` when the probes errored because the server refused, reset or dropped connections
    (a server that limits bursts of connections does), else ``tool_failed``."""
    if errors and all(any(m in why for m in _CONNECTION_ERRORS) for why in errors.values()):
        return ErrorReason.UNREACHABLE
    return ErrorReason.TOOL_FAILED


def ciphers_undecided(scan: TlsScan) -> dict[str, str]:
    """Errored protocol probes: each might have accepted a weak suite, so no "all strong" verdict holds."""
    return dict(scan.protocol_errors)


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
_SIGNATURE_OIDS = {
    "1.2.840.10045.4.1": "ecdsa-with-SHA1",
    "1.2.840.113549.1.1.5": "sha1WithRSAEncryption",
    "1.2.840.113549.1.1.4": "md5WithRSAEncryption",
    "1.2.840.10040.4.3": "dsa-with-SHA1",
}
_NAME_OR_DATES = ("no matching subjectAltName", "not valid at validation time")
_UNKNOWN_ISSUER = ("signature does not match", "no issuer", "unable to find", "candidates exhausted")


@dataclass(frozen=True)
class CertificateProblem:
    """One property of the certificate that breaks the profile, in the evidence's terms."""

    property: str  # days_left, host, chain, key, signature
    message: str
    expected: object
    observed: object
    op: str = "=="
    unit: str | None = None


def explain_untrusted(cert: CertificateFacts, error: str | None) -> str:
    """Why the chain is not trusted, in plain words (the validator's text is a Rust error, at times a
    debug dump of its structures)."""
    if cert.self_signed:
        return f"self-signed ({cert.subject} signed its own certificate): no trusted CA issued it"
    text = (error or "validation failed").split(" (encountered processing")[0]
    text = text.removeprefix("validation failed: ")
    if "Forbidden signature algorithm" in text or cert.sha1_in_chain:
        oid = re.search(r"oid: (\d+(?:\.\d+)+)", text)
        name = _SIGNATURE_OIDS.get(oid.group(1), oid.group(1)) if oid else cert.signature_algorithm
        return f"signed with {name or 'a forbidden algorithm'}: certificate validation refuses SHA-1 and MD5"
    if any(rule in text for rule in _STRICT_RULES):
        if cert.is_ca:
            return (
                "the server certificate is a CA certificate (basicConstraints CA:TRUE), which WebPKI forbids"
            )
        # openssl/curl accept these; the scan applies the CA/Browser Forum profile, as browsers do.
        return (
            f"{text.removeprefix('candidates exhausted: ')} (strict WebPKI rules: the issuing CA needs "
            "keyUsage keyCertSign and a subject key identifier; see docs/suites/tls.md)"
        )
    if "{" in text:  # a debug dump of the validator's structures says nothing to a reader
        text = text.split("{")[0].rstrip(" :(") + " (details omitted)"
    if any(marker in text for marker in _UNKNOWN_ISSUER):
        if cert.chain_length == 1:  # the leaf alone: a missing intermediate looks the same as an unknown CA
            return (
                f"incomplete chain or unknown CA: the server sent only its own certificate, issued by "
                f"{cert.issuer}, which is not in the trust store (if {cert.issuer} is an intermediate CA, "
                "the server's certificate file must carry it after the leaf)"
            )
        text = text.removeprefix("candidates exhausted: ")
        if text.startswith("all candidates exhausted"):  # the validator's words for "no path to a root"
            text = "no path to a trusted root"
        return f"issued by {cert.issuer}, which is not a CA of the trust store ({text})"
    return text


def certificate_problems(
    cert: CertificateFacts, *, now: dt.datetime, min_days: int, min_rsa_bits: int
) -> list[CertificateProblem]:
    """Each property of the certificate that breaks the profile (empty when none does): validity dates,
    host name, chain, key size, signature hash. Each is judged apart from the others."""
    problems = []
    days_left = round((cert.not_after - now).total_seconds() / 86400, 1)
    if days_left < 0:
        message = f"expired {-days_left:.0f} day(s) ago ({cert.not_after:%Y-%m-%d})"
        problems.append(CertificateProblem("days_left", message, min_days, days_left, ">=", "days"))
    elif days_left < min_days:
        message = f"expires in {days_left:g} days, fewer than {min_days}"
        problems.append(CertificateProblem("days_left", message, min_days, days_left, ">=", "days"))
    if cert.not_before is not None and cert.not_before > now:
        message = f"not valid before {cert.not_before:%Y-%m-%d %H:%M} UTC"
        problems.append(CertificateProblem("not_before", message, "<= now", cert.not_before.isoformat()))
    if not hostname_matches(cert, cert.server_name):
        names = [*cert.san_dns, *cert.san_ip]
        message = f"not issued for {cert.server_name} (subjectAltName: {', '.join(names) or 'none'})"
        problems.append(CertificateProblem("host", message, cert.server_name, names, "in"))
    chain_ok = cert.chain_trusted
    if chain_ok is None:  # no second validation: sslyze's verdict, unless it is about the name or dates
        error = cert.validation_error or ""
        chain_ok = cert.trusted or any(marker in error for marker in _NAME_OR_DATES)
    if not chain_ok:
        reason = explain_untrusted(cert, cert.chain_error or cert.validation_error)
        short = reason.split(" (")[0].split(": ")[0]
        problems.append(CertificateProblem("chain", f"not trusted: {reason}", "trusted chain", short))
    minimum = min_rsa_bits if cert.key_type in ("RSA", "DSA") else 256
    if cert.key_bits < minimum:
        message = f"{cert.key_bits}-bit {cert.key_type} key, below {minimum} bits"
        problems.append(CertificateProblem("key", message, minimum, cert.key_bits, ">=", "bits"))
    if cert.sha1_in_chain and not any(p.property == "chain" and "SHA-1" in p.message for p in problems):
        message = f"SHA-1 signature in the chain ({cert.signature_algorithm or 'sha1'})"
        problems.append(CertificateProblem("signature", message, "SHA-256 or stronger", "SHA-1"))
    return problems
