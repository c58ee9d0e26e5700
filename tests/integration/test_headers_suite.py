"""The headers suite end to end against the reference service over HTTPS."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from conftest import CliRun
from stackcheck.catalog import CheckSpec, headers
from tests.integration.http_surface import (
    assert_rows_cover_the_catalog,
    expected,
    https_refservice,
    result,
    verify,
)

pytestmark = pytest.mark.integration
SUITE = ["headers"]


def test_compliant_headers_pass_with_hsts_age_as_evidence(run_cli: Callable[..., CliRun]) -> None:
    with https_refservice() as service:
        run = verify(run_cli, service, SUITE)
    assert run.code == 0, run.stdout + run.stderr
    assert run.statuses() == expected(SUITE)
    hsts = result(run, headers.HSTS)["evidence"]
    assert hsts["expected"] == 15552000 and hsts["observed"] == 15552000 and hsts["unit"] == "s"


ROWS = [
    ("no-header=strict-transport-security", {headers.HSTS: "failed"}),
    ("hsts-short", {headers.HSTS: "failed"}),
    ("weak-csp", {headers.CSP: "failed"}),
    ("no-header=content-security-policy", {headers.CSP: "failed", headers.REQUIRED: "failed"}),
    ("no-header=x-content-type-options", {headers.NOSNIFF: "failed", headers.REQUIRED: "failed"}),
    ("framing-allowed", {headers.FRAMING: "failed"}),
    ("no-header=referrer-policy", {headers.REFERRER_POLICY: "failed", headers.REQUIRED: "failed"}),
    ("server-banner", {headers.SERVER_BANNER: "failed"}),
    ("no-header=cross-origin-opener-policy", {headers.COOP: "failed"}),
]


@pytest.mark.parametrize(
    ("defect", "changed"),
    ROWS,
)
def test_each_defect_fails_exactly_its_check(
    run_cli: Callable[..., CliRun], defect: str, changed: dict[CheckSpec, str]
) -> None:
    with https_refservice([defect]) as service:
        run = verify(run_cli, service, SUITE)
    assert run.code == 1, run.stdout + run.stderr
    assert run.statuses() == expected(SUITE, changed)


def test_hsts_is_skipped_with_the_reason_on_a_plain_http_target(
    run_cli: Callable[..., CliRun], refservice: Callable[..., object]
) -> None:
    from tests.integration.http_surface import SURFACE_PROFILE

    service = refservice(SURFACE_PROFILE)
    run = run_cli("verify", "--profile", str(SURFACE_PROFILE), "--target", service.url, "--suite", "headers")  # type: ignore[attr-defined]
    assert run.statuses()["headers.hsts"] == "skipped"
    assert "only over HTTPS" in result(run, headers.HSTS)["message"]


def test_the_table_runs_every_failing_example_of_the_catalog() -> None:
    assert_rows_cover_the_catalog("headers", [([d], c) for d, c in ROWS])
