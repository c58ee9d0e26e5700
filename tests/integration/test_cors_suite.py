"""The cors suite end to end against the reference service over HTTPS."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from conftest import CliRun
from stackcheck.catalog import CheckSpec, cors
from tests.integration.http_surface import (
    assert_rows_cover_the_catalog,
    expected,
    https_refservice,
    result,
    verify,
)

pytestmark = pytest.mark.integration
SUITE = ["cors"]


def test_restrictive_policy_passes(run_cli: Callable[..., CliRun]) -> None:
    with https_refservice() as service:
        run = verify(run_cli, service, SUITE)
    assert run.code == 0, run.stdout + run.stderr
    assert run.statuses() == expected(SUITE)
    tried = result(run, cors.FOREIGN_ORIGIN)["evidence"]["details"]["tried"]
    assert {"null", "http://app.example.com", "https://app.example.com.stackcheck.invalid"} <= set(tried)


ROWS = [
    ("cors-reflect", {cors.FOREIGN_ORIGIN: "failed"}),
    # `*` lets every origin read the answers, and with credentials it is the forbidden combination.
    (
        "cors-wildcard-credentials",
        {cors.FOREIGN_ORIGIN: "failed", cors.CREDENTIALS_WILDCARD: "failed"},
    ),
    ("cors-preflight-broken", {cors.PREFLIGHT: "failed"}),
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


def test_the_table_runs_every_failing_example_of_the_catalog() -> None:
    assert_rows_cover_the_catalog("cors", [([d], c) for d, c in ROWS])
