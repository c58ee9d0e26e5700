"""Security-header grading (after the Mozilla HTTP Observatory): HSTS, CSP, framing, referrer, banners."""

from __future__ import annotations

import pytest

from stackcheck.probes.headers import (
    ISOLATING_OPENER_POLICIES,
    csp_problems,
    effective_hsts,
    enforced_problems,
    error_page,
    framing_protection,
    opener_policy,
    parse_csp,
    parse_hsts,
    referrer_policy,
    version_banners,
)


def test_hsts_parses_max_age_and_flags() -> None:
    hsts = parse_hsts("max-age=31536000; includeSubDomains; preload")
    assert (hsts.max_age, hsts.include_subdomains, hsts.preload) == (31536000, True, True)
    assert parse_hsts('MAX-AGE="300"').max_age == 300


@pytest.mark.parametrize(
    "value",
    [
        "includeSubDomains",
        "max-age=abc",
        "max-age=1, max-age=2",
        "max-age=31536000, includeSubDomains",
        "max-age=-5",
        "",
        "max-age=60; max-age=31536000",  # RFC 6797 6.1: each directive at most once
        "max-age=31536000; includeSubDomains; INCLUDESUBDOMAINS",
        "max-age=\u0661\u0662\u0663",  # Arabic-Indic digits: not delta-seconds
        'max-age="31536000',
    ],
)
def test_invalid_hsts_is_rejected(value: str) -> None:
    with pytest.raises(ValueError, match=r"max-age|more than once|','"):
        parse_hsts(value)


def test_hsts_message_names_what_is_invalid() -> None:
    with pytest.raises(ValueError, match=r"a ',' is not allowed"):
        parse_hsts("max-age=31536000, includeSubDomains")
    with pytest.raises(ValueError, match=r"'max-age' appears more than once"):
        parse_hsts("max-age=60; max-age=31536000")
    assert parse_hsts("max-age = 31536000 ; includeSubDomains; foo=bar").max_age == 31536000


def test_identical_hsts_copies_are_judged_by_the_first() -> None:
    """RFC 6797 8.1: the first header applies; identical copies (app and proxy both add it) change nothing."""
    assert effective_hsts(["max-age=31536000; includeSubDomains"] * 2).max_age == 31536000
    assert effective_hsts(["max-age=300", "MAX-AGE=300 "]).max_age == 300  # same directives, same policy
    assert effective_hsts(["max-age=300"] * 2).max_age == 300  # ... and a short one stays short


def test_differing_hsts_copies_promise_no_one_policy() -> None:
    with pytest.raises(ValueError, match=r"sent 2 times with different values .*'max-age=300'"):
        effective_hsts(["max-age=31536000", "max-age=300"])
    with pytest.raises(ValueError, match="copies joined by a proxy"):  # one header line holding two values
        effective_hsts(["max-age=1, max-age=2"])
    with pytest.raises(ValueError, match="no Strict-Transport-Security"):
        effective_hsts([])


def test_csp_repeated_directive_is_invalid() -> None:
    with pytest.raises(ValueError, match="twice"):
        parse_csp("script-src 'self'; script-src *")
    with pytest.raises(ValueError, match="empty"):
        parse_csp(" ; ")


@pytest.mark.parametrize(
    "policy",
    [
        "default-src 'self'; object-src 'none'",
        "default-src 'none'; script-src 'self' https://cdn.example.com; object-src 'none'",
        # a nonce makes browsers ignore 'unsafe-inline' (the CSP2 fallback pattern)
        "script-src 'nonce-abc' 'unsafe-inline' 'strict-dynamic' https:; object-src 'none'",
        # unsafe-inline in style-src only is tolerated, as by the Observatory
        "default-src 'self'; style-src 'self' 'unsafe-inline'; object-src 'none'",
    ],
)
def test_restrictive_policies_pass(policy: str) -> None:
    assert csp_problems(parse_csp(policy)) == []


