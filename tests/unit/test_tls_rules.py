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
    ciphers_undecided,
    distrust_resets,
    explain_untrusted,
    hostname_matches,
    protocol_problems,
    protocols_undecided,
    scan_error_reason,
)
from stackcheck.probes.tls_policy import load_policy, policy_cipher_problems, policy_protocol_problems
from stackcheck.testing import ErrorReason

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


REJECTED = "BUG_IN_SSLYZE (ServerRejectedConnection: Server rejected the connection)"
ALERT = "BUG_IN_SSLYZE (OpenSSLError: error:140944E7:SSL routines:ssl3_read_bytes:reason(1255))"


def _scan(protocols: dict[str, bool], errors: dict[str, str]) -> TlsScan:
    return TlsScan.model_validate(RECORDED).model_copy(
        update={"protocols": protocols, "protocol_errors": errors}
    )


def test_every_probe_errored_is_undecided_not_a_missing_protocol() -> None:
    """A HAProxy rejecting bursts of connections: every probe errored, nothing is known."""
    scan = _scan(
        {}, dict.fromkeys(["SSL 2.0", "SSL 3.0", "TLS 1.0", "TLS 1.1", "TLS 1.2", "TLS 1.3"], REJECTED)
    )
    assert protocol_problems(scan, "1.2") == []
    assert list(protocols_undecided(scan, "1.2")) == [
        "SSL 2.0",
        "SSL 3.0",
        "TLS 1.0",
        "TLS 1.1",
        "TLS 1.2",
        "TLS 1.3",
    ]
    assert scan_error_reason(protocols_undecided(scan, "1.2")) == ErrorReason.UNREACHABLE


def test_an_errored_probe_below_the_minimum_leaves_the_verdict_open() -> None:
    """TLS 1.0/1.1 errored, TLS 1.2/1.3 accepted: it used to pass a 1.2 minimum."""
    scan = _scan(
        {"SSL 2.0": False, "TLS 1.2": True, "TLS 1.3": True},
        {"SSL 3.0": ALERT, "TLS 1.0": ALERT, "TLS 1.1": ALERT},
    )
    assert protocol_problems(scan, "1.2") == []
    assert list(protocols_undecided(scan, "1.2")) == ["SSL 3.0", "TLS 1.0", "TLS 1.1"]
    assert scan_error_reason(protocols_undecided(scan, "1.2")) == ErrorReason.TOOL_FAILED
    assert protocols_undecided(scan, "1.0") == {"SSL 3.0": ALERT}
    assert ciphers_undecided(scan) == {"SSL 3.0": ALERT, "TLS 1.0": ALERT, "TLS 1.1": ALERT}


def test_resets_are_refusals_unless_the_server_was_refusing_connections() -> None:
    calm = distrust_resets({"SSL 2.0": False, "TLS 1.2": True}, {}, ["SSL 2.0"])
    assert calm == ({"SSL 2.0": False, "TLS 1.2": True}, {})  # a server that resets unknown versions
    done, errored = distrust_resets(
        {"SSL 2.0": False, "TLS 1.3": False}, {"TLS 1.2": REJECTED}, ["SSL 2.0", "TLS 1.3"]
    )
    assert done == {} and list(errored) == ["SSL 2.0", "TLS 1.2", "TLS 1.3"]
    assert errored["TLS 1.3"].startswith("every handshake was reset")
    assert scan_error_reason(errored) == ErrorReason.UNREACHABLE


def test_what_a_completed_probe_proved_decides_whatever_errored() -> None:
    accepted_11 = _scan({"TLS 1.1": True, "TLS 1.2": True}, {"TLS 1.0": ALERT, "TLS 1.3": ALERT})
    assert protocol_problems(accepted_11, "1.2") == ["TLS 1.1 is accepted"]  # failed, errors or not
    refused_13 = _scan({"TLS 1.2": True, "TLS 1.3": False}, {"TLS 1.0": ALERT})
    assert protocol_problems(refused_13, "1.3") == [
        "TLS 1.2 is accepted",
        "no protocol at or above TLS 1.3 is offered",
    ]


