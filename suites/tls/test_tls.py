"""Suite ``tls``: protocols, cipher suites and certificate of the target, scanned once with sslyze."""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlsplit

import pytest

from stackcheck.catalog import tls as checks
from stackcheck.probes.tls import (
    CipherFacts,
    TlsScan,
    certificate_problems,
    cipher_weaknesses,
    ciphers_undecided,
    protocol_problems,
    protocols_undecided,
    scan_error_reason,
    scan_tls,
    system_ca_file,
)
from stackcheck.probes.tls_policy import (
    ALLOWED_LIST,
    TlsPolicy,
    allowed_cipher_problems,
    load_policy,
    policy_cipher_problems,
    policy_protocol_problems,
    suite_label,
)
from stackcheck.testing import (
    CouldNotCheck,
    ErrorReason,
    EvidenceRecorder,
    HttpProbe,
    Profile,
    Target,
    TlsSection,
    require,
)

REDIRECTS = (301, 302, 303, 307, 308)


@pytest.fixture
def tls(profile: Profile) -> TlsSection:
    """The profile's ``tls`` section (the plugin already skipped the check when it is absent)."""
    return require(profile.tls, "profile has no `tls` section")


@pytest.fixture(scope="session")
def tls_scan(target: Target, profile: Profile) -> TlsScan:
    """One sslyze scan of the target, shared by the TLS checks."""
    section = require(profile.tls, "profile has no `tls` section")
    parts = urlsplit(target.base_url)
    if parts.scheme != "https":
        raise CouldNotCheck(
            f"target {target.base_url} is plain HTTP: the tls suite scans an https:// target",
            ErrorReason.MISCONFIGURED,
        )
    return scan_tls(
        parts.hostname or "",
        parts.port or 443,
        server_name=section.server_name,
        ca_file=target.ca_bundle or system_ca_file(),
        timeout_s=section.scan_timeout_s,
        handshake_timeout_s=2 * target.timeout_s,
    )


@pytest.fixture
def policy(tls: TlsSection) -> TlsPolicy | None:
    """The published configuration ``tls.policy`` names, if any."""
    return load_policy(tls.policy) if tls.policy else None


@pytest.mark.check(checks.PROTOCOLS)
def test_no_protocol_below_the_minimum_is_accepted(
    tls_scan: TlsScan, tls: TlsSection, policy: TlsPolicy | None, evidence: EvidenceRecorder
) -> None:
    accepted = tls_scan.accepted
    lowest = accepted[0] if accepted else None
    evidence.record(
        expected=f"TLS {tls.min_version}",
        op=">=",
        observed=lowest,
        accepted=accepted,
        errored=dict(tls_scan.protocol_errors),
        errors=list(tls_scan.errors),
        policy=policy.source if policy else None,
    )
    # What a completed probe proved decides first; an errored probe that could change it makes it error.
    problems = protocol_problems(tls_scan, tls.min_version)
    if policy is not None:
        problems += [p for p in policy_protocol_problems(tls_scan, policy) if p.split(",")[0] not in problems]
        allowed = ", ".join(sorted(policy.protocols))
    rule = f"minimum TLS {tls.min_version}" + (f", {policy.name}: {allowed}" if policy else "")
    assert not problems, f"{'; '.join(problems)} ({rule})"
    undecided = protocols_undecided(tls_scan, tls.min_version)
    if policy is not None:  # a protocol the policy excludes may hide behind an errored probe too
        undecided |= {p: why for p, why in tls_scan.protocol_errors.items() if p not in policy.protocols}
    if undecided:
        raise CouldNotCheck(
            f"{_errored(undecided)}: whether the server accepts {'them' if len(undecided) > 1 else 'it'} is "
            f"unknown (completed: {_completed(tls_scan)}; {rule})",
            scan_error_reason(undecided),
        )
    evidence.message = f"accepted: {', '.join(accepted)}"


def _errored(errors: dict[str, str]) -> str:
    probes = "the probes of " if len(errors) > 1 else "the probe of "
    return probes + ", ".join(errors) + f" errored ({'; '.join(sorted(set(errors.values())))})"


def _completed(scan: TlsScan) -> str:
    done = [f"{p} {'accepted' if scan.protocols[p] else 'refused'}" for p in scan.protocols]
    return ", ".join(done) or "none"


