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
    # The profile's headers.values promises x-frame-options: DENY and the referrer policy, exactly.
    ("framing-allowed", {headers.FRAMING: "failed", headers.VALUES: "failed"}),
    (
        "no-header=referrer-policy",
        {headers.REFERRER_POLICY: "failed", headers.REQUIRED: "failed", headers.VALUES: "failed"},
    ),
    ("header-value=x-frame-options:SAMEORIGIN", {headers.VALUES: "failed"}),  # framing still protected
    ("duplicate-header=x-frame-options", {headers.VALUES: "failed"}),  # DENY, DENY: protected, not exact
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


def test_exact_values_say_what_was_sent(run_cli: Callable[..., CliRun]) -> None:
    with https_refservice(["duplicate-header=x-frame-options"]) as service:
        run = verify(run_cli, service, SUITE, "--set", "headers.values.referrer-policy=no-referrer")
    message = str(result(run, headers.VALUES)["message"])
    assert "x-frame-options is sent 2 times ('DENY' | 'DENY')" in message, message
    assert "referrer-policy is 'strict-origin-when-cross-origin', not 'no-referrer'" in message, message
    evidence = result(run, headers.VALUES)["evidence"]
    assert evidence["observed"]["x-frame-options"] == ["DENY", "DENY"], evidence


PAGES = ["/", "/api/v1/ping", "/health/live"]


def by_page(changed: dict[str, dict[CheckSpec, str]] | None = None) -> dict[str, str]:
    """Every headers check on every page passed, except ``changed[page]``."""
    out = {}
    for page in PAGES:
        for check, status in expected(SUITE, (changed or {}).get(page)).items():
            out[f"{check}[{page}]"] = status
    return out


def test_every_listed_path_is_judged_on_its_own(run_cli: Callable[..., CliRun]) -> None:
    paths = ["--set", f"headers.paths=[{', '.join(PAGES)}]"]
    with https_refservice() as service:
        compliant = verify(run_cli, service, SUITE, *paths)
    assert compliant.code == 0, compliant.stdout + compliant.stderr
    assert compliant.statuses() == by_page()
    # The API answers without the security headers the pages carry: each header check fails there only.
    with https_refservice(["no-headers-at=/api/v1/ping"]) as service:
        run = verify(run_cli, service, SUITE, *paths)
    assert run.code == 1, run.stdout + run.stderr
    bare = {spec: "failed" for spec in headers.CHECKS if spec is not headers.SERVER_BANNER}
    assert run.statuses() == by_page({"/api/v1/ping": bare})
    hsts = next(
        r for r in run.report["results"] if r["id"] == headers.HSTS.id and r["subject"] == "/api/v1/ping"
    )
    assert "/api/v1/ping carries no Strict-Transport-Security" in hsts["message"], hsts


def test_path_alone_keeps_one_result_per_check_without_a_subject(run_cli: Callable[..., CliRun]) -> None:
    with https_refservice(["no-headers-at=/api/v1/ping"]) as service:
        run = verify(run_cli, service, SUITE, "--set", "headers.path=/api/v1/ping")
    assert {r["subject"] for r in run.report["results"]} == {None}
    assert run.statuses()[headers.VALUES.id] == "failed"
    assert "api/v1/ping" in str(result(run, headers.VALUES)["evidence"]["details"]["url"])