def test_errored_probes_above_an_accepted_minimum_do_not_matter() -> None:
    scan = _scan(
        {"SSL 2.0": False, "SSL 3.0": False, "TLS 1.0": False, "TLS 1.1": False, "TLS 1.2": True},
        {"TLS 1.3": ALERT},
    )
    assert protocol_problems(scan, "1.2") == [] and protocols_undecided(scan, "1.2") == {}
    assert protocols_undecided(scan, "1.3") == {"TLS 1.3": ALERT}  # the one protocol a 1.3 minimum needs
    nothing_upper = _scan({"TLS 1.0": False, "TLS 1.1": False, "TLS 1.2": False}, {"TLS 1.3": ALERT})
    assert protocol_problems(nothing_upper, "1.2") == []  # TLS 1.3 may be offered: not "none offered"
    assert protocols_undecided(nothing_upper, "1.2") == {"TLS 1.3": ALERT}


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


def _problems(**changes: object) -> list[tuple[str, str, object, object]]:
    found = certificate_problems(_cert(**changes), now=NOW, min_days=14, min_rsa_bits=2048)
    return [(p.property, p.message, p.expected, p.observed) for p in found]


def test_certificate_problems_name_the_property_that_failed() -> None:
    assert _problems() == []
    assert _problems(not_after=NOW + dt.timedelta(days=5)) == [
        ("days_left", "expires in 5 days, fewer than 14", 14, 5.0)
    ]
    assert _problems(key_bits=1024, trusted=False, chain_trusted=True) == [
        ("key", "1024-bit RSA key, below 2048 bits", 2048, 1024)
    ]
    assert _problems(key_type="EC", key_bits=192)[0][1] == "192-bit EC key, below 256 bits"


def test_a_wrong_host_or_an_expiry_is_not_also_an_untrusted_chain() -> None:
    """sslyze's own validation fails for a wrong name or an expired certificate: the chain alone is fine."""
    wrong = _problems(
        san_dns=("example.com",),
        san_ip=(),
        trusted=False,
        validation_error="validation failed: leaf certificate has no matching subjectAltName",
        chain_trusted=True,
    )
    assert wrong == [
        ("host", "not issued for 127.0.0.1 (subjectAltName: example.com)", "127.0.0.1", ["example.com"])
    ]
    # Without the second validation (chain_trusted None), sslyze's name/date errors are not a chain verdict.
    expired = _problems(
        not_after=NOW - dt.timedelta(days=1),
        trusted=False,
        validation_error="validation failed: cert is not valid at validation time",
    )
    assert expired == [("days_left", "expired 1 day(s) ago (2026-11-22)", 14, -1.0)]


