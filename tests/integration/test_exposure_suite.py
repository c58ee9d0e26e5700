"""The exposure suite end to end against the reference service over HTTPS."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from conftest import CliRun
from stackcheck.catalog import CheckSpec, exposure
from tests.integration.http_surface import (
    assert_rows_cover_the_catalog,
    expected,
    https_refservice,
    result,
    verify,
)

pytestmark = pytest.mark.integration
SUITE = ["exposure"]


def test_nothing_sensitive_served_and_errors_are_clean(run_cli: Callable[..., CliRun]) -> None:
    with https_refservice() as service:
        run = verify(run_cli, service, SUITE)
    assert run.code == 0, run.stdout + run.stderr
    assert run.statuses() == expected(SUITE)
    statuses = result(run, exposure.SENSITIVE_PATHS)["evidence"]["details"]["statuses"]
    assert statuses["/.env"] == 404 and "/backup.sql" in statuses  # built-in list plus the profile's


ROWS = [
    (["expose=/.env"], {exposure.SENSITIVE_PATHS: "failed"}, ["/.env"]),
    (
        ["expose=/.git/config", "expose=/backup.sql"],
        {exposure.SENSITIVE_PATHS: "failed"},
        ["/.git/config", "/backup.sql"],
    ),
    (["error-leak"], {exposure.ERROR_LEAK: "failed"}, []),
]


@pytest.mark.parametrize(
    ("defects", "changed", "served"),
    ROWS,
)
def test_each_defect_fails_exactly_its_check(
    run_cli: Callable[..., CliRun], defects: list[str], changed: dict[CheckSpec, str], served: list[str]
) -> None:
    with https_refservice(defects) as service:
        run = verify(run_cli, service, SUITE)
    assert run.code == 1, run.stdout + run.stderr
    assert run.statuses() == expected(SUITE, changed)
    if served:
        assert sorted(result(run, exposure.SENSITIVE_PATHS)["evidence"]["details"]["served"]) == served
    else:
        assert "Python traceback" in result(run, exposure.ERROR_LEAK)["message"]


def test_the_table_runs_every_failing_example_of_the_catalog() -> None:
    assert_rows_cover_the_catalog("exposure", [(d, c) for d, c, *_ in ROWS])
