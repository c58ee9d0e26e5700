"""The metrics suite end to end against the reference service over HTTPS."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from conftest import CliRun
from stackcheck.catalog import CheckSpec, metrics
from tests.integration.http_surface import (
    SURFACE_PROFILE,
    assert_rows_cover_the_catalog,
    expected,
    https_refservice,
    result,
    verify,
)

pytestmark = pytest.mark.integration
SUITE = ["metrics"]


def test_exposition_parses_and_has_an_slo_bucket(run_cli: Callable[..., CliRun]) -> None:
    with https_refservice() as service:
        run = verify(run_cli, service, SUITE)
    assert run.code == 0, run.stdout + run.stderr
    assert run.statuses() == expected(SUITE)
    histogram = result(run, metrics.LATENCY_HISTOGRAM)["evidence"]
    assert histogram["expected"] == 200 and 200 in histogram["details"]["boundaries_ms"]
    # Scraped from the management port (metrics.base_url); the public port answers 404.
    assert str(service.metrics_url) in str(result(run, metrics.EXPOSITION)["message"])
    public = result(run, metrics.NOT_PUBLIC)["evidence"]["details"]["statuses"]
    assert public == {"/metrics": 404, "/metrics/": 404, "//metrics": 404}, public


def test_a_stricter_slo_without_a_matching_bucket_fails(run_cli: Callable[..., CliRun]) -> None:
    with https_refservice() as service:
        run = verify(run_cli, service, SUITE, "--set", "slo.p95_ms=150")
    assert run.statuses() == expected(SUITE, {metrics.LATENCY_HISTOGRAM: "failed"})


ALL_FAILED = {
    metrics.EXPOSITION: "failed",
    metrics.REQUIRED: "failed",
    metrics.LATENCY_HISTOGRAM: "failed",
}


ROWS = [
    ("metrics-missing", ALL_FAILED),  # nothing to read: every metrics promise is broken
    ("metrics-garbled", ALL_FAILED),
    ("metrics-wrong-type", {metrics.REQUIRED: "failed"}),
    ("histogram-coarse", {metrics.LATENCY_HISTOGRAM: "failed"}),
    ("metrics-public", {metrics.NOT_PUBLIC: "failed"}),  # the private exposition served publicly too
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
    assert_rows_cover_the_catalog("metrics", [([d], c) for d, c in ROWS])


def test_the_public_exposition_fails_naming_what_was_served(run_cli: Callable[..., CliRun]) -> None:
    with https_refservice(["metrics-public"]) as service:
        run = verify(run_cli, service, SUITE)
    message = str(result(run, metrics.NOT_PUBLIC)["message"])
    assert f"the public target {service.url} serves the metrics exposition: GET /metrics -> 200" in message


def test_a_private_exposition_without_base_url_skips_the_scrape_checks(
    run_cli: Callable[..., CliRun],
) -> None:
    """No metrics.base_url: the exposition is out of reach; only the public side's hiding it is judged."""
    with https_refservice() as service:
        args = ["verify", "--profile", str(SURFACE_PROFILE), "--target", service.url, "--suite", "metrics"]
        run = run_cli(*args, "--set", f"target.ca_bundle={service.ca_file}")
    assert run.code == 0, run.stdout + run.stderr
    skipped = {spec: "skipped" for spec in (metrics.EXPOSITION, metrics.REQUIRED, metrics.LATENCY_HISTOGRAM)}
    assert run.statuses() == expected(SUITE, skipped)
    assert "metrics.base_url is not set" in str(result(run, metrics.EXPOSITION)["message"])