@pytest.mark.parametrize(
    ("policy", "problem"),
    [
        ("img-src 'self'", "scripts may load from anywhere"),  # no script-src nor default-src
        ("default-src 'self' 'unsafe-inline'", "inline scripts"),
        ("default-src 'self'; script-src 'self' 'unsafe-eval'", "eval()"),
        ("default-src 'self'; script-src https:", "from anywhere (https:)"),
        ("default-src 'self'; script-src 'self' data:", "data: URLs"),
        ("script-src 'self'", "plugins/objects may load from anywhere"),
        ("default-src 'self'; script-src http://cdn.example.com; object-src 'none'", "plain http:"),
    ],
)
def test_permissive_policies_fail_with_the_reason(policy: str, problem: str) -> None:
    assert any(problem in p for p in csp_problems(parse_csp(policy)))


@pytest.mark.parametrize(
    ("headers", "protected"),
    [
        ({"x-frame-options": "DENY"}, True),
        ({"x-frame-options": "sameorigin"}, True),
        ({"x-frame-options": "ALLOW-FROM https://x"}, False),
        ({"x-frame-options": "ALLOWALL"}, False),
        # HTML: several distinct values naming deny/sameorigin/allowall block framing (fallback to deny)
        ({"x-frame-options": "DENY, SAMEORIGIN"}, True),
        ({"x-frame-options": "ALLOWALL, sameorigin"}, True),
        ({"x-frame-options": "DENY, deny"}, True),
        ({"x-frame-options": "foo, ALLOW-FROM https://x"}, False),
        ({"content-security-policy": "frame-ancestors 'none'"}, True),
        ({"content-security-policy": "frame-ancestors *", "x-frame-options": "DENY"}, False),
        ({"content-security-policy": "default-src 'self'", "x-frame-options": "DENY"}, True),
        ({}, False),
    ],
)
def test_framing_protection(headers: dict[str, str], protected: bool) -> None:
    assert framing_protection(headers)[0] is protected


def test_last_known_referrer_policy_token_wins() -> None:
    assert referrer_policy("unsafe-url, strict-origin-when-cross-origin") == "strict-origin-when-cross-origin"
    assert referrer_policy("no-referrer, bogus") == "no-referrer"
    assert referrer_policy("bogus") is None and referrer_policy(None) is None


def test_version_banners_are_found_but_bare_names_are_not() -> None:
    assert version_banners({"server": "nginx/1.22.1", "x-powered-by": "PHP/8.2.1"}) == {
        "server": "nginx/1.22.1",
        "x-powered-by": "PHP/8.2.1",
    }
    assert version_banners({"server": "nginx", "x-aspnet-version": "4.0.30319"}) == {
        "x-aspnet-version": "4.0.30319"
    }
    assert version_banners({"server": "cloudflare"}) == {}


def test_several_enforced_policies_count_a_weakness_only_when_each_has_it() -> None:
    # a resource must pass every policy: scripts restricted by one, objects by the other → restrictive
    assert enforced_problems("script-src 'self', object-src 'none'") == []
    assert enforced_problems("default-src 'self', script-src 'unsafe-inline'") == []
    assert enforced_problems("script-src *; object-src 'none', script-src https:; object-src 'none'") == [
        "scripts may load from anywhere (*)"
    ]
    assert framing_protection({"content-security-policy": "default-src 'self', frame-ancestors 'self'"})[0]


@pytest.mark.parametrize(
    ("value", "effective", "isolating"),
    [
        ("same-origin", "same-origin", True),
        ('Same-Origin-Allow-Popups; report-to="coop"', "same-origin-allow-popups", True),
        ("noopener-allow-popups", "noopener-allow-popups", True),
        ("unsafe-none", "unsafe-none", False),
        ("", None, False),
        (None, None, False),
    ],
)
def test_opener_policy_token_decides(value: str | None, effective: str | None, isolating: bool) -> None:
    assert opener_policy(value) == effective
    assert (opener_policy(value) in ISOLATING_OPENER_POLICIES) is isolating


def test_an_error_answer_is_no_evidence_about_the_headers() -> None:
    assert error_page(200, "/") is None
    assert error_page(301, "/") is None
    refused = error_page(400, "/")
    assert refused is not None and refused[1] and "answered 400 Bad Request" in refused[0]
    forbidden = error_page(403, "/app")
    assert forbidden is not None and forbidden[1] and forbidden[0].startswith("GET /app answered 403")
    other = error_page(502, "/")
    assert other is not None and not other[1] and "502 Bad Gateway" in other[0]
    unknown = error_page(599, "/")
    assert unknown is not None and "599 error" in unknown[0]
