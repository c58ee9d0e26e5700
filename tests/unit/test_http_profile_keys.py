"""The HTTP-surface keys that say what ADRs say: their validation (one line naming the key) and the pure
rules behind headers.values, cors.credentials, tls.allowed_ciphers and metrics.not_public."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from fixtures.refservice.defects import Defect, parse_defect
from stackcheck import ProfileError
from stackcheck.catalog import headers as header_checks
from stackcheck.claims import checks_for
from stackcheck.probes.cors import credential_problem, grant_of
from stackcheck.probes.headers import exact_value_problem
from stackcheck.probes.http import HttpProbe
from stackcheck.probes.metrics_exposure import exposition_signs, public_variants
from stackcheck.probes.tls import CipherFacts
from stackcheck.probes.tls_names import iana_names, openssl_name, unknown_suite_problem
from stackcheck.probes.tls_policy import allowed_cipher_problems, suite_label
from stackcheck.profile import load_profile
from stackcheck.profile.http import HeadersSection, TlsSection


def load(tmp_path: Path, text: str, *overrides: str) -> object:
    path = tmp_path / "p.yaml"
    path.write_text("name: x\n" + text)
    return load_profile(path, overrides).profile


MISTAKES = [
    pytest.param(
        "headers:\n  values: {X-Frame-Options: DENY, x-frame-options: SAMEORIGIN}\n",
        "headers.values",
        "header 'x-frame-options' is named twice",
        id="header-twice",
    ),
    pytest.param(
        "headers:\n  values: {'x frame': DENY}\n", "headers.values", "is not a header name", id="bad-name"
    ),
    pytest.param(
        "headers:\n  values: {x-frame-options: ' '}\n", "headers.values", "non-empty", id="empty-value"
    ),
    pytest.param("headers:\n  paths: [/, api]\n", "headers.paths[1]", "starting with '/'", id="bad-path"),
    pytest.param(
        "cors:\n  allow_credentials: true\n",
        "cors.allow_credentials",
        "needs cors.allowed_origins",
        id="credentials-without-origins",
    ),
    pytest.param(
        "tls:\n  allowed_ciphers: [ECDHE-RSA-AES128-GCM-SHA265]\n",
        "tls.allowed_ciphers",
        "'ECDHE-RSA-AES128-GCM-SHA265' is not a cipher suite name",
        id="typo-in-a-suite",
    ),
    pytest.param(
        "tls:\n  allowed_ciphers: ['ECDHE-RSA-AES128-GCM-SHA256:ECDHE-RSA-AES256-GCM-SHA384']\n",
        "tls.allowed_ciphers",
        "one suite per list entry",
        id="ssl-ciphers-string",
    ),
    pytest.param(
        "tls:\n  allowed_ciphers: [HIGH]\n", "tls.allowed_ciphers", "cipher-string keyword", id="keyword"
    ),
    pytest.param(
        "tls:\n  policy: mozilla-intermediate\n  allowed_ciphers: [TLS_AES_128_GCM_SHA256]\n",
        "tls.allowed_ciphers",
        "tls.allowed_ciphers and tls.policy (mozilla-intermediate) are mutually exclusive",
        id="list-and-policy",
    ),
    pytest.param(
        "metrics:\n  base_url: 127.0.0.1:9464\n",
        "metrics.base_url",
        "http:// or https:// URL",
        id="no-scheme",
    ),
    pytest.param(
        "metrics:\n  base_url: http://127.0.0.1:9464/metrics\n",
        "metrics.base_url",
        "without a path (the path is metrics.path)",
        id="base-url-with-path",
    ),
]


@pytest.mark.parametrize(("text", "key", "what"), MISTAKES)
def test_a_mistake_in_a_new_key_is_one_line_naming_it(tmp_path: Path, text: str, key: str, what: str) -> None:
    with pytest.raises(ProfileError) as info:
        load(tmp_path, text)
    message = str(info.value)
    assert f" {key}: " in message and what in message, message
    assert "\n" not in message


def test_an_overlay_that_sets_a_list_beside_a_policy_names_both_keys(tmp_path: Path) -> None:
    (tmp_path / "base.yaml").write_text("name: base\ntls: {policy: mozilla-modern}\n")
    with pytest.raises(ProfileError, match="mutually exclusive"):
        load(tmp_path, "extends: base.yaml\ntls: {allowed_ciphers: [TLS_AES_128_GCM_SHA256]}\n")
    ok = load(
        tmp_path, "extends: base.yaml\ntls: {policy: null, allowed_ciphers: [TLS_AES_128_GCM_SHA256]}\n"
    )
    assert ok.tls.allowed_suites() == {"TLS_AES_128_GCM_SHA256"}  # type: ignore[attr-defined]


def test_paths_take_precedence_over_path_and_values_are_keyed_lower_case(tmp_path: Path) -> None:
    assert HeadersSection().pages() == ["/"]
    assert HeadersSection(path="/app").pages() == ["/app"]
    assert HeadersSection(path="/app", paths=["/", "/api", "/"]).pages() == ["/", "/api"]
    profile = load(
        tmp_path,
        "headers:\n  values: {X-Frame-Options: ' DENY '}\n",
        "headers.values.Referrer-Policy=no-referrer",
    )
    assert profile.headers.values == {  # type: ignore[attr-defined]
        "x-frame-options": "DENY",
        "referrer-policy": "no-referrer",
    }


def test_allowed_ciphers_accept_iana_and_openssl_names_in_any_case() -> None:
    section = TlsSection(
        allowed_ciphers=["ecdhe-rsa-aes128-gcm-sha256", "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384", "RC4-MD5"]
    )
    assert section.allowed_suites() == {
        "TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256",
        "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384",
        "TLS_RSA_WITH_RC4_128_MD5",  # RC4-MD5 names an SSL 2.0 and an SSL 3.0+ suite: both
        "SSL_CK_RC4_128_WITH_MD5",
    }
    assert iana_names("TLS_AES_128_GCM_SHA256") == {"TLS_AES_128_GCM_SHA256"}
    assert openssl_name("TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA") == "ECDHE-RSA-AES128-SHA"
    assert unknown_suite_problem("AES128-SHA") is None


def _suite(name: str, protocol: str = "TLS 1.2") -> CipherFacts:
    return CipherFacts(protocol=protocol, name=name, key_size=128, openssl_name=openssl_name(name))


def test_a_suite_outside_the_list_is_named_with_its_openssl_name() -> None:
    allowed = frozenset({"TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"})
    assert allowed_cipher_problems(_suite("TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"), allowed) == []
    cbc = _suite("TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA")
    assert allowed_cipher_problems(cbc, allowed) == ["not in tls.allowed_ciphers"]
    assert suite_label(cbc) == "TLS 1.2 TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA (ECDHE-RSA-AES128-SHA)"
    assert suite_label(_suite("TLS_AES_128_GCM_SHA256", "TLS 1.3")) == "TLS 1.3 TLS_AES_128_GCM_SHA256"
    # A scan recorded before openssl_name existed still reads.
    old = CipherFacts.model_validate(
        {"protocol": "TLS 1.2", "name": "TLS_RSA_WITH_AES_128_CBC_SHA", "key_size": 128}
    )
    assert suite_label(old) == "TLS 1.2 TLS_RSA_WITH_AES_128_CBC_SHA"


@pytest.mark.parametrize(
    ("values", "problem"),
    [
        (["DENY"], None),
        ([" DENY "], None),
        ([], "x-frame-options is not sent"),
        (["SAMEORIGIN"], "x-frame-options is 'SAMEORIGIN', not 'DENY'"),
        (["deny"], "x-frame-options is 'deny', not 'DENY' (only the letter case differs; exact match)"),
        (["DENY", "DENY"], "x-frame-options is sent 2 times ('DENY' | 'DENY'), so its value is 'DENY, DENY'"),
    ],
)
def test_exact_values_are_exact_and_sent_once(values: list[str], problem: str | None) -> None:
    found = exact_value_problem("x-frame-options", "DENY", values)
    assert found == problem if problem is None else found is not None and found.startswith(problem)


APP = "https://app.example.com"


def test_credentials_need_the_origin_itself_and_exactly_true() -> None:
    echoed = grant_of(APP, {"access-control-allow-origin": APP, "access-control-allow-credentials": "true"})
    assert echoed.credentialed and credential_problem(echoed, True, "GET") is None
    assert credential_problem(echoed, False, "GET from x") == "GET from x is granted credentials"
    star = grant_of(APP, {"access-control-allow-origin": "*", "access-control-allow-credentials": "true"})
    assert not star.credentialed  # browsers refuse * with credentials
    assert "Access-Control-Allow-Origin is *" in str(credential_problem(star, True, "GET"))
    assert credential_problem(star, False, "GET") is None  # no credentialed read: cors.credentials_wildcard's
    absent = grant_of(APP, {"access-control-allow-origin": APP})
    assert (
        credential_problem(absent, True, "GET") == "GET: Access-Control-Allow-Credentials is absent, not true"
    )
    upper = grant_of(APP, {"access-control-allow-origin": APP, "access-control-allow-credentials": "True"})
    assert not upper.credentialed  # Fetch compares the value byte for byte
    assert "is 'True', not true" in str(credential_problem(upper, True, "GET"))
    other = grant_of(APP, {"access-control-allow-origin": "https://other.example.com"})
    assert "not the origin itself" in str(credential_problem(other, True, "GET"))


EXPOSITION = "# HELP up Up\n# TYPE up gauge\nup 1\n"


@pytest.mark.parametrize(
    ("status", "text", "content_type", "served"),
    [
        (200, EXPOSITION, "text/plain; version=0.0.4", True),
        (200, EXPOSITION, "text/plain", True),  # metadata lines say so whatever the type
        (200, "a 1\nb 2\n", "text/plain", True),  # two samples without metadata
        (200, "# TYPE x counter\nx{ 1\n", "text/plain", True),  # garbled, exposed all the same
        (200, "", "application/openmetrics-text; version=1.0.0", True),
        (200, "OK 200\n", "text/plain", False),  # one "sample" is no exposition
        (200, "<!doctype html><title>app</title>", "text/html", False),
        (200, '{"detail": "Not Found"}', "application/json", False),
        (404, EXPOSITION, "text/plain; version=0.0.4", False),
        (403, "", "text/html", False),
    ],
)
def test_what_counts_as_the_exposition_on_the_public_side(
    status: int, text: str, content_type: str, served: bool
) -> None:
    assert (exposition_signs(status, text, content_type) is not None) is served


def test_public_variants_toggle_the_slash_and_double_it() -> None:
    assert public_variants("/metrics") == ["/metrics", "/metrics/", "//metrics"]
    assert public_variants("/actuator/prometheus/") == [
        "/actuator/prometheus/",
        "/actuator/prometheus",
        "//actuator/prometheus/",
    ]


def test_a_doubled_leading_slash_reaches_the_server_as_written() -> None:
    seen: list[bytes] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.url.raw_path)
        return httpx.Response(200)

    with HttpProbe("https://127.0.0.1:8443", transport=httpx.MockTransport(handler)) as probe:
        probe.get("//metrics")
        probe.get("/metrics/")
    assert seen == [b"//metrics", b"/metrics/"]  # httpx alone sends "//metrics" to "/"


def test_defects_of_the_new_keys_parse() -> None:
    value = parse_defect("header-value=X-Frame-Options:SAMEORIGIN")
    assert value.kind is Defect.HEADER_VALUE and value.value == "x-frame-options:SAMEORIGIN"
    assert parse_defect("duplicate-header=X-Frame-Options").value == "x-frame-options"
    assert parse_defect("no-headers-at=/api/v1/ping").path == "/api/v1/ping"
    assert parse_defect("cors-credentials=false").value == "false"
    for bad in ("cors-credentials=maybe", "header-value=x-frame-options", "no-headers-at=api"):
        with pytest.raises(ValueError, match="defect"):
            parse_defect(bad)


@pytest.mark.parametrize(
    ("key", "checks"),
    [
        ("headers.values", {"headers.values"}),
        ("cors.allow_credentials", {"cors.credentials"}),
        ("tls.allowed_ciphers", {"tls.ciphers"}),
        ("metrics.public", {"metrics.not_public"}),
        ("metrics.base_url", {"metrics.exposition", "metrics.required", "metrics.latency_histogram"}),
    ],
)
def test_a_claim_naming_a_new_key_finds_the_checks_that_verify_it(key: str, checks: set[str]) -> None:
    assert set(checks_for(key)) == checks


def test_a_claim_naming_headers_paths_is_verified_by_every_headers_check() -> None:
    assert set(checks_for("headers.paths")) == {spec.id for spec in header_checks.CHECKS}
