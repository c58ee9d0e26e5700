"""Requests generated from an OpenAPI document with Schemathesis, sent through the run's bounded probe.

Schemathesis (on hypothesis) draws, per operation, ``examples`` requests that fit the schema (``valid``) and
as many that break it (``invalid``: a value out of range, a wrong type, a missing required field). Only
generation is Schemathesis's: the requests go through :class:`~stackcheck.probes.http.HttpProbe` to the
run's target (never to the document's ``servers``), so bytes, time and loopback are bounded as for every
probe. Generation is derandomised per run seed, never shrinks, keeps no example database, and stops at the
time bound.

Verdicts are Schemathesis's own checks on each answer (:func:`schema_problems`): no 5xx
(``not_a_server_error``), and an ``invalid`` request is refused (``negative_data_rejection``: the service
does not accept what its own schema forbids); a ``valid`` one answered 4xx is only counted (auth, business
rules).
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import urlsplit

import yaml

from stackcheck._exceptions import CouldNotCheck, ErrorReason
from stackcheck.extras import missing

__all__ = [
    "SchemaCase",
    "generate_cases",
    "parse_document",
    "schema_problems",
    "schemathesis_missing",
    "unsendable",
]

Mode = Literal["valid", "invalid"]
_FAKE_BASE = "http://stackcheck.invalid"
_DROPPED_HEADERS = {"user-agent", "accept-encoding", "connection", "content-length"}


@dataclass(frozen=True)
class SchemaCase:
    """One generated request: its operation (``POST /simulate``), mode, and the HTTP client's arguments."""

    operation: str
    mode: Mode
    method: str
    path: str
    kwargs: dict[str, Any]
    case: Any = None  # Schemathesis's Case: its own checks judge the answer (schema_failures)


def unsendable(exc: BaseException) -> bool:
    """Whether ``exc`` says the generated request could not be put on the wire at all (a header value
    that is not Latin-1, a malformed header): the case is dropped, it says nothing about the target."""
    import httpx

    cause = exc.__cause__ if isinstance(exc, CouldNotCheck) else exc
    return isinstance(cause, httpx.LocalProtocolError | UnicodeEncodeError | httpx.InvalidURL)


def schemathesis_missing() -> str | None:
    """``None`` when Schemathesis can be imported, else how to install it."""
    return missing("schemathesis")


def parse_document(raw: bytes, where: str) -> dict[str, Any]:
    """The OpenAPI document (JSON or YAML) as a mapping; :class:`CouldNotCheck` when it is not one."""
    try:
        doc = json.loads(raw)
    except ValueError:
        try:
            doc = yaml.safe_load(raw)
        except yaml.YAMLError:
            doc = None
    if not isinstance(doc, dict) or not ("openapi" in doc or "swagger" in doc) or "paths" not in doc:
        raise CouldNotCheck(
            f"{where} is not an OpenAPI document (JSON or YAML with `openapi` and `paths`)",
            ErrorReason.UNEXPECTED_ANSWER,
        )
    return doc


def _server_path(doc: dict[str, Any]) -> str:
    servers = doc.get("servers")
    if isinstance(servers, list) and servers and isinstance(servers[0], dict):
        url = str(servers[0].get("url", ""))
        return urlsplit(url).path.rstrip("/") if "{" not in url else ""
    return ""


def _client_kwargs(serialized: dict[str, Any]) -> tuple[str, str, dict[str, Any]]:
    """Schemathesis's requests-style arguments as the probe's (httpx) arguments."""
    url = str(serialized["url"])
    path = url[len(_FAKE_BASE) :] if url.startswith(_FAKE_BASE) else urlsplit(url).path
    headers = {
        k: str(v) for k, v in (serialized.get("headers") or {}).items() if k.lower() not in _DROPPED_HEADERS
    }
    cookies = serialized.get("cookies") or {}
    if cookies:
        headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in cookies.items())
    kwargs: dict[str, Any] = {"headers": headers}
    if serialized.get("params"):
        kwargs["params"] = serialized["params"]
    if "json" in serialized:
        kwargs["json"] = serialized["json"]
    data = serialized.get("data")
    if isinstance(data, bytes | str):
        kwargs["content"] = data
    elif data is not None:
        kwargs["data"] = data
    if serialized.get("files"):
        kwargs["files"] = [(name, _file_field(value)) for name, value in serialized["files"]]
    return str(serialized["method"]).upper(), path or "/", kwargs


