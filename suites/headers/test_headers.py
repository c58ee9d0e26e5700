"""Suite ``headers``: HTTP security headers, graded like the Observatory, on each page of ``headers.paths``
(one result per page, its subject the path) or on the one page ``headers.path``."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from stackcheck.catalog import headers as checks
from stackcheck.probes.headers import (
    ISOLATING_OPENER_POLICIES,
    PRIVATE_REFERRER_POLICIES,
    effective_hsts,
    enforced_problems,
    error_page,
    exact_value_problem,
    framing_protection,
    opener_policy,
    referrer_policy,
    split_policies,
    version_banners,
)
from stackcheck.testing import (
    CouldNotCheck,
    ErrorReason,
    EvidenceRecorder,
    Exchange,
    HeadersSection,
    HttpProbe,
    Profile,
    Target,
    profile_of,
    require,
)


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    profile = profile_of(metafunc.config)
    section = profile.headers if profile else None
    if "header_path" in metafunc.fixturenames and section and section.paths:
        # Module scope: each page is fetched once and judged by every check.
        pages = section.pages()
        metafunc.parametrize("header_path", pages, ids=pages, scope="module")


@pytest.fixture(scope="module")
def header_path(profile: Profile) -> str:
    """Replaced by one parameter per ``headers.paths`` entry; without them, ``headers.path``."""
    return require(profile.headers, "profile has no `headers` section").path


@pytest.fixture
def section(profile: Profile) -> HeadersSection:
    """The profile's ``headers`` section (the plugin already skipped the check when it is absent)."""
    return require(profile.headers, "profile has no `headers` section")


@pytest.fixture(scope="module")
def page(http: HttpProbe, header_path: str) -> Exchange:
    """One ``GET`` of the page, shared by the suite's checks (headers do not change between requests); an
    error answer (4xx/5xx) is no evidence about the site's headers: every check of that page is ``error``."""
    answer = http.get(header_path)
    unusable = error_page(answer.status, header_path)
    if unusable is not None:
        message, refused = unusable
        raise CouldNotCheck(message, ErrorReason.ACCESS_DENIED if refused else ErrorReason.UNEXPECTED_ANSWER)
    return answer


def headers_of(page: Exchange) -> dict[str, str]:
    """Response headers by lower-case name (repeated headers joined with ', ', as HTTP defines)."""
    return {name: ", ".join(page.response.headers.get_list(name)) for name in page.response.headers}


@pytest.mark.check(checks.HSTS)
def test_https_answers_carry_hsts_with_a_long_enough_max_age(
    page: Exchange, target: Target, section: HeadersSection, evidence: EvidenceRecorder
) -> None:
    if urlsplit(target.base_url).scheme != "https":
        pytest.skip("the target is plain HTTP: browsers honour HSTS only over HTTPS (use the https:// URL)")
    raw = page.response.headers.get("strict-transport-security")
    evidence.record(expected=section.hsts_min_age_s, op=">=", unit="s", header=raw, url=page.url)
    assert raw is not None, f"GET {urlsplit(page.url).path} carries no Strict-Transport-Security header"
    values = page.response.headers.get_list("strict-transport-security")
    try:
        hsts = effective_hsts(values)
    except ValueError as exc:
        raise AssertionError(f"Strict-Transport-Security {raw!r} is invalid: {exc}") from None
    evidence.record(
        observed=hsts.max_age,
        include_subdomains=hsts.include_subdomains,
        preload=hsts.preload,
        copies=len(values),
    )
    assert hsts.max_age >= section.hsts_min_age_s, (
        f"HSTS max-age is {hsts.max_age} s, below {section.hsts_min_age_s} s"
    )
    assert hsts.include_subdomains or not section.hsts_include_subdomains, "HSTS lacks includeSubDomains"
    assert hsts.preload or not section.hsts_preload, "HSTS lacks preload"
    evidence.message = f"Strict-Transport-Security: {raw}"


@pytest.mark.check(checks.CSP)
def test_content_security_policy_restricts_scripts_and_objects(
    page: Exchange, target: Target, evidence: EvidenceRecorder
) -> None:
    raw = page.response.headers.get("content-security-policy")
    report_only = page.response.headers.get("content-security-policy-report-only")
    evidence.record(expected=0, unit="unsafe sources", header=raw, report_only=report_only)
    assert raw is not None, "no Content-Security-Policy header" + (
        " (only Content-Security-Policy-Report-Only, which enforces nothing)" if report_only else ""
    )
    value = ", ".join(page.response.headers.get_list("content-security-policy"))
    try:
        problems = enforced_problems(value, https=urlsplit(target.base_url).scheme == "https")
    except ValueError as exc:
        raise AssertionError(f"Content-Security-Policy is invalid: {exc}") from None
    policies = len(split_policies(value))
    evidence.record(observed=len(problems), problems=problems, policies=policies)
    assert not problems, f"Content-Security-Policy is too permissive: {'; '.join(problems)}"
    evidence.message = (
        f"CSP restricts scripts and objects ({policies} enforced polic{'y' if policies == 1 else 'ies'})"
    )


