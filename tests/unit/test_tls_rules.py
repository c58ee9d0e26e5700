"""TLS judging on recorded sslyze scans, and the certificate tooling against the validator sslyze uses."""

from __future__ import annotations

import datetime as dt
import ipaddress
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.x509.verification import PolicyBuilder, Store, VerificationError

from fixtures.certs import issue_set
from stackcheck.probes.tls import (
    CertificateFacts,
    CipherFacts,
    TlsScan,
    certificate_problems,
    cipher_weaknesses,
    hostname_matches,
    protocol_problems,
)

NOW = dt.datetime(2026, 11, 23, tzinfo=dt.UTC)
# Recorded from `python -m stackcheck.probes.sslyze_scan` against the reference service (tls-min=1.0 defect).
RECORDED = {
    "host": "127.0.0.1",
    "port": 8443,
    "server_name": "127.0.0.1",
    "scanned_at": "2026-11-23T15:14:19Z",
    "protocols": {
        "SSL 2.0": False,
        "SSL 3.0": False,
        "TLS 1.0": True,
        "TLS 1.1": True,
        "TLS 1.2": True,
        "TLS 1.3": True,
    },
    "ciphers": [
        {
            "protocol": "TLS 1.0",
            "name": "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA",
            "key_size": 128,
            "ephemeral": "ECDH",
            "ephemeral_bits": 253,
        },
        {"protocol": "TLS 1.2", "name": "TLS_RSA_WITH_AES_128_CBC_SHA", "key_size": 128},
        {
            "protocol": "TLS 1.3",
            "name": "TLS_AES_128_GCM_SHA256",
            "key_size": 128,
            "ephemeral": "ECDH",
            "ephemeral_bits": 253,
        },
    ],
    "certificate": None,
}


def test_protocols_below_the_minimum_and_missing_tls13() -> None:
    scan = TlsScan.model_validate(RECORDED)
    assert protocol_problems(scan, "1.2") == ["TLS 1.0 is accepted", "TLS 1.1 is accepted"]
    assert protocol_problems(scan, "1.0") == []
    only12 = scan.model_copy(update={"protocols": {"TLS 1.2": True, "TLS 1.3": False}})
    assert protocol_problems(only12, "1.3") == [
        "TLS 1.2 is accepted",
        "no protocol at or above TLS 1.3 is offered",
    ]
    assert protocol_problems(only12, "1.2") == []


def test_cipher_weaknesses() -> None:
    scan = TlsScan.model_validate(RECORDED)
    verdicts = {c.name: cipher_weaknesses(c) for c in scan.ciphers}
    assert verdicts["TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA"] == []
    assert verdicts["TLS_RSA_WITH_AES_128_CBC_SHA"] == ["no forward secrecy (static key exchange)"]
    assert verdicts["TLS_AES_128_GCM_SHA256"] == []
    rc4 = CipherFacts(protocol="TLS 1.0", name="TLS_RSA_EXPORT_WITH_RC4_40_MD5", key_size=40)
    assert set(cipher_weaknesses(rc4)) >= {"export grade", "RC4", "MD5", "40-bit key"}
    small_dh = CipherFacts(
        protocol="TLS 1.2",
        name="TLS_DHE_RSA_WITH_AES_128_GCM_SHA256",
        key_size=128,
        ephemeral="DH",
        ephemeral_bits=1024,
    )
    assert cipher_weaknesses(small_dh) == ["1024-bit DH group"]


def _cert(**changes: object) -> CertificateFacts:
    base = CertificateFacts(
        subject="CN=localhost",
        issuer="CN=ca",
        not_after=NOW + dt.timedelta(days=90),
        key_type="RSA",
        key_bits=2048,
        san_dns=("localhost", "*.example.com"),
        san_ip=("127.0.0.1",),
        trusted=True,
        server_name="127.0.0.1",
    )
    return base.model_copy(update=changes)


def test_certificate_problems() -> None:
    assert certificate_problems(_cert(), now=NOW, min_days=14, min_rsa_bits=2048) == []
    assert certificate_problems(
        _cert(not_after=NOW + dt.timedelta(days=5)), now=NOW, min_days=14, min_rsa_bits=2048
    ) == ["expires in 5.0 days, fewer than 14"]
    problems = certificate_problems(
        _cert(key_bits=1024, trusted=False, validation_error="unknown issuer (encountered processing <x>)"),
        now=NOW,
        min_days=14,
        min_rsa_bits=2048,
    )
    assert problems == ["chain not trusted: unknown issuer", "1024-bit RSA key, below 2048 bits"]
    assert (
        "below 256 bits"
        in certificate_problems(_cert(key_type="EC", key_bits=192), now=NOW, min_days=0, min_rsa_bits=2048)[0]
    )


def test_hostname_matching() -> None:
    cert = _cert()
    assert hostname_matches(cert, "localhost") and hostname_matches(cert, "api.example.com")
    assert not hostname_matches(cert, "a.b.example.com") and not hostname_matches(cert, "example.com")
    assert hostname_matches(cert, "127.0.0.1") and not hostname_matches(cert, "127.0.0.2")


def _verify(folder: Path, now: dt.datetime | None = None) -> None:
    store = Store(x509.load_pem_x509_certificates((folder / "ca.pem").read_bytes()))
    builder = PolicyBuilder().store(store).time(now or dt.datetime.now(dt.UTC))
    verifier = builder.build_server_verifier(x509.IPAddress(ipaddress.ip_address("127.0.0.1")))
    verifier.verify(x509.load_pem_x509_certificate((folder / "server.pem").read_bytes()), [])


def test_issued_certificates_pass_the_validator_sslyze_uses(tmp_path: Path) -> None:
    issued = issue_set(tmp_path)
    _verify(tmp_path)  # non-critical SAN, AKI/SKI, serverAuth, 90 days: accepted
    cert = x509.load_pem_x509_certificate(issued.cert_file.read_bytes())
    assert (cert.not_valid_after_utc - cert.not_valid_before_utc).days <= 91
    assert not cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).critical
    first_ca = issued.ca_file.read_bytes()
    issue_set(tmp_path, days=3)
    assert issued.ca_file.read_bytes() == first_ca  # the CA is reused: clients keep trusting it


@pytest.mark.parametrize("kind", ["expired", "self_signed"])
def test_broken_certificates_are_refused_by_the_validator(tmp_path: Path, kind: str) -> None:
    issue_set(tmp_path, expired=kind == "expired", self_signed=kind == "self_signed")
    with pytest.raises(VerificationError):
        _verify(tmp_path)


def test_strict_profile_rejections_explain_themselves() -> None:
    problems = certificate_problems(
        _cert(
            trusted=False, validation_error="basicConstraints.cA must not be asserted in an EE certificate"
        ),
        now=NOW,
        min_days=0,
        min_rsa_bits=2048,
    )
    assert problems == [
        "chain not trusted: basicConstraints.cA must not be asserted in an EE certificate (strict WebPKI "
        "rules: a CA certificate needs keyUsage keyCertSign, a server certificate must not be a CA; see "
        "docs/suites/tls.md)"
    ]
