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

from stackcheck.probes.tls import CertificateFacts, CipherFacts, TlsScan

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


def _certificate(result: Any, server_name: str) -> CertificateFacts | None:
    from sslyze.plugins.certificate_info._certificate_utils import parse_subject_alternative_name_extension

    if not result.certificate_deployments:
        return None
    deployment = result.certificate_deployments[0]
    leaf = deployment.received_certificate_chain[0]
    san = parse_subject_alternative_name_extension(leaf)
    custom = [r for r in deployment.path_validation_results if r.trust_store.name == CUSTOM_STORE]
    chosen = custom[0] if custom else None
    key_type, key_bits = _key_facts(leaf)
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
        chain_length=len(deployment.received_certificate_chain),
        sha1_in_chain=bool(deployment.verified_chain_has_sha1_signature),
        server_name=server_name,
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
    )


def _protocols(scan_result: Any) -> tuple[dict[str, bool], list[CipherFacts], list[str]]:
    """Which protocols were accepted, with which suites, and which probes errored (and why)."""
    from sslyze.scanner.scan_command_attempt import ScanCommandAttemptStatusEnum

    protocols: dict[str, bool] = {}
    ciphers: list[CipherFacts] = []
    errors: list[str] = []
    for label, attr in PROTOCOL_COMMANDS:
        attempt = getattr(scan_result, attr)
        if attempt.status != ScanCommandAttemptStatusEnum.COMPLETED or attempt.result is None:
            errors.append(f"{label}: {attempt.error_reason}")
            continue
        protocols[label] = bool(attempt.result.accepted_cipher_suites)
        ciphers += [_cipher(label, accepted) for accepted in attempt.result.accepted_cipher_suites]
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
    protocols, ciphers, errors = _protocols(result.scan_result)
    cert_attempt = result.scan_result.certificate_info
    certificate = None
    if cert_attempt.status == ScanCommandAttemptStatusEnum.COMPLETED and cert_attempt.result is not None:
        certificate = _certificate(cert_attempt.result, name)
    else:
        errors.append(f"certificate: {cert_attempt.error_reason}")
    return TlsScan(
        host=host,
        port=port,
        server_name=name,
        scanned_at=dt.datetime.now(dt.UTC),
        protocols=protocols,
        ciphers=tuple(ciphers),
        certificate=certificate,
        errors=tuple(errors),
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
