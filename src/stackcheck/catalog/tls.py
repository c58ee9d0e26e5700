"""Checks of the ``tls`` suite: protocols, cipher suites and certificate, scanned with sslyze."""

from __future__ import annotations

from typing import Any

from stackcheck.catalog.spec import CheckSpec, Severity, SuiteName

_common: dict[str, Any] = {"suite": SuiteName.TLS, "section": "tls"}

PROTOCOLS = CheckSpec(
    id="tls.protocols",
    title="No protocol below tls.min_version is accepted (SSL 2/3 and TLS 1.0-1.3 probed)",
    severity=Severity.HIGH,
    reads=(
        "tls.min_version",
        "tls.policy",
    ),
    remediation=(
        "Disable every protocol below tls.min_version in the TLS terminator (ssl_protocols, SSLProtocol, "
        "ssl-min-ver)."
    ),
    fails_on=("defect:tls-min=1.2",),
    controls=(
        "OWASP-ASVS:9.1.3",
        "SOC2:CC6.7",
        "PCI-DSS:4.2.1",
        "GDPR:Art.32(1)(a)",
        "DPDP:S8(5)",
        "DPDP:R6(1)(a)",
    ),
    **_common,
)
CIPHERS = CheckSpec(
    id="tls.ciphers",
    title="Every accepted cipher suite is strong (forward secret, 128-bit+, no NULL/EXPORT/RC4/3DES), or "
    "allowed by tls.policy / tls.allowed_ciphers",
    severity=Severity.HIGH,
    reads=("tls.policy", "tls.allowed_ciphers"),
    remediation=(
        "Offer only ECDHE/DHE AEAD suites of 128 bits or more (Mozilla intermediate or modern "
        "configuration); with tls.allowed_ciphers, only the suites it lists (TLS 1.3 ones too)."
    ),
    fails_on=(
        "test:tests/integration/test_tls_suite.py::test_each_defect_fails_exactly_its_check",
        "test:tests/integration/test_nginx_profile_keys.py::test_allowed_ciphers_follow_ssl_ciphers",
    ),
    controls=(
        "OWASP-ASVS:9.1.2",
        "SOC2:CC6.7",
        "PCI-DSS:4.2.1",
        "GDPR:Art.32(1)(a)",
        "DPDP:S8(5)",
        "DPDP:R6(1)(a)",
    ),
    **_common,
)
CERTIFICATE = CheckSpec(
    id="tls.certificate",
    title="Certificate is trusted, matches the host, stays valid cert_min_days_left more days, strong key",
    severity=Severity.HIGH,
    reads=(
        "tls.cert_min_days_left",
        "tls.min_rsa_bits",
        "tls.server_name",
    ),
    remediation=(
        "Serve a certificate from a trusted CA for this host name, with a 2048-bit RSA or EC key, renewed"
        " in time."
    ),
    fails_on=(
        "defect:cert-expired",
        "defect:cert-self-signed",
        "defect:cert-wrong-host",
        "defect:weak-key",
        "defect:cert-expiring=5",
    ),
    controls=(
        "OWASP-ASVS:9.2.1",
        "SOC2:CC6.7",
        "PCI-DSS:4.2.1",
        "GDPR:Art.32(1)(a)",
        "DPDP:S8(5)",
        "DPDP:R6(1)(a)",
    ),
    **_common,
)
REDIRECT = CheckSpec(
    id="tls.redirect",
    title="Plain HTTP (tls.http_port) redirects to HTTPS",
    severity=Severity.MEDIUM,
    reads=("tls.http_port",),
    remediation="Make the plain-HTTP port answer every request with a 301/308 redirect to https://.",
    fails_on=("defect:no-redirect",),
    controls=("OWASP-ASVS:9.1.1", "SOC2:CC6.7"),
    **_common,
)

CHECKS: tuple[CheckSpec, ...] = (PROTOCOLS, CIPHERS, CERTIFICATE, REDIRECT)
