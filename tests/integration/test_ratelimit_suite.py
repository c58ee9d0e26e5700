"""The ratelimit suite end to end: the reference service over HTTPS, `stackcheck verify` as a subprocess."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from conftest import CliRun
from stackcheck.catalog import CheckSpec, ratelimit
from tests.integration.http_surface import (
    SURFACE_PROFILE,
    assert_rows_cover_the_catalog,
    expected,
    https_refservice,
    result,
    verify,
)
from tests.integration.test_ratelimit_several import coverage_rows as several_limits_rows

pytestmark = pytest.mark.integration
SUITE = ["ratelimit"]


def test_compliant_limit_passes_every_check_with_the_measured_limit_as_evidence(
    run_cli: Callable[..., CliRun],
) -> None:
    with https_refservice() as service:
        run = verify(run_cli, service, SUITE)
    assert run.code == 0, run.stdout + run.stderr
    assert run.statuses() == expected(SUITE)
    enforced = result(run, ratelimit.ENFORCED)["evidence"]
    assert enforced["expected"] == 10 and enforced["unit"] == "requests"
    # A token bucket refills during the burst: on a loaded machine a few more are served, within tolerance.
    assert 10 <= enforced["observed"] <= 10 + enforced["details"]["tolerance"], enforced
    assert enforced["details"]["refused_with"] == 429 and enforced["details"]["sent"] <= 15
    assert result(run, ratelimit.PER_IP)["evidence"]["details"]["second_client"] == "127.0.0.2"


SKIPPED_AFTER_NO_LIMIT = dict.fromkeys(
    [ratelimit.RETRY_AFTER, ratelimit.PER_IP, ratelimit.SPOOFING, ratelimit.RECOVERY], "skipped"
)


ROWS = [
    (["no-rate-limit"], {ratelimit.ENFORCED: "failed", **SKIPPED_AFTER_NO_LIMIT}),
    (["rate-limit=5"], {ratelimit.ENFORCED: "failed"}),
    (["rate-limit=13"], {ratelimit.ENFORCED: "failed"}),
    (
        ["limit-status=503", "no-retry-after"],
        {ratelimit.ENFORCED: "failed", ratelimit.RETRY_AFTER: "failed"},
    ),
    (["no-retry-after"], {ratelimit.RETRY_AFTER: "failed"}),
    (["global-bucket"], {ratelimit.PER_IP: "failed"}),
    (["trust-xff"], {ratelimit.SPOOFING: "failed"}),
    (["retry-after-lies"], {ratelimit.RECOVERY: "failed"}),
]


@pytest.mark.parametrize(
    ("defects", "changed"),
    ROWS,
    ids=lambda v: ",".join(v) if isinstance(v, list) else "",
)
def test_each_defect_fails_exactly_its_check(
    run_cli: Callable[..., CliRun], defects: list[str], changed: dict[CheckSpec, str]
) -> None:
    with https_refservice(defects) as service:
        run = verify(run_cli, service, SUITE)
    assert run.code == 1, run.stdout + run.stderr
    assert run.statuses() == expected(SUITE, changed)
    for check, status in run.statuses().items():
        if status == "failed":
            assert result(run, check)["message"], check


def test_non_loopback_target_is_refused_without_allow_remote(run_cli: Callable[..., CliRun]) -> None:
    # 192.0.2.1 is TEST-NET-1: the guard refuses before any request is sent.
    run = run_cli(
        "verify", "--profile", str(SURFACE_PROFILE), "--target", "https://192.0.2.1:9",
        "--suite", "ratelimit", isolated=True,
    )  # fmt: skip
    # Refused before anything runs: a usage error (exit 2), one line naming the host and the fix.
    assert run.code == 2, run.stdout + run.stderr
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1
    assert "192.0.2.1, which is not a loopback address" in lines[0] and "--allow-remote" in lines[0]
    assert not run.report_dir.exists()


def test_the_table_runs_every_failing_example_of_the_catalog() -> None:
    # The defects of several limits at once (limit-off, key-ignored) run in the table of that test.
    assert_rows_cover_the_catalog("ratelimit", [*((d, c) for d, c, *_ in ROWS), *several_limits_rows()])