def test_untrusted_chains_say_why_in_plain_words() -> None:
    self_signed = _problems(
        self_signed=True,
        issuer="CN=localhost",
        chain_trusted=False,
        chain_error="validation failed: invalid extension: 2.5.29.35: Certificate is missing required ext",
    )
    assert self_signed == [
        (
            "chain",
            "not trusted: self-signed (CN=localhost signed its own certificate): no trusted CA issued it",
            "trusted chain",
            "self-signed",
        )
    ]
    dump = (
        "validation failed: candidates exhausted: Forbidden signature algorithm: AlgorithmIdentifier { oid: "
        "DefinedByMarker(PhantomData<asn1::object_identifier::ObjectIdentifier>), params: "
        "Other(ObjectIdentifier { oid: 1.2.840.10045.4.1 }, None) }"
    )
    sha1 = _problems(chain_trusted=False, chain_error=dump, sha1_in_chain=True)
    assert sha1 == [
        (
            "chain",
            "not trusted: signed with ecdsa-with-SHA1: certificate validation refuses SHA-1 and MD5",
            "trusted chain",
            "signed with ecdsa-with-SHA1",
        )
    ]
    assert "{" not in explain_untrusted(_cert(), "validation failed: odd thing: Foo { x: 1 }")
    two = _cert(chain_length=2)
    unknown = explain_untrusted(two, "validation failed: candidates exhausted: signature does not match")
    assert unknown == "issued by CN=ca, which is not a CA of the trust store (signature does not match)"
    exhausted = "validation failed: candidates exhausted: all candidates exhausted with no interior errors"
    assert explain_untrusted(two, exhausted).endswith("(no path to a trusted root)")
    leaf_only = _problems(trusted=False, chain_trusted=False, chain_error=exhausted)
    assert leaf_only == [
        (
            "chain",
            "not trusted: incomplete chain or unknown CA: the server sent only its own certificate, "
            "issued by CN=ca, which is not in the trust store (if CN=ca is an intermediate CA, the server's "
            "certificate file must carry it after the leaf)",
            "trusted chain",
            "incomplete chain or unknown CA",
        )
    ]


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
    error = "basicConstraints.cA must not be asserted in an EE certificate"
    assert _problems(is_ca=True, chain_trusted=False, chain_error=error)[0][1] == (
        "not trusted: the server certificate is a CA certificate (basicConstraints CA:TRUE), which WebPKI "
        "forbids"
    )
    no_key_usage = "invalid extension: 2.5.29.15: Certificate is missing required extension"
    assert _problems(chain_trusted=False, chain_error=no_key_usage)[0][1] == (
        "not trusted: invalid extension: 2.5.29.15: Certificate is missing required extension (strict WebPKI "
        "rules: the issuing CA needs keyUsage keyCertSign and a subject key identifier; see "
        "docs/suites/tls.md)"
    )


def test_mozilla_intermediate_excludes_cbc_sha1_that_the_built_in_rules_allow() -> None:
    intermediate = load_policy("mozilla-intermediate")
    assert intermediate.protocols == {"TLS 1.2", "TLS 1.3"} and intermediate.dh_min_bits == 2048
    cbc = CipherFacts(
        protocol="TLS 1.2",
        name="TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA",
        key_size=128,
        ephemeral="ECDH",
        ephemeral_bits=253,
    )
    assert cipher_weaknesses(cbc) == []  # the built-in rules: forward secret, 128 bits, nothing broken
    assert policy_cipher_problems(cbc, intermediate) == ["not in mozilla-intermediate"]
    assert policy_cipher_problems(cbc, load_policy("mozilla-old")) == []
    gcm = cbc.model_copy(update={"name": "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"})
    assert policy_cipher_problems(gcm, intermediate) == []  # X25519 (253 bits) counts as 256
    assert policy_cipher_problems(gcm.model_copy(update={"ephemeral_bits": 192}), intermediate) == [
        "192-bit ECDH curve, below 256"
    ]
    dhe = CipherFacts(
        protocol="TLS 1.2",
        name="TLS_DHE_RSA_WITH_AES_128_GCM_SHA256",
        key_size=128,
        ephemeral="DH",
        ephemeral_bits=1024,
    )
    assert policy_cipher_problems(dhe, intermediate) == ["1024-bit DH group, below 2048"]


def test_mozilla_modern_allows_tls13_only() -> None:
    modern = load_policy("mozilla-modern")
    scan = _scan({"TLS 1.1": False, "TLS 1.2": True, "TLS 1.3": True}, {})
    assert policy_protocol_problems(scan, modern) == ["TLS 1.2 is accepted, not in mozilla-modern"]
    assert policy_protocol_problems(scan, load_policy("mozilla-intermediate")) == []
    tls13 = CipherFacts(protocol="TLS 1.3", name="TLS_AES_128_GCM_SHA256", key_size=128)
    assert policy_cipher_problems(tls13, modern) == []
    assert "mozilla" in modern.source.lower() and "5.7" in modern.source
