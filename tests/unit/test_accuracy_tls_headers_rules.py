"""The accuracy harness's own readings of the reference tools (pure rules, no server)."""

from __future__ import annotations

from accuracy.headers import RULES
from accuracy.tlsref import CertReading, weak_suites

HSTS = ("Strict-Transport-Security", "max-age=31536000")


def test_weak_suites_are_the_static_key_exchange_and_broken_ones() -> None:
    suites = frozenset(
        {
            ("TLS 1.3", "TLS_AES_128_GCM_SHA256"),
            ("TLS 1.2", "TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA"),
            ("TLS 1.2", "TLS_RSA_WITH_AES_128_CBC_SHA"),
            ("TLS 1.0", "TLS_ECDHE_RSA_WITH_RC4_128_SHA"),
            ("TLS ≤ 1.2", "TLS_DHE_RSA_WITH_AES_256_GCM_SHA384"),
        }
    )
    assert weak_suites(suites) == {"TLS_RSA_WITH_AES_128_CBC_SHA", "TLS_ECDHE_RSA_WITH_RC4_128_SHA"}
    assert weak_suites(frozenset()) == frozenset()


def test_certificate_reading_names_each_problem() -> None:
    fine = CertReading(
        days_left=90, self_signed=False, trusted=True, host_ok=True, key="RSA 2048", key_bits=2048
    )
    assert fine.problems(14, 2048) == []
    bad = CertReading(
        days_left=-1, self_signed=True, trusted=False, host_ok=False, key="RSA 1024", key_bits=1024
    )
    assert bad.problems(14, 2048) == ["expired", "self-signed", "name mismatch", "RSA 1024 bits"]
    soon = CertReading(days_left=5, self_signed=False, trusted=None, host_ok=None, key="EC 256", key_bits=256)
    assert soon.problems(14, 2048) == ["5 days left"]


def test_header_rules_follow_the_documented_ones() -> None:
    assert RULES["headers.hsts"]([HSTS])
    assert RULES["headers.hsts"]([HSTS, HSTS])  # identical copies: the first applies (RFC 6797 8.1)
    assert not RULES["headers.hsts"]([HSTS, ("Strict-Transport-Security", "max-age=300")])  # differing
    assert not RULES["headers.hsts"]([("Strict-Transport-Security", "max-age=300")])
    assert not RULES["headers.hsts"]([])
    assert RULES["headers.server_banner"]([("Server", "nginx")])
    assert not RULES["headers.server_banner"]([("Server", "nginx/1.22.1")])
    assert RULES["headers.framing"]([("Content-Security-Policy", "frame-ancestors 'none'")])
    assert not RULES["headers.framing"]([("X-Frame-Options", "ALLOW-FROM https://x")])
    assert RULES["headers.csp"]([("Content-Security-Policy", "default-src 'self'")])
    assert not RULES["headers.csp"]([("Content-Security-Policy", "script-src 'unsafe-inline'")])
