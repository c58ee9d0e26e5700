"""The inputs suite's pure parts: the profile section's validation, the values probed at each bound, the
hostile strings and what counts as reflected, the upload bodies, and the Schemathesis glue (no network)."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from stackcheck import ProfileError
from stackcheck.probes.inputs import (
    Answer,
    Probe,
    baseline,
    bound_probes,
    hostile_probes,
    judge,
    reflected,
    request_kwargs,
)
from stackcheck.probes.inputs_schema import generate_cases, parse_document, schema_problems
from stackcheck.probes.inputs_upload import OVER_BY, small_body, streamed_body
from stackcheck.profile import load_profile
from stackcheck.profile.inputs import InputEndpoint, InputParam, UploadEndpoint

SIMULATE = InputEndpoint(
    path="/api/v1/simulate",
    params=[
        InputParam(name="portfolio", type="number", minimum=1000, maximum=100_000_000),
        InputParam(name="scenarios", type="integer", minimum=10, maximum=10_000),
        InputParam(name="label", type="string", max_length=20, sanitize=True),
    ],
)


def load(tmp_path: Path, text: str) -> object:
    path = tmp_path / "p.yaml"
    path.write_text("name: x\n" + text)
    return load_profile(path).profile


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("inputs: {}\n", "an empty inputs section checks nothing"),
        (
            "inputs:\n  endpoints:\n    - path: /x\n      params: [{name: q, type: string, minimum: 1}]\n",
            "minimum/maximum/step belong to integer or number parameters",
        ),
        (
            "inputs:\n  endpoints:\n    - path: /x\n      params: [{name: n, type: integer, minimum: 1.5}]\n",
            "an integer parameter's minimum must be a whole number",
        ),
        (
            "inputs:\n  endpoints:\n    - path: /x\n      params: [{name: n, minimum: 5, maximum: 1}]\n",
            "minimum 5 is above maximum 1",
        ),
        ("inputs:\n  uploads: [{path: /u, max_bytes: 300000000}]\n", "must be at most 200000000"),
        ("inputs:\n  endpoints: [{path: x, params: [{name: n}]}]\n", "must be an absolute URL path"),
    ],
)
def test_profile_mistakes_name_the_key(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(ProfileError, match="inputs") as caught:
        load(tmp_path, text)
    assert message in str(caught.value), str(caught.value)
    assert ":" in str(caught.value).split(" ")[0]  # file:line


def test_values_at_inside_and_beyond_each_bound() -> None:
    probes = {(p.param, p.what): (p.value, p.expect) for p in bound_probes(SIMULATE)}
    assert probes[("portfolio", "at minimum 1000")] == (1000, "accept")
    assert probes[("portfolio", "at maximum 1e+08")] == (100_000_000, "accept")
    assert probes[("portfolio", "below minimum 1000")] == (999.99, "refuse")
    assert probes[("portfolio", "above maximum 1e+08")] == (100_000_000.01, "refuse")
    assert probes[("scenarios", "below minimum 10")] == (9, "refuse")
    assert probes[("scenarios", "above maximum 10000")] == (10_001, "refuse")
    assert probes[("scenarios", "a fraction for an integer")] == (10.5, "refuse")
    assert probes[("scenarios", "a string for a number")] == ("not-a-number", "refuse")
    assert probes[("label", "over max_length 20")] == ("a" * 21, "refuse")
    assert probes[("label", "an object for a string")][1] == "refuse"
    inside = probes[("scenarios", "inside the bounds")]
    assert inside[1] == "accept" and 10 < int(str(inside[0])) < 10_000


def test_the_baseline_sits_inside_the_bounds() -> None:
    values = baseline(SIMULATE)
    assert 1000 < float(str(values["portfolio"])) < 100_000_000
    assert isinstance(values["scenarios"], int) and 10 <= values["scenarios"] <= 10_000
    assert isinstance(values["label"], str) and len(values["label"]) <= 20


def test_query_requests_encode_every_value() -> None:
    endpoint = SIMULATE.model_copy(update={"location": "query", "method": "GET"})
    path, kwargs = request_kwargs(endpoint, {"label": "<b>&x", "scenarios": 10})
    assert path == "/api/v1/simulate?label=%3Cb%3E%26x&scenarios=10" and "json" not in kwargs
    assert all(p.what != "an object for a string" for p in bound_probes(endpoint))  # a query has text only


def test_hostile_strings_are_tagged_and_cut_to_max_length() -> None:
    probes = hostile_probes(SIMULATE, mark="scMARK")
    assert all(len(str(p.value)) <= 20 for p in probes if p.what != "an oversized string (21 characters)")
    oversized = next(p for p in probes if p.what.startswith("an oversized"))
    assert oversized.expect == "refuse" and len(str(oversized.value)) == 21
    script = next(p for p in probes if p.what == "a <script> element")
    assert script.markers and all(m in str(script.value) for m in script.markers)
    wide = hostile_probes(
        SIMULATE.model_copy(update={"params": [InputParam(name="t", type="string", sanitize=True)]}),
        mark="scMARK",
    )
    assert all("scMARK" in m for p in wide for m in p.markers)  # uncut: every marker carries the run's tag


def test_reflection_counts_in_accepted_answers_and_rendered_refusals_only() -> None:
    probe = hostile_probes(
        SIMULATE.model_copy(update={"params": [InputParam(name="t", type="string", sanitize=True)]}),
        mark="scM",
    )[0]
    raw = f"<p>{probe.value}</p>"
    assert reflected(probe, 200, "application/json", raw)
    assert reflected(probe, 422, "text/html; charset=utf-8", raw)
    assert not reflected(probe, 422, "application/json", raw)  # FastAPI's 422 quotes the input: kept nothing
    assert not reflected(probe, 200, "text/html", "<p>&lt;script&gt;alert('scM')&lt;/script&gt;</p>")
    assert not reflected(Probe("n", 1, "accept", "x"), 200, "text/html", raw)  # only hostile probes


@pytest.mark.parametrize(
    ("expect", "status", "problem"),
    [
        ("accept", 200, None),
        ("accept", 422, "a valid value was refused (422)"),
        ("refuse", 422, None),
        ("refuse", 200, "accepted (200), expected 4xx"),
        ("refuse", 500, "answered 500"),
        ("survive", 201, None),
        ("survive", 400, None),
        ("survive", 302, "answered 302, expected 2xx (escaped) or 4xx"),
        ("refuse", 0, "closed without an answer"),
    ],
)
def test_judge(expect: str, status: int, problem: str | None) -> None:
    found = judge(Probe("p", 1, expect, "w"), status)  # type: ignore[arg-type]
    assert (found is None) if problem is None else (found is not None and problem in found), found
    assert Answer(Probe("p", 1, "accept", "w"), 200, reflected=True).problem() is not None


def test_upload_bodies_are_bounded_and_honest() -> None:
    upload = UploadEndpoint(path="/u", max_bytes=300_000)
    small, headers = small_body(upload)
    assert small.count(b"%PDF-1.4") == 1 and headers["Content-Type"].startswith("multipart/form-data")
    body, big_headers = streamed_body(upload)
    chunks = list(body)
    assert max(len(c) for c in chunks) <= 64 * 1024 + 512  # never one big buffer
    assert sum(len(c) for c in chunks) == body.total == int(big_headers["Content-Length"]) == body.sent
    assert body.file_bytes == 300_000 + OVER_BY
    raw = UploadEndpoint(path="/u", max_bytes=1000, field=None)
    assert streamed_body(raw)[1]["Content-Type"] == "application/pdf"


DOC = {
    "openapi": "3.0.3",
    "info": {"title": "t", "version": "1"},
    "servers": [{"url": "https://prod.example.com/api"}],
    "paths": {
        "/items": {
            "get": {
                "parameters": [
                    {
                        "name": "n",
                        "in": "query",
                        "required": True,
                        "schema": {"type": "integer", "maximum": 5},
                    }
                ],
                "responses": {"200": {"description": "ok"}},
            }
        }
    },
}


def test_schemathesis_cases_go_to_the_target_never_to_the_servers() -> None:
    cases, problems = generate_cases(DOC, 5, 10, time.monotonic() + 30, seed=1)
    assert not problems and {c.mode for c in cases} == {"valid", "invalid"}
    assert len(cases) <= 10 and all(c.path == "/api/items" and c.method == "GET" for c in cases)
    again, _ = generate_cases(DOC, 5, 10, time.monotonic() + 30, seed=1)
    assert [c.kwargs.get("params") for c in again] == [c.kwargs.get("params") for c in cases]  # seeded


def test_schemathesis_judges_an_accepted_invalid_request_and_a_5xx() -> None:
    cases, _ = generate_cases(DOC, 5, 10, time.monotonic() + 30, seed=1)
    valid = next(c for c in cases if c.mode == "valid")
    url = "http://127.0.0.1:9/api/items"
    assert schema_problems(valid, url, 200, {}, b"", 0.01) == []
    assert any("Server error" in p for p in schema_problems(valid, url, 500, {}, b"", 0.01))
    invalid = [c for c in cases if c.mode == "invalid"]
    found = [p for c in invalid for p in schema_problems(c, url, 200, {}, b"", 0.01)]
    assert found and all("invalid request" in p for p in found)


def test_a_document_that_is_not_openapi_cannot_be_checked() -> None:
    assert parse_document(b"openapi: 3.0.0\npaths: {}\n", "x")["paths"] == {}
    with pytest.raises(Exception, match="is not an OpenAPI document"):
        parse_document(b"<html>", "/openapi.json")


def test_a_request_that_cannot_be_put_on_the_wire_is_dropped_not_judged() -> None:
    import httpx

    from stackcheck import CouldNotCheck
    from stackcheck._exceptions import ErrorReason
    from stackcheck.probes.inputs_schema import unsendable

    wrapped = CouldNotCheck("failed", ErrorReason.UNREACHABLE)
    wrapped.__cause__ = httpx.LocalProtocolError("Illegal header value")
    assert unsendable(wrapped) and unsendable(UnicodeEncodeError("latin-1", "é", 0, 1, "x"))
    refused = CouldNotCheck("cannot connect", ErrorReason.UNREACHABLE)
    refused.__cause__ = httpx.ConnectError("refused")
    assert not unsendable(refused)
