"""The inputs suite against a FastAPI app nobody here wrote the validation of (FastAPI + pydantic, served by
uvicorn), in its compliant form and with each defect (fixtures/inputs_app), through ``stackcheck verify``."""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import pytest
import yaml

from conftest import REPO_ROOT, CliRun
from fixtures.inputs_app import InputsApp, inputs_app_missing
from stackcheck.catalog import CheckSpec
from stackcheck.catalog import inputs as checks
from stackcheck.probes.inputs_schema import schemathesis_missing
from stackcheck.probes.loopback import free_port

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(inputs_app_missing() is not None, reason=str(inputs_app_missing())),
    pytest.mark.skipif(schemathesis_missing() is not None, reason=str(schemathesis_missing())),
]

PROFILE = REPO_ROOT / "fixtures" / "inputs_app" / "profile.yaml"
SUBJECTS: dict[CheckSpec, tuple[str, ...]] = {
    checks.BOUNDS: ("simulate", "search"),
    checks.HOSTILE: ("simulate", "search"),
    checks.UPLOAD_LIMIT: ("reports",),
    checks.SCHEMA: ("",),
}


def expected(changed: Mapping[str, str] | None = None) -> dict[str, str]:
    """Every result of the fixture profile passed, some changed: ``{"inputs.bounds[simulate]": "failed"}``."""
    out = {(f"{spec.id}[{s}]" if s else spec.id): "passed" for spec, subs in SUBJECTS.items() for s in subs}
    for label, status in (changed or {}).items():
        assert label in out, label
        out[label] = status
    return out


def verify(run_cli: Callable[..., CliRun], url: str, profile: Path = PROFILE) -> CliRun:
    """``stackcheck verify --suite inputs`` of ``url``."""
    return run_cli("verify", "--profile", str(profile), "--target", url, "--suite", "inputs", timeout=600)


def result(run: CliRun, label: str) -> dict[str, Any]:
    """The report.json result called ``label`` (``id[subject]``)."""
    for r in run.report["results"]:
        if (f"{r['id']}[{r['subject']}]" if r["subject"] else r["id"]) == label:
            return dict(r)
    raise AssertionError(f"no result {label}")


@pytest.fixture
def app(request: pytest.FixtureRequest) -> Iterator[InputsApp]:
    """The app with the defects of the test's parameter (none: compliant)."""
    defects: Sequence[str] = getattr(request, "param", ())
    with InputsApp(defects) as started:
        yield started


def test_fastapi_with_declared_bounds_passes(run_cli: Callable[..., CliRun], app: InputsApp) -> None:
    run = verify(run_cli, app.url)
    assert run.code == 0, run.stdout + run.stderr
    assert run.statuses() == expected()
    bounds = result(run, "inputs.bounds[simulate]")["evidence"]["details"]
    assert "scenarios above maximum 10000 = 10001: 422" in bounds["answers"], bounds["answers"]
    assert "scenarios a fraction for an integer = 10.5: 422" in bounds["answers"]
    assert "portfolio_value at maximum 1e+08 = 100000000.0: 200" in bounds["answers"]
    upload = result(run, "inputs.upload_limit[reports]")["evidence"]
    assert upload["observed"] == "small: 200, over the limit: 413"
    # Refused on its Content-Length: the rest of the 10 MB body was never sent.
    assert upload["details"]["stopped_early"] is True, upload
    schema = result(run, checks.SCHEMA.id)["evidence"]["details"]
    assert schema["statuses"]["POST /api/v1/simulate invalid"].keys() <= {"400", "422"}, schema


@pytest.mark.parametrize("app", [("unbounded",)], indirect=True)
def test_fastapi_without_bounds_fails_bounds(run_cli: Callable[..., CliRun], app: InputsApp) -> None:
    run = verify(run_cli, app.url)
    assert run.code == 1, run.stdout + run.stderr
    statuses = run.statuses()
    # Schemathesis' negative cases are random: whether they hit a coercion FastAPI accepts (10.0 for an
    # integer) varies from run to run, and this app's fault is its bounds; the verdict is never an error.
    assert statuses.pop(checks.SCHEMA.id) in ("passed", "failed")
    # The label's max_length went with the bounds: 201 characters are accepted.
    want = expected({"inputs.bounds[simulate]": "failed", "inputs.hostile[simulate]": "failed"})
    assert statuses == {k: v for k, v in want.items() if k != checks.SCHEMA.id}
    message = result(run, "inputs.bounds[simulate]")["message"]
    assert "portfolio_value below minimum 1000: accepted (200), expected 4xx" in message, message


