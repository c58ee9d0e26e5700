"""The tls suite end to end: sslyze against the reference service's real TLS listener."""

from __future__ import annotations

import ssl
import warnings
from collections.abc import Callable

import httpx
import pytest

from conftest import CliRun
from stackcheck.catalog import CheckSpec, tls
from tests.integration.http_surface import (
    assert_rows_cover_the_catalog,
    expected,
    https_refservice,
    result,
    verify,
)

pytestmark = pytest.mark.integration
SUITE = ["tls"]


def test_tls13_only_service_with_a_trusted_certificate_passes(run_cli: Callable[..., CliRun]) -> None:
    with https_refservice() as service:
        run = verify(run_cli, service, SUITE)
    assert run.code == 0, run.stdout + run.stderr
    assert run.statuses() == expected(SUITE)
    assert result(run, tls.PROTOCOLS)["evidence"]["details"]["accepted"] == ["TLS 1.3"]
    cert = result(run, tls.CERTIFICATE)["evidence"]
    assert cert["unit"] == "days" and 89 <= cert["observed"] <= 90 and cert["expected"] == 14


ROWS = [
    (["tls-min=1.2"], [], {tls.PROTOCOLS: "failed"}),
    (["tls-min=1.0"], ["--set", "tls.min_version=1.2"], {tls.PROTOCOLS: "failed"}),
    (["weak-ciphers"], ["--set", "tls.min_version=1.2"], {tls.CIPHERS: "failed"}),
    (["cert-expiring=5"], [], {tls.CERTIFICATE: "failed"}),
    (["cert-expired"], [], {tls.CERTIFICATE: "failed"}),
    (["cert-self-signed"], [], {tls.CERTIFICATE: "failed"}),
    (["cert-wrong-host"], [], {tls.CERTIFICATE: "failed"}),
    (["weak-key"], [], {tls.CERTIFICATE: "failed"}),
    (["no-redirect"], [], {tls.REDIRECT: "failed"}),
]


@pytest.mark.parametrize(
    ("defects", "overrides", "changed"),
    ROWS,
)
def test_each_defect_fails_exactly_its_check(
    run_cli: Callable[..., CliRun], defects: list[str], overrides: list[str], changed: dict[CheckSpec, str]
) -> None:
    with https_refservice(defects) as service:
        run = verify(run_cli, service, SUITE, *overrides)
    assert run.code == 1, run.stdout + run.stderr
    assert run.statuses() == expected(SUITE, changed)


TLS13_SUITES = ["TLS_AES_256_GCM_SHA384", "TLS_CHACHA20_POLY1305_SHA256", "TLS_AES_128_GCM_SHA256"]
TLS12_OPENSSL = ["ECDHE-RSA-AES128-GCM-SHA256", "ECDHE-RSA-AES256-GCM-SHA384", "ECDHE-RSA-CHACHA20-POLY1305"]


@pytest.mark.parametrize(
    ("defects", "allowed", "overrides", "changed", "named"),
    [
        ([], TLS13_SUITES, [], {}, None),
        # The list is explicit for TLS 1.3 too: a TLS 1.3 suite it does not hold fails.
        ([], TLS13_SUITES[:1], [], {tls.CIPHERS: "failed"}, "TLS 1.3 TLS_AES_128_GCM_SHA256"),
        (
            ["tls-min=1.2"],
            TLS13_SUITES,
            [],
            {tls.PROTOCOLS: "failed", tls.CIPHERS: "failed"},
            "TLS 1.2 TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256 (ECDHE-RSA-AES128-GCM-SHA256)",
        ),
        (["tls-min=1.2"], TLS13_SUITES + TLS12_OPENSSL, ["--set", "tls.min_version=1.2"], {}, None),
        (
            ["weak-ciphers"],
            TLS13_SUITES + TLS12_OPENSSL,
            ["--set", "tls.min_version=1.2"],
            {tls.CIPHERS: "failed"},
            "TLS 1.2 TLS_RSA_WITH_AES_128_CBC_SHA (AES128-SHA)",
        ),
    ],
    ids=["tls13-listed", "tls13-one-listed", "tls12-unlisted", "tls12-by-openssl-name", "weak-unlisted"],
)
def test_allowed_ciphers_name_every_suite_outside_the_list(
    run_cli: Callable[..., CliRun],
    defects: list[str],
    allowed: list[str],
    overrides: list[str],
    changed: dict[CheckSpec, str],
    named: str | None,
) -> None:
    listed = ["--set", f"tls.allowed_ciphers=[{', '.join(allowed)}]"]
    with https_refservice(defects) as service:
        run = verify(run_cli, service, SUITE, *listed, *overrides)
    assert run.statuses() == expected(SUITE, changed), run.stdout
    found = result(run, tls.CIPHERS)
    assert found["evidence"]["details"]["rule"] == "tls.allowed_ciphers"
    if named is not None:
        assert str(found["message"]).startswith("suites outside tls.allowed_ciphers accepted: "), found
        assert named in str(found["message"]), found["message"]


def test_tls10_is_seen_although_the_system_openssl_refuses_it(run_cli: Callable[..., CliRun]) -> None:
    with https_refservice(["tls-min=1.0"]) as service:
        context = ssl.create_default_context(cafile=str(service.ca_file))
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)  # TLS 1.0 is deprecated: that is the point
            context.maximum_version = ssl.TLSVersion.TLSv1
        with pytest.raises(httpx.ConnectError):
            httpx.get(service.url, verify=context)
        run = verify(run_cli, service, SUITE, "--set", "tls.min_version=1.2")
    assert result(run, tls.PROTOCOLS)["evidence"]["details"]["accepted"][:2] == ["TLS 1.0", "TLS 1.1"]


def test_plain_http_target_is_error_not_failed(
    run_cli: Callable[..., CliRun], refservice: Callable[..., object]
) -> None:
    from tests.integration.http_surface import SURFACE_PROFILE

    service = refservice(SURFACE_PROFILE)
    run = run_cli("verify", "--profile", str(SURFACE_PROFILE), "--target", service.url, "--suite", "tls")  # type: ignore[attr-defined]
    statuses = run.statuses()
    assert statuses["tls.protocols"] == "error" and statuses["tls.redirect"] == "skipped"
    assert "plain HTTP" in result(run, tls.PROTOCOLS)["message"]


def test_the_table_runs_every_failing_example_of_the_catalog() -> None:
    assert_rows_cover_the_catalog("tls", [(d, c) for d, _, c in ROWS])
