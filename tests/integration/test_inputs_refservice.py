"""The Monte Carlo seed profile's input claims on the reference service: it serves the profile's
``inputs.endpoints`` and uploads validated as declared, and each ``inputs-*`` defect fails exactly its
checks (``stackcheck verify --suite inputs`` with ``policies/profiles/monte-carlo.yaml``)."""

from __future__ import annotations

from collections.abc import Callable, Mapping

import pytest

from conftest import REPO_ROOT, CliRun
from fixtures.refservice import RefService
from stackcheck.catalog import CheckSpec
from stackcheck.catalog import inputs as checks
from tests.integration.http_surface import assert_rows_cover_the_catalog

pytestmark = pytest.mark.integration

PROFILE = REPO_ROOT / "policies" / "profiles" / "monte-carlo.yaml"
# The seed names no OpenAPI document: inputs.schema is skipped ("inputs.openapi is not set").
COMPLIANT = {
    "inputs.bounds[simulate]": "passed",
    "inputs.hostile[simulate]": "passed",
    "inputs.upload_limit[pdf]": "passed",
    checks.SCHEMA.id: "skipped",
}
ROWS: list[tuple[str, Mapping[str, str]]] = [
    ("inputs-unbounded", {"inputs.bounds[simulate]": "failed", "inputs.hostile[simulate]": "failed"}),
    ("inputs-crash", {"inputs.bounds[simulate]": "failed", "inputs.hostile[simulate]": "failed"}),
    ("inputs-reflect", {"inputs.hostile[simulate]": "failed"}),
    ("upload-unlimited", {"inputs.upload_limit[pdf]": "failed"}),
]
SPECS: dict[str, CheckSpec] = {
    "inputs.bounds[simulate]": checks.BOUNDS,
    "inputs.hostile[simulate]": checks.HOSTILE,
    "inputs.upload_limit[pdf]": checks.UPLOAD_LIMIT,
}


def verify(run_cli: Callable[..., CliRun], defects: list[str]) -> CliRun:
    with RefService(PROFILE, defects=defects) as service:
        return run_cli(
            "verify", "--profile", str(PROFILE), "--target", service.url, "--suite", "inputs", timeout=600
        )


def test_the_reference_service_keeps_the_monte_carlo_input_claims(run_cli: Callable[..., CliRun]) -> None:
    run = verify(run_cli, [])
    assert run.statuses() == COMPLIANT, run.stdout + run.stderr
    claims = {c["id"]: c["status"] for c in run.report["claims"]}
    assert claims["input-validation-scenarios"] == "verified", claims
    assert claims["sanitization-pdf-size-10mb"] == "verified", claims


@pytest.mark.parametrize(("defect", "changed"), ROWS, ids=[d for d, _ in ROWS])
def test_each_defect_fails_exactly_its_checks(
    run_cli: Callable[..., CliRun], defect: str, changed: Mapping[str, str]
) -> None:
    run = verify(run_cli, [defect])
    assert run.code == 1, run.stdout + run.stderr
    assert run.statuses() == {**COMPLIANT, **changed}


def test_the_table_runs_every_failing_example_of_the_catalog() -> None:
    rows = [([d], {SPECS[label]: status for label, status in changed.items()}) for d, changed in ROWS]
    assert_rows_cover_the_catalog("inputs", rows)