@pytest.mark.parametrize("app", [("crash-on-types",)], indirect=True)
def test_fastapi_crashing_on_wrong_types_fails(run_cli: Callable[..., CliRun], app: InputsApp) -> None:
    run = verify(run_cli, app.url)
    assert run.code == 1, run.stdout + run.stderr
    assert run.statuses() == expected(
        {
            "inputs.bounds[simulate]": "failed",
            "inputs.hostile[simulate]": "failed",  # a list for the label is taken as is
            checks.SCHEMA.id: "failed",
        }
    )
    assert (
        "portfolio_value a string for a number: answered 500"
        in result(run, "inputs.bounds[simulate]")["message"]
    )
    assert "Server error (500)" in result(run, checks.SCHEMA.id)["message"]


@pytest.mark.parametrize("app", [("reflect",)], indirect=True)
def test_fastapi_reflecting_markup_fails_hostile(run_cli: Callable[..., CliRun], app: InputsApp) -> None:
    run = verify(run_cli, app.url)
    assert run.code == 1, run.stdout + run.stderr
    assert run.statuses() == expected(
        {"inputs.hostile[simulate]": "failed", "inputs.hostile[search]": "failed"}
    )
    message = result(run, "inputs.hostile[search]")["message"]
    assert "q a <script> element: the markup came back unescaped in the answer (200)" in message, message


@pytest.mark.parametrize("app", [("no-upload-limit",)], indirect=True)
def test_fastapi_without_an_upload_limit_fails(run_cli: Callable[..., CliRun], app: InputsApp) -> None:
    run = verify(run_cli, app.url)
    assert run.statuses() == expected({"inputs.upload_limit[reports]": "failed"})
    found = result(run, "inputs.upload_limit[reports]")
    assert "answered 200, expected 413" in found["message"], found
    assert found["evidence"]["details"]["stopped_early"] is False  # it read all of it


def test_max_requests_bounds_what_an_endpoint_is_sent(
    run_cli: Callable[..., CliRun], app: InputsApp, tmp_path: Path
) -> None:
    profile = yaml.safe_load(PROFILE.read_text())
    profile["inputs"]["endpoints"][0]["max_requests"] = 5
    path = tmp_path / "profile.yaml"
    path.write_text(yaml.safe_dump(profile))
    run = verify(run_cli, app.url, path)
    details = result(run, "inputs.bounds[simulate]")["evidence"]["details"]
    assert details["sent"] == 4 and details["not_sent"] == 31, details  # the valid request, then 4
    assert "(31 not sent: max_requests)" in result(run, "inputs.bounds[simulate]")["message"]


def test_an_unreachable_target_is_an_error_not_a_failure(run_cli: Callable[..., CliRun]) -> None:
    run = verify(run_cli, f"http://127.0.0.1:{free_port()}")
    assert run.statuses() == {label: "error" for label in expected()}, run.stdout
    assert {r["error_reason"] for r in run.report["results"]} == {"unreachable"}


def test_a_target_that_never_answers_is_an_error(run_cli: Callable[..., CliRun], tmp_path: Path) -> None:
    profile = yaml.safe_load(PROFILE.read_text())
    profile["target"]["timeout_s"] = 1
    path = tmp_path / "profile.yaml"
    path.write_text(yaml.safe_dump(profile))
    with socket.socket() as silent:  # accepts connections (the kernel's backlog), never answers
        silent.bind(("127.0.0.1", 0))
        silent.listen(64)
        run = verify(run_cli, f"http://127.0.0.1:{silent.getsockname()[1]}", path)
    assert set(run.statuses().values()) == {"error"}, run.stdout
    assert {r["error_reason"] for r in run.report["results"]} == {"timeout"}


def test_a_profile_that_does_not_describe_the_endpoint_is_an_error(
    run_cli: Callable[..., CliRun], app: InputsApp, tmp_path: Path
) -> None:
    profile = yaml.safe_load(PROFILE.read_text())
    profile["inputs"]["endpoints"][0]["params"][3]["name"] = "year"  # the app requires `years`
    path = tmp_path / "profile.yaml"
    path.write_text(yaml.safe_dump(profile))
    run = verify(run_cli, app.url, path)
    changed = {"inputs.bounds[simulate]": "error", "inputs.hostile[simulate]": "error"}
    assert run.statuses() == expected(changed), run.stdout
    found = result(run, "inputs.bounds[simulate]")
    assert found["error_reason"] == "unexpected_answer" and "was answered 422" in found["message"], found