@pytest.mark.check(checks.NOSNIFF)
def test_content_type_sniffing_is_disabled(page: Exchange, evidence: EvidenceRecorder) -> None:
    raw = page.response.headers.get("x-content-type-options")
    evidence.record(expected="nosniff", observed=raw)
    assert raw is not None, "no X-Content-Type-Options header"
    assert raw.strip().lower() == "nosniff", f"X-Content-Type-Options is {raw!r}, not nosniff"
    evidence.message = "X-Content-Type-Options: nosniff"


@pytest.mark.check(checks.FRAMING)
def test_framing_by_other_sites_is_refused(page: Exchange, evidence: EvidenceRecorder) -> None:
    protected, how = framing_protection(headers_of(page))
    evidence.record(
        expected="DENY/SAMEORIGIN or frame-ancestors",
        observed="protected" if protected else "frameable",
        x_frame_options=page.response.headers.get("x-frame-options"),
    )
    assert protected, f"pages may be framed by other sites: {how}"
    evidence.message = how


@pytest.mark.check(checks.REFERRER_POLICY)
def test_referrer_policy_keeps_urls_private(page: Exchange, evidence: EvidenceRecorder) -> None:
    raw = page.response.headers.get("referrer-policy")
    effective = referrer_policy(raw)
    evidence.record(expected=list(PRIVATE_REFERRER_POLICIES), op="in", observed=effective, header=raw)
    assert raw is not None, "no Referrer-Policy header"
    assert effective is not None, f"Referrer-Policy {raw!r} names no known policy"
    assert effective in PRIVATE_REFERRER_POLICIES, (
        f"Referrer-Policy {effective} sends full URLs to other origins"
    )
    evidence.message = f"Referrer-Policy: {effective}"


@pytest.mark.check(checks.SERVER_BANNER)
def test_no_header_names_a_software_version(page: Exchange, evidence: EvidenceRecorder) -> None:
    banners = version_banners(headers_of(page))
    evidence.record(
        expected=0,
        observed=len(banners),
        unit="banners",
        banners=banners,
        server=page.response.headers.get("server"),
    )
    assert not banners, "software versions are announced: " + ", ".join(
        f"{k}: {v}" for k, v in banners.items()
    )
    evidence.message = f"Server: {page.response.headers.get('server', '(none)')}, no versions"


@pytest.mark.check(checks.REQUIRED)
def test_every_required_header_is_present(
    page: Exchange, section: HeadersSection, evidence: EvidenceRecorder
) -> None:
    if not section.required:
        pytest.skip("headers.required lists no headers")
    present = {name.lower() for name in page.response.headers}
    missing = [name for name in section.required if name.lower() not in present]
    evidence.record(
        expected=len(section.required),
        op=">=",
        observed=len(section.required) - len(missing),
        unit="headers",
        required=section.required,
        missing=missing,
    )
    assert not missing, f"missing header(s) on {urlsplit(page.url).path}: {', '.join(missing)}"
    evidence.message = f"all {len(section.required)} required headers present"


@pytest.mark.check(checks.COOP)
def test_cross_origin_opener_policy_isolates_the_window(page: Exchange, evidence: EvidenceRecorder) -> None:
    raw = page.response.headers.get("cross-origin-opener-policy")
    effective = opener_policy(raw)
    evidence.record(expected=list(ISOLATING_OPENER_POLICIES), op="in", observed=effective, header=raw)
    assert raw is not None, "no Cross-Origin-Opener-Policy header"
    assert effective in ISOLATING_OPENER_POLICIES, (
        f"Cross-Origin-Opener-Policy {raw!r} lets cross-origin openers keep a handle on the window"
    )
    evidence.message = f"Cross-Origin-Opener-Policy: {effective}"


@pytest.mark.check(checks.VALUES)
def test_each_listed_header_carries_exactly_its_value(
    page: Exchange, section: HeadersSection, evidence: EvidenceRecorder
) -> None:
    observed = {name: page.response.headers.get_list(name) for name in section.values}
    problems = [
        problem
        for name, value in section.values.items()
        if (problem := exact_value_problem(name, value, observed[name])) is not None
    ]
    evidence.record(
        expected=section.values,
        op="==",
        observed={k: (v[0] if len(v) == 1 else v or None) for k, v in observed.items()},
        problems=problems,
        url=page.url,
    )
    assert not problems, f"GET {urlsplit(page.url).path}: {'; '.join(problems)}"
    evidence.message = f"all {len(section.values)} header(s) carry exactly their values"
