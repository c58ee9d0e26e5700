"""Published TLS policies (Mozilla's modern, intermediate and old configurations) as rules on a scan.

``tls.policy: mozilla-intermediate`` makes ``tls.protocols`` and ``tls.ciphers`` judge the scan against that
configuration instead of stackcheck's built-in cipher rules: the protocols and suites it lists, its minimum
DH and ECDH sizes. The configurations are the ones sslyze ships (``sslyze.mozilla_tls_profile``, Mozilla's
guidelines 5.7); they are read from sslyze, never copied here, so they follow the pinned sslyze. Only the
protocol and cipher parts are applied: certificate rules stay with ``tls.certificate`` (the profile's own
``cert_min_days_left``, ``min_rsa_bits``), and sslyze's vulnerability probes (ROBOT, Heartbleed...) are not
run. The judging functions are pure.

``tls.allowed_ciphers`` is the team's own list instead: :func:`allowed_cipher_problems` judges a suite
against it by name only (no DH/ECDH sizes, no built-in rules), TLS 1.3 suites too.
"""

from __future__ import annotations

from dataclasses import dataclass

from stackcheck._exceptions import CouldNotCheck, ErrorReason
from stackcheck.extras import missing_message
from stackcheck.probes.tls import CipherFacts, TlsScan

__all__ = [
    "ALLOWED_LIST",
    "TlsPolicy",
    "allowed_cipher_problems",
    "load_policy",
    "policy_cipher_problems",
    "policy_protocol_problems",
    "suite_label",
]

ALLOWED_LIST = "tls.allowed_ciphers"

# Mozilla's version names -> the scan's protocol labels.
_VERSIONS = {
    "SSLv2": "SSL 2.0",
    "SSLv3": "SSL 3.0",
    "TLSv1": "TLS 1.0",
    "TLSv1.1": "TLS 1.1",
    "TLSv1.2": "TLS 1.2",
    "TLSv1.3": "TLS 1.3",
}


@dataclass(frozen=True)
class TlsPolicy:
    """The protocol and cipher parts of one published configuration."""

    name: str
    source: str  # where the configuration is published, with its version
    protocols: frozenset[str]  # scan labels, e.g. "TLS 1.2"
    ciphers: frozenset[str]  # IANA names of the TLS 1.2-and-below suites allowed
    tls13_ciphers: frozenset[str]
    dh_min_bits: int | None
    ecdh_min_bits: int | None


def load_policy(name: str) -> TlsPolicy:
    """The configuration ``name`` (``mozilla-intermediate``...) as sslyze ships it."""
    try:
        from sslyze.mozilla_tls_profile.tls_config_checker import (
            MozillaTlsConfiguration,
            TlsConfigurationEnum,
        )
    except ImportError:
        raise CouldNotCheck(missing_message("sslyze"), ErrorReason.TOOL_MISSING) from None
    level = name.removeprefix("mozilla-")
    config = MozillaTlsConfiguration.get(TlsConfigurationEnum(level))
    version = MozillaTlsConfiguration._JSON_PROFILE_PATH.stem  # e.g. "5.7"
    return TlsPolicy(
        name=name,
        source=f"Mozilla server-side TLS {level}, guidelines {version} (as shipped by sslyze)",
        protocols=frozenset(_VERSIONS[v] for v in config.tls_versions),
        ciphers=frozenset(config.ciphers.iana),
        tls13_ciphers=frozenset(config.ciphersuites),
        dh_min_bits=config.dh_param_size,
        ecdh_min_bits=config.ecdh_param_size,
    )


def policy_protocol_problems(scan: TlsScan, policy: TlsPolicy) -> list[str]:
    """Accepted protocols the policy does not list (a completed probe decides; errored ones are open)."""
    return [f"{p} is accepted, not in {policy.name}" for p in scan.accepted if p not in policy.protocols]


def policy_cipher_problems(cipher: CipherFacts, policy: TlsPolicy) -> list[str]:
    """Why an accepted suite breaks the policy (empty when the policy allows it)."""
    allowed = policy.tls13_ciphers if cipher.protocol == "TLS 1.3" else policy.ciphers
    reasons = []
    if cipher.name not in allowed:
        reasons.append(f"not in {policy.name}")
    bits = cipher.ephemeral_bits
    if cipher.ephemeral == "DH" and bits is not None and policy.dh_min_bits and bits < policy.dh_min_bits:
        reasons.append(f"{bits}-bit DH group, below {policy.dh_min_bits}")
    # As sslyze's own checker: OpenSSL reports X25519 as 253 bits, the policy counts it as 256.
    if (
        cipher.ephemeral == "ECDH"
        and bits is not None
        and policy.ecdh_min_bits
        and bits + 3 < policy.ecdh_min_bits
    ):
        reasons.append(f"{bits}-bit ECDH curve, below {policy.ecdh_min_bits}")
    return reasons


def allowed_cipher_problems(cipher: CipherFacts, allowed: frozenset[str]) -> list[str]:
    """Why an accepted suite breaks ``tls.allowed_ciphers`` (IANA names): not listed, or nothing."""
    return [] if cipher.name in allowed else [f"not in {ALLOWED_LIST}"]


def suite_label(cipher: CipherFacts) -> str:
    """``TLS 1.2 TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA (ECDHE-RSA-AES128-SHA)``: protocol, IANA name and,
    when it differs, the OpenSSL name a server's configuration uses."""
    label = f"{cipher.protocol} {cipher.name}"
    if cipher.openssl_name and cipher.openssl_name != cipher.name:
        label += f" ({cipher.openssl_name})"
    return label