def _file_field(value: Any) -> tuple[str | None, bytes, str | None]:
    """A multipart part as httpx takes it: generated parts may hold numbers or nulls, sent as text."""
    parts = tuple(value) if isinstance(value, tuple | list) else (None, value)
    filename = None if parts[0] is None else str(parts[0])
    content = parts[1] if len(parts) > 1 else b""
    raw = content if isinstance(content, bytes) else str(content).encode()
    return filename, raw, str(parts[2]) if len(parts) > 2 and parts[2] else None


def generate_cases(
    doc: dict[str, Any], examples: int, max_operations: int, until: float, seed: int
) -> tuple[list[SchemaCase], list[str]]:
    """Up to ``examples`` valid and ``examples`` invalid requests per operation (the first
    ``max_operations``), generated before ``until`` (``time.monotonic()``); and the operations that could
    not be generated from, with why."""
    import schemathesis
    from schemathesis.core.result import Err
    from schemathesis.generation.modes import GenerationMode

    try:
        schema = schemathesis.openapi.from_dict(doc)
    except Exception as exc:  # Schemathesis rejects the document: nothing to generate from
        raise CouldNotCheck(
            f"Schemathesis cannot load the document: {exc}", ErrorReason.UNEXPECTED_ANSWER
        ) from None
    base = _FAKE_BASE + _server_path(doc)
    cases: list[SchemaCase] = []
    problems: list[str] = []
    operations = list(schema.get_all_operations())[:max_operations]
    for result in operations:
        if isinstance(result, Err):
            problems.append(f"an operation cannot be read: {str(result.err()).splitlines()[0][:200]}")
            continue
        operation = result.ok()
        label = f"{operation.method.upper()} {operation.path}"
        modes: tuple[tuple[GenerationMode, Mode], ...] = (
            (GenerationMode.POSITIVE, "valid"),
            (GenerationMode.NEGATIVE, "invalid"),
        )
        for mode, name in modes:
            try:
                drawn = _draw(operation.as_strategy(generation_mode=mode), examples, seed, until)
            except Exception as exc:  # e.g. nothing invalid can be generated for this operation
                problems.append(f"{label} ({name}): {type(exc).__name__}: {str(exc).splitlines()[0][:200]}")
                continue
            for case in drawn:
                method, path, kwargs = _client_kwargs(case.as_transport_kwargs(base_url=base))
                cases.append(SchemaCase(label, name, method, path, kwargs, case))
    return cases, problems


def _draw(strategy: Any, examples: int, seed: int, until: float) -> list[Any]:
    """At most ``examples`` values of ``strategy``: generation only (no shrinking, no database), seeded."""
    from hypothesis import HealthCheck, Phase, given, settings
    from hypothesis import seed as fixed_seed

    drawn: list[Any] = []

    @fixed_seed(seed)
    @settings(
        max_examples=examples,
        deadline=None,
        database=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(case=strategy)
    def keep(case: Any) -> None:
        if len(drawn) < examples and time.monotonic() < until:
            drawn.append(case)

    keep()
    return drawn


def schema_problems(
    case: SchemaCase, url: str, status: int, headers: dict[str, list[str]], body: bytes, elapsed_s: float
) -> list[str]:
    """What Schemathesis's own checks find wrong with the answer to ``case``: ``not_a_server_error`` (no
    5xx) and ``negative_data_rejection`` (an invalid request is refused; it knows the mutations that
    become valid once serialised, e.g. a number sent as query text). Each problem is one line."""
    import requests
    from schemathesis.checks import not_a_server_error
    from schemathesis.core.failures import Failure, FailureGroup
    from schemathesis.core.transport import Response
    from schemathesis.specs.openapi.checks import negative_data_rejection

    prepared = requests.Request(case.method, url, headers=case.kwargs.get("headers")).prepare()
    response = Response(status, headers, body, prepared, elapsed_s, True)
    try:
        case.case.validate_response(response, checks=[not_a_server_error, negative_data_rejection])
    except FailureGroup as group:
        failures: list[Failure] = list(group.exceptions)
    except Failure as one:
        failures = [one]
    else:
        return []
    return [f"{case.operation} ({case.mode} request): {f.title} ({status})" for f in failures]
