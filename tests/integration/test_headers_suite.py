"""The headers suite end to end against the reference service over HTTPS."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from conftest import CliRun
from tests.integration.http_surface import expected, https_refservice, result, verify

pytestmark = pytest.mark.integration
SUITE = ["headers"]


def test_compliant_headers_pass_with_hsts_age_as_evidence(run_cli: Callable[..., CliRun]) -> None:
    with https_refservice() as service:
        run = verify(run_cli, service, SUITE)
    assert run.code == 0, run.stdout + run.stderr
    assert run.statuses() == expected(SUITE)
    hsts = result(run, "headers.hsts")["evidence"]
    assert hsts["expected"] == 15552000 and hsts["observed"] == 15552000 and hsts["unit"] == "s"


@pytest.mark.parametrize(
    ("defect", "changed"),
    [
        ("no-header=strict-transport-security", {"headers__hsts": "failed"}),
        ("hsts-short", {"headers__hsts": "failed"}),
        ("weak-csp", {"headers__csp": "failed"}),
        ("no-header=content-security-policy", {"headers__csp": "failed", "headers__required": "failed"}),
        ("no-header=x-content-type-options", {"headers__nosniff": "failed", "headers__required": "failed"}),
        ("framing-allowed", {"headers__framing": "failed"}),
        ("no-header=referrer-policy", {"headers__referrer_policy": "failed", "headers__required": "failed"}),
        ("server-banner", {"headers__server_banner": "failed"}),
    ],
)
def test_each_defect_fails_exactly_its_check(
    run_cli: Callable[..., CliRun], defect: str, changed: dict[str, str]
) -> None:
    with https_refservice([defect]) as service:
        run = verify(run_cli, service, SUITE)
    assert run.code == 1, run.stdout + run.stderr
    assert run.statuses() == expected(SUITE, **changed)


def test_hsts_is_skipped_with_the_reason_on_a_plain_http_target(
    run_cli: Callable[..., CliRun], refservice: Callable[..., object]
) -> None:
    from tests.integration.http_surface import SURFACE_PROFILE

    service = refservice(SURFACE_PROFILE)
    run = run_cli("verify", "--profile", str(SURFACE_PROFILE), "--target", service.url, "--suite", "headers")  # type: ignore[attr-defined]
    assert run.statuses()["headers.hsts"] == "skipped"
    assert "only over HTTPS" in result(run, "headers.hsts")["message"]
