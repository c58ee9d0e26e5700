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
