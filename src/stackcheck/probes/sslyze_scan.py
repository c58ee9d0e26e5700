"""The sslyze side of the TLS probe, run in a child process by :func:`stackcheck.probes.tls.scan_tls`.

``python -m stackcheck.probes.sslyze_scan '{"host": ..., "port": ..., "server_name": ..., "ca_file": ...}'``
prints one :class:`~stackcheck.probes.tls.TlsScan` as JSON. It runs apart from pytest because a sslyze worker
that raises can leave the scanner waiting for ever: the parent enforces its own timeout and kills this
process. Exit code 4 means sslyze is not installed, 3 that the server could not be reached.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import json
import sys
from pathlib import Path
from typing import Any

from stackcheck.probes.tls import CertificateFacts, CipherFacts, TlsScan, distrust_resets

__all__ = ["main", "scan"]

PROTOCOL_COMMANDS = (
    ("SSL 2.0", "ssl_2_0_cipher_suites"),
    ("SSL 3.0", "ssl_3_0_cipher_suites"),
    ("TLS 1.0", "tls_1_0_cipher_suites"),
    ("TLS 1.1", "tls_1_1_cipher_suites"),
    ("TLS 1.2", "tls_1_2_cipher_suites"),
    ("TLS 1.3", "tls_1_3_cipher_suites"),
)
CUSTOM_STORE = "Supplied CA file"  # the name sslyze gives the trust store built from custom_ca_file
_RESET = "Server rejected the connection"  # sslyze's words for a reset during the handshake


def _key_facts(cert: Any) -> tuple[str, int]:
    from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed448, ed25519, rsa

    key = cert.public_key()
    if isinstance(key, rsa.RSAPublicKey):
        return "RSA", key.key_size
    if isinstance(key, ec.EllipticCurvePublicKey):
        return "EC", key.curve.key_size
    if isinstance(key, dsa.DSAPublicKey):
        return "DSA", key.key_size
    if isinstance(key, ed25519.Ed25519PublicKey):
        return "Ed25519", 256
    if isinstance(key, ed448.Ed448PublicKey):
        return "Ed448", 456
    return type(key).__name__, 0


def _self_signed(cert: Any) -> bool:
    if cert.issuer != cert.subject:
        return False
    try:
        cert.verify_directly_issued_by(cert)
    except Exception:  # a bad signature or an algorithm cryptography refuses: not signed by its own key
        return False
    return True


def _is_ca(cert: Any) -> bool:
    from cryptography import x509

    try:
        return bool(cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca)
    except x509.ExtensionNotFound:
        return False


def _signature_algorithm(cert: Any) -> str | None:
    oid = cert.signature_algorithm_oid
    return str(getattr(oid, "_name", None) or oid.dotted_string)


def _chain_alone(chain: list[Any], ca_file: str | None) -> tuple[bool | None, str | None]:
    """Validate the received chain again, for a name the leaf carries, at a moment when every certificate
    of the path is valid: what remains wrong is the chain itself (issuer, signatures, extensions), not the
    host name or the dates, which are judged apart. ``(None, None)`` when it cannot run."""
    from cryptography import x509
    from cryptography.x509.verification import PolicyBuilder, Store, VerificationError

    leaf = chain[0]
    if not ca_file:
        return None, None
    try:
        san = leaf.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except x509.ExtensionNotFound:
        return None, None
    ips, dns = san.get_values_for_type(x509.IPAddress), san.get_values_for_type(x509.DNSName)
    subject: x509.GeneralName
    if dns:
        subject = x509.DNSName(dns[0])
    elif ips:
        subject = x509.IPAddress(ipaddress.ip_address(ips[0]))
    else:
        return None, None
    try:
        trusted = x509.load_pem_x509_certificates(Path(ca_file).read_bytes())
    except (ValueError, OSError):
        return None, None
    # A moment when every certificate of the path is valid (the anchor too, when the store names one).
    anchors = [c for c in trusted if c.subject == chain[-1].issuer]
    path = chain + anchors if len(anchors) == 1 else chain
    start = max(c.not_valid_before_utc for c in path)
    end = min(c.not_valid_after_utc for c in path)
    when = min(max(dt.datetime.now(dt.UTC), start), end)
    try:
        verifier = PolicyBuilder().store(Store(trusted)).time(when).build_server_verifier(subject)
        verifier.verify(leaf, chain[1:])
    except VerificationError as exc:
        return False, str(exc.args[0] if exc.args else exc)
    return True, None


def _certificate(result: Any, server_name: str, ca_file: str | None) -> CertificateFacts | None:
    from cryptography.hazmat.primitives import hashes
    from sslyze.plugins.certificate_info._certificate_utils import parse_subject_alternative_name_extension

    if not result.certificate_deployments:
        return None
    deployment = result.certificate_deployments[0]
    chain = list(deployment.received_certificate_chain)
    leaf = chain[0]
    san = parse_subject_alternative_name_extension(leaf)
    custom = [r for r in deployment.path_validation_results if r.trust_store.name == CUSTOM_STORE]
    chosen = custom[0] if custom else None
    key_type, key_bits = _key_facts(leaf)
    chain_trusted, chain_error = _chain_alone(chain, ca_file)
    # sslyze looks for SHA-1 only in a chain that validated, and a SHA-1 leaf never does: look at what was
    # sent (a self-signed root may keep a SHA-1 signature: it is trusted by being in the store).
    sha1 = any(
        isinstance(c.signature_hash_algorithm, hashes.SHA1) for c in chain if c is leaf or not _self_signed(c)
    )
    return CertificateFacts(
        subject=leaf.subject.rfc4514_string(),
        issuer=leaf.issuer.rfc4514_string(),
        not_after=leaf.not_valid_after_utc,
        key_type=key_type,
        key_bits=key_bits,
        san_dns=tuple(san.dns_names),
        san_ip=tuple(san.ip_addresses),
        trusted=bool(chosen and chosen.was_validation_successful),
        validation_error=chosen.validation_error if chosen else "no trust store was supplied",
        chain_length=len(chain),
        sha1_in_chain=bool(deployment.verified_chain_has_sha1_signature) or sha1,
        server_name=server_name,
        not_before=leaf.not_valid_before_utc,
        self_signed=_self_signed(leaf),
        is_ca=_is_ca(leaf),
        signature_algorithm=_signature_algorithm(leaf),
        chain_trusted=chain_trusted,
        chain_error=chain_error,
    )


def _request(host: str, port: int, name: str, ca_file: str | None) -> Any:
    """The sslyze scan request: every protocol enumeration plus the certificate."""
    from sslyze.plugins.certificate_info.implementation import CertificateInfoExtraArgument
    from sslyze.plugins.scan_commands import ScanCommand
    from sslyze.scanner.models import ScanCommandsExtraArguments, ServerScanRequest
    from sslyze.server_setting import ServerNetworkConfiguration, ServerNetworkLocation

    try:
        ipaddress.ip_address(host)
        ip: str | None = host
    except ValueError:
        ip = None
    extra = ScanCommandsExtraArguments(
        certificate_info=CertificateInfoExtraArgument(custom_ca_file=Path(ca_file)) if ca_file else None
    )
    commands = {getattr(ScanCommand, attr.upper()) for _, attr in PROTOCOL_COMMANDS} | {
        ScanCommand.CERTIFICATE_INFO
    }
    return ServerScanRequest(
        server_location=ServerNetworkLocation(hostname=name, port=port, ip_address=ip),
        network_configuration=ServerNetworkConfiguration(tls_server_name_indication=name),
        scan_commands=commands,
        scan_commands_extra_arguments=extra,
    )


def _cipher(label: str, accepted: Any) -> CipherFacts:
    key = accepted.ephemeral_key
    return CipherFacts(
        protocol=label,
        name=accepted.cipher_suite.name,
        key_size=accepted.cipher_suite.key_size,
        anonymous=accepted.cipher_suite.is_anonymous,
        ephemeral=key.type_name if key is not None else None,
        ephemeral_bits=key.size if key is not None else None,
        openssl_name=accepted.cipher_suite.openssl_name,
    )


def _attempt_error(attempt: Any) -> str:
    """Why a scan command errored, in one line: sslyze's reason and the exception it ended with, e.g.
    ``BUG_IN_SSLYZE (ServerRejectedConnection: Server rejected the connection)``."""
    reason = getattr(attempt.error_reason, "value", None) or str(attempt.error_reason or attempt.status)
    trace = attempt.error_trace
    if trace is None:
        return reason
    name = str(getattr(trace, "exc_type_str", None) or getattr(trace.exc_type, "__name__", "error"))
    detail = str(trace).strip().splitlines()[0] if str(trace).strip() else ""
    if '"' in detail:  # sslyze's errors read 'host:port -> "what happened".'
        detail = detail.split('"')[1]
    return f"{reason} ({name.rsplit('.', 1)[-1]}: {detail[:200]})" if detail else f"{reason} ({name})"


def _protocols(
    scan_result: Any,
) -> tuple[dict[str, bool], list[CipherFacts], dict[str, str]]:
    """Which protocols were accepted, with which suites, and which probes errored (and why)."""
    from sslyze.scanner.scan_command_attempt import ScanCommandAttemptStatusEnum

    protocols: dict[str, bool] = {}
    ciphers: list[CipherFacts] = []
    errors: dict[str, str] = {}
    reset_only: list[str] = []
    for label, attr in PROTOCOL_COMMANDS:
        attempt = getattr(scan_result, attr)
        if attempt.status != ScanCommandAttemptStatusEnum.COMPLETED or attempt.result is None:
            errors[label] = _attempt_error(attempt)
            continue
        protocols[label] = bool(attempt.result.accepted_cipher_suites)
        ciphers += [_cipher(label, accepted) for accepted in attempt.result.accepted_cipher_suites]
        refusals = {r.error_message for r in attempt.result.rejected_cipher_suites}
        if not protocols[label] and refusals == {_RESET}:
            reset_only.append(label)
    protocols, errors = distrust_resets(protocols, errors, reset_only)
    return protocols, ciphers, errors


def scan(host: str, port: int, server_name: str | None, ca_file: str | None) -> TlsScan:
    """Enumerate protocols and suites and fetch the certificate of ``host:port``."""
    from sslyze.scanner.models import ServerConnectivityStatusEnum
    from sslyze.scanner.scan_command_attempt import ScanCommandAttemptStatusEnum
    from sslyze.scanner.scanner import Scanner

    name = server_name or host
    scanner = Scanner(concurrent_server_scans_limit=1)
    scanner.queue_scans([_request(host, port, name, ca_file)])
    result = next(iter(scanner.get_results()))
    if result.connectivity_status != ServerConnectivityStatusEnum.COMPLETED or result.scan_result is None:
        trace = result.connectivity_error_trace
        reason = "".join(trace.format_exception_only()).strip() if trace is not None else "no TLS handshake"
        raise ConnectionError(f"cannot reach {host}:{port} over TLS: {reason}")
    protocols, ciphers, protocol_errors = _protocols(result.scan_result)
    cert_attempt = result.scan_result.certificate_info
    certificate = certificate_error = None
    if cert_attempt.status == ScanCommandAttemptStatusEnum.COMPLETED and cert_attempt.result is not None:
        certificate = _certificate(cert_attempt.result, name, ca_file)
    else:
        certificate_error = _attempt_error(cert_attempt)
    errors = [f"{label}: {why}" for label, why in protocol_errors.items()]
    if certificate_error:
        errors.append(f"certificate: {certificate_error}")
    return TlsScan(
        host=host,
        port=port,
        server_name=name,
        scanned_at=dt.datetime.now(dt.UTC),
        protocols=protocols,
        ciphers=tuple(ciphers),
        certificate=certificate,
        errors=tuple(errors),
        protocol_errors=protocol_errors,
        certificate_error=certificate_error,
    )


def main(argv: list[str] | None = None) -> int:
    """Scan as told by the JSON argument; print the result as JSON."""
    args = json.loads((argv or sys.argv[1:])[0])
    try:
        import sslyze  # noqa: F401
    except ImportError:
        print("sslyze is not installed", file=sys.stderr)
        return 4
    try:
        result = scan(args["host"], int(args["port"]), args.get("server_name"), args.get("ca_file"))
    except ConnectionError as exc:
        print(str(exc).splitlines()[0], file=sys.stderr)
        return 3
    print(result.model_dump_json())
    return 0


if __name__ == "__main__":
    sys.exit(main())
