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
    # Every origin echoed, with credentials: foreign origins read credentialed answers.
    ("cors-reflect", {cors.FOREIGN_ORIGIN: "failed", cors.CREDENTIALS: "failed"}),
    # `*` lets every origin read the answers, and with credentials it is the forbidden combination; the
    # allowed origin does not get its own origin back, so credentialed reads fail for it too.
    (
        "cors-wildcard-credentials",
        {cors.FOREIGN_ORIGIN: "failed", cors.CREDENTIALS_WILDCARD: "failed", cors.CREDENTIALS: "failed"},
    ),
    ("cors-preflight-broken", {cors.PREFLIGHT: "failed"}),
    ("cors-credentials=false", {cors.CREDENTIALS: "failed"}),  # the profile allows them: none granted
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


@pytest.mark.parametrize(
    ("defects", "status"),
    [([], "failed"), (["cors-credentials=false"], "passed")],
    ids=["granted-fails", "none-granted-passes"],
)
def test_credentials_false_fails_when_they_are_granted(
    run_cli: Callable[..., CliRun], defects: list[str], status: str
) -> None:
    with https_refservice(defects) as service:
        run = verify(run_cli, service, SUITE, "--set", "cors.allow_credentials=false")
    assert run.statuses() == expected(SUITE, {cors.CREDENTIALS: status})
    found = result(run, cors.CREDENTIALS)
    if status == "failed":
        assert "GET from https://app.example.com is granted credentials" in str(found["message"]), found
        assert found["evidence"]["observed"] == ["https://app.example.com"]
    else:
        assert found["evidence"]["observed"] == [] and found["evidence"]["expected"] == []


def test_credentials_unset_skip_with_the_reason(run_cli: Callable[..., CliRun]) -> None:
    with https_refservice() as service:
        run = verify(run_cli, service, SUITE, "--set", "cors.allow_credentials=")
    assert run.statuses()[cors.CREDENTIALS.id] == "skipped"
    assert "cors.allow_credentials is not set" in str(result(run, cors.CREDENTIALS)["message"])
