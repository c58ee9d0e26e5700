"""The cors suite end to end against the reference service over HTTPS."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from conftest import CliRun
from tests.integration.http_surface import expected, https_refservice, result, verify

pytestmark = pytest.mark.integration
SUITE = ["cors"]


def test_restrictive_policy_passes(run_cli: Callable[..., CliRun]) -> None:
    with https_refservice() as service:
        run = verify(run_cli, service, SUITE)
    assert run.code == 0, run.stdout + run.stderr
    assert run.statuses() == expected(SUITE)
    tried = result(run, "cors.foreign_origin")["evidence"]["details"]["tried"]
    assert {"null", "http://app.example.com", "https://app.example.com.stackcheck.invalid"} <= set(tried)


@pytest.mark.parametrize(
    ("defect", "changed"),
    [
        ("cors-reflect", {"cors__foreign_origin": "failed"}),
        # `*` lets every origin read the answers, and with credentials it is the forbidden combination.
        (
            "cors-wildcard-credentials",
            {"cors__foreign_origin": "failed", "cors__credentials_wildcard": "failed"},
        ),
        ("cors-preflight-broken", {"cors__preflight": "failed"}),
    ],
)
def test_each_defect_fails_exactly_its_check(
    run_cli: Callable[..., CliRun], defect: str, changed: dict[str, str]
) -> None:
    with https_refservice([defect]) as service:
        run = verify(run_cli, service, SUITE)
    assert run.code == 1, run.stdout + run.stderr
    assert run.statuses() == expected(SUITE, **changed)
