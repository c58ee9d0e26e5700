"""Cipher suite names: IANA (``TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256``) and OpenSSL
(``ECDHE-RSA-AES128-GCM-SHA256``), as the table of the pinned sslyze knows them.

A profile may name a suite either way (nginx's ``ssl_ciphers`` and HAProxy's ``ciphers`` use OpenSSL
names, RFCs and scanners IANA ones); the scan reports IANA names. The table is read from sslyze (every suite
its OpenSSL builds can offer, SSL 2.0 to TLS 1.3), never copied here, and built once, on first use.
Names are matched ignoring letter case. One OpenSSL name can stand for two suites (``RC4-MD5`` is an SSL 2.0
and an SSL 3.0+ suite): it then allows both.
"""

from __future__ import annotations

import functools

__all__ = ["iana_names", "openssl_name", "unknown_suite_problem"]


@functools.cache
def _table() -> tuple[dict[str, frozenset[str]], dict[str, str]]:
    """(any name, upper-cased → the IANA names it stands for; IANA name → OpenSSL name)."""
    from sslyze.plugins.openssl_cipher_suites.cipher_suites import CipherSuitesRepository
    from sslyze.server_connectivity import TlsVersionEnum

    names: dict[str, set[str]] = {}
    to_openssl: dict[str, str] = {}
    for version in TlsVersionEnum:
        for suite in CipherSuitesRepository.get_all_cipher_suites(version):
            names.setdefault(suite.name.upper(), set()).add(suite.name)
            names.setdefault(suite.openssl_name.upper(), set()).add(suite.name)
            to_openssl.setdefault(suite.name, suite.openssl_name)
    return {k: frozenset(v) for k, v in names.items()}, to_openssl


def iana_names(name: str) -> frozenset[str]:
    """The IANA names of the suite(s) ``name`` (IANA or OpenSSL, any letter case) names; empty if none."""
    return _table()[0].get(name.strip().upper(), frozenset())


def openssl_name(iana: str) -> str | None:
    """The OpenSSL name of the suite with IANA name ``iana`` (``None`` if unknown)."""
    return _table()[1].get(iana)


def unknown_suite_problem(name: str) -> str | None:
    """Why ``name`` names no cipher suite (``None`` when it names one): one line for the profile error."""
    try:
        if iana_names(name):
            return None
    except ImportError:  # without sslyze the scan cannot run either: tls.ciphers says so (error)
        return None
    if ":" in name:
        hint = "one suite per list entry (split an ssl_ciphers string at ':')"
    elif name.startswith(("@", "!", "+", "-")) or name.upper() in ("HIGH", "MEDIUM", "DEFAULT", "ALL"):
        hint = "an OpenSSL cipher-string keyword is not a suite: list the suites themselves"
    else:
        hint = (
            "write its IANA name (TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256) or its OpenSSL name "
            "(ECDHE-RSA-AES128-GCM-SHA256)"
        )
    return f"{name!r} is not a cipher suite name: {hint}"