@pytest.mark.check(checks.CIPHERS)
def test_every_accepted_cipher_suite_is_strong(
    tls_scan: TlsScan, tls: TlsSection, policy: TlsPolicy | None, evidence: EvidenceRecorder
) -> None:
    # The team's own list, else a published policy, replaces the built-in rules (old allows 3DES).
    allowed = tls.allowed_suites() if tls.allowed_ciphers else None
    rule = ALLOWED_LIST if allowed is not None else policy.name if policy else None

    def reasons(cipher: CipherFacts) -> list[str]:
        if allowed is not None:
            return allowed_cipher_problems(cipher, allowed)
        return policy_cipher_problems(cipher, policy) if policy else cipher_weaknesses(cipher)

    refused = [c for c in tls_scan.ciphers if reasons(c)]
    weak = {f"{c.protocol} {c.name}": reasons(c) for c in refused}  # evidence keys: protocol and IANA name
    evidence.record(
        policy=policy.source if policy else None,
        rule=rule or "built-in",
        allowed=tls.allowed_ciphers or None,
        expected=0,
        observed=len(weak),
        unit="weak suites" if rule is None else "suites not allowed",
        weak=weak,
        accepted=len(tls_scan.ciphers),
        accepted_suites=[suite_label(c) for c in tls_scan.ciphers],
        errored=dict(tls_scan.protocol_errors),
    )
    label = f"suites outside {rule} accepted: " if rule else "weak cipher suites accepted: "
    if allowed is not None:  # the reason is always "not listed": name them as the server's config does
        assert not refused, label + "; ".join(suite_label(c) for c in refused)
    assert not weak, label + "; ".join(f"{name} ({', '.join(reasons)})" for name, reasons in weak.items())
    undecided = ciphers_undecided(tls_scan)
    if undecided:
        verdict = "all listed" if allowed is not None else "none weak"
        seen = f"{len(tls_scan.ciphers)} suites accepted elsewhere, {verdict}" if tls_scan.ciphers else "none"
        raise CouldNotCheck(
            f"{_errored(undecided)}: a suite accepted there would go unseen (completed: {seen})",
            scan_error_reason(undecided),
        )
    if not tls_scan.ciphers:
        raise CouldNotCheck("the scan found no accepted cipher suite", ErrorReason.UNEXPECTED_ANSWER)
    evidence.message = (
        f"{len(tls_scan.ciphers)} accepted suites, all allowed by {rule}"
        if rule
        else f"{len(tls_scan.ciphers)} accepted suites, all forward secret and strong"
    )


@pytest.mark.check(checks.CERTIFICATE)
def test_certificate_is_trusted_matches_and_stays_valid(
    tls_scan: TlsScan, tls: TlsSection, target: Target, evidence: EvidenceRecorder
) -> None:
    cert = tls_scan.certificate
    if cert is None:
        if tls_scan.certificate_error:
            raise CouldNotCheck(
                f"the certificate probe errored ({tls_scan.certificate_error})",
                scan_error_reason({"certificate": tls_scan.certificate_error}),
            )
        raise CouldNotCheck("the scan got no certificate from the server", ErrorReason.UNEXPECTED_ANSWER)
    now = dt.datetime.now(dt.UTC)
    days_left = round((cert.not_after - now).total_seconds() / 86400, 1)
    problems = certificate_problems(
        cert, now=now, min_days=tls.cert_min_days_left, min_rsa_bits=tls.min_rsa_bits
    )
    evidence.record(
        subject=cert.subject,
        issuer=cert.issuer,
        not_after=cert.not_after.isoformat(),
        days_left=days_left,
        key=f"{cert.key_type} {cert.key_bits}",
        signature=cert.signature_algorithm,
        server_name=cert.server_name,
        trusted_by=target.ca_bundle or "system CA store",
        problems={p.property: p.message for p in problems},
    )
    # Expected/observed are the property that failed first (all of them are under details.problems);
    # when nothing failed, the days left.
    first = problems[0] if problems else None
    evidence.expected = first.expected if first else tls.cert_min_days_left
    evidence.observed = first.observed if first else days_left
    evidence.op = first.op if first else ">="
    evidence.unit = first.unit if first else "days"
    assert not problems, f"certificate {cert.subject}: {'; '.join(p.message for p in problems)}"
    evidence.message = f"{cert.subject} by {cert.issuer}, trusted, {days_left:g} days left"


@pytest.mark.check(checks.REDIRECT)
def test_plain_http_redirects_to_https(target: Target, tls: TlsSection, evidence: EvidenceRecorder) -> None:
    port = require(
        tls.http_port or target.http_port, "tls.http_port is not set: no plain-HTTP listener to check"
    )
    host = urlsplit(target.base_url).hostname or ""
    netloc = f"[{host}]" if ":" in host else host
    url = f"http://{netloc}:{port}/"
    # The one bounded exchange (bytes, deadline), as every probe: the plain port is the target's too.
    with HttpProbe(f"http://{netloc}:{port}", timeout_s=target.timeout_s, max_bytes=64 * 1024) as plain:
        answer = plain.get("/")
    location = answer.response.headers.get("location", "")
    evidence.record(expected="3xx to https://", observed=answer.status, location=location or None, url=url)
    assert answer.status in REDIRECTS, f"GET {url} answered {answer.status}, not a redirect"
    assert urlsplit(location).scheme == "https", f"GET {url} redirects to {location!r}, not to https://"
    evidence.message = f"GET {url} -> {answer.status} {location}"
