"""Input validation probes: the values sent at, inside and beyond each declared bound, the hostile strings
sent into text fields, and the rules that judge the answers (pure functions: the suite sends).

An endpoint's request is its parameters' ``valid`` values with one parameter changed: a probe value is
``(param, value, expect)`` where ``expect`` is ``accept`` (2xx) or ``refuse`` (4xx). A 5xx is never right.
"""

from __future__ import annotations

import math
import secrets
from dataclasses import dataclass, field
from typing import Literal
from urllib.parse import quote

from stackcheck.profile.inputs import InputEndpoint, InputParam

__all__ = [
    "Answer",
    "Hostile",
    "Probe",
    "baseline",
    "bound_probes",
    "hostile_probes",
    "judge",
    "reflected",
    "request_kwargs",
    "shown",
    "valid_value",
]

Expect = Literal["accept", "refuse", "survive"]
_DEFAULT_STEP = {"integer": 1.0, "number": 0.01}
_OVERSIZED = 100_000  # characters of the oversized string when the field declares no max_length


@dataclass(frozen=True)
class Probe:
    """One request: ``param`` set to ``value`` (``what`` says why), the others at their valid values."""

    param: str
    value: object
    expect: Expect
    what: str


@dataclass(frozen=True)
class Hostile(Probe):
    """A hostile string: ``markers`` are the fragments that, found verbatim in the answer, mean the markup
    came back unescaped."""

    markers: tuple[str, ...] = field(default=())


@dataclass(frozen=True)
class Answer:
    """What a probe got: the status, and whether the answer carried the payload unescaped."""

    probe: Probe
    status: int
    reflected: bool = False

    def problem(self) -> str | None:
        """Why the answer is wrong for the probe, or ``None``."""
        return judge(self.probe, self.status, self.reflected)


def _number(param: InputParam, value: float) -> int | float:
    return int(value) if param.type == "integer" else round(value, 6)


def valid_value(param: InputParam) -> object:
    """The value sent for ``param`` while another parameter is probed."""
    if param.valid is not None:
        return param.valid
    if param.type == "boolean":
        return True
    if param.type == "string":
        size = max(param.min_length or 0, min(10, param.max_length or 10))
        return ("stackcheck" * (size // 10 + 1))[:size]
    low, high = param.minimum, param.maximum
    if low is not None and high is not None:
        middle = (low + high) / 2
        return _number(param, math.floor(middle) if param.type == "integer" else middle)
    if low is not None:
        return _number(param, low + (_DEFAULT_STEP[param.type] if low else 1))
    if high is not None:
        return _number(param, min(high, 1))
    return 1


def baseline(endpoint: InputEndpoint) -> dict[str, object]:
    """Every parameter at its valid value: the request the endpoint must accept."""
    return {p.name: valid_value(p) for p in endpoint.params}


def _numeric_probes(param: InputParam) -> list[Probe]:
    step = param.step or _DEFAULT_STEP[param.type]
    low, high = param.minimum, param.maximum
    out: list[Probe] = []
    if low is not None:
        out.append(Probe(param.name, _number(param, low), "accept", f"at minimum {low:g}"))
    if high is not None:
        out.append(Probe(param.name, _number(param, high), "accept", f"at maximum {high:g}"))
    if low is not None and high is not None and high - low > 2 * step:
        inside = low + step if param.type == "integer" else low + (high - low) / 4
        out.append(Probe(param.name, _number(param, inside), "accept", "inside the bounds"))
    if low is not None:
        out.append(Probe(param.name, _number(param, low - step), "refuse", f"below minimum {low:g}"))
    if high is not None:
        out.append(Probe(param.name, _number(param, high + step), "refuse", f"above maximum {high:g}"))
    out.append(Probe(param.name, "not-a-number", "refuse", "a string for a number"))
    if param.type == "integer":
        base = low if low is not None else 0
        out.append(Probe(param.name, base + 0.5, "refuse", "a fraction for an integer"))
    return out


def _string_probes(param: InputParam) -> list[Probe]:
    out: list[Probe] = []
    if param.max_length is not None:
        out.append(Probe(param.name, "a" * param.max_length, "accept", f"at max_length {param.max_length}"))
        out.append(
            Probe(param.name, "a" * (param.max_length + 1), "refuse", f"over max_length {param.max_length}")
        )
    if param.min_length:
        out.append(Probe(param.name, "a" * param.min_length, "accept", f"at min_length {param.min_length}"))
        out.append(
            Probe(param.name, "a" * (param.min_length - 1), "refuse", f"under min_length {param.min_length}")
        )
    return out


def bound_probes(endpoint: InputEndpoint) -> list[Probe]:
    """Values at, inside and beyond each declared bound, and of the wrong type (JSON bodies: a number for a
    string, an object for a boolean; a query string carries text only, so only unparseable text there)."""
    out: list[Probe] = []
    for param in endpoint.params:
        if param.type in ("integer", "number"):
            out += _numeric_probes(param)
        elif param.type == "string":
            out += _string_probes(param)
            if endpoint.location == "body":
                out.append(Probe(param.name, {"not": "a string"}, "refuse", "an object for a string"))
        elif endpoint.location == "body":
            out.append(Probe(param.name, "not-a-boolean", "refuse", "a string for a boolean"))
        else:
            out.append(Probe(param.name, "not-a-boolean", "refuse", "unparseable text for a boolean"))
    return out


def hostile_probes(endpoint: InputEndpoint, mark: str | None = None) -> list[Hostile]:
    """Markup, script, an oversized string and a wrong type for every ``sanitize`` field. ``mark`` (random
    per run) ties each tag to this run, so a page's own ``<script>`` is never taken for a reflection."""
    tag = mark or f"sc{secrets.token_hex(4)}"
    out: list[Hostile] = []
    for param in (p for p in endpoint.params if p.type == "string" and p.sanitize):
        payloads = [
            ("a <script> element", f"<script>alert('{tag}')</script>", f"<script>alert('{tag}')"),
            (
                "an event handler",
                f"<img src=x onerror=\"alert('{tag}')\">",
                f"<img src=x onerror=\"alert('{tag}",
            ),
            ("markup breaking out of an attribute", f'"><svg onload={tag}>', f"<svg onload={tag}>"),
            ("a javascript: link", f'<a href="javascript:{tag}()">x</a>', f'<a href="javascript:{tag}()'),
        ]
        limit = param.max_length
        for what, payload, marker in payloads:
            if limit is not None and len(payload) > limit:
                payload = payload[:limit]
                marker = marker[: min(len(marker), limit)]
            out.append(Hostile(param.name, payload, "survive", what, (marker,)))
        size = (limit + 1) if limit is not None else _OVERSIZED
        big = (f"<b>{tag}</b>" * (size // 10 + 1))[:size]
        expect: Expect = "refuse" if limit is not None else "survive"
        out.append(
            Hostile(param.name, big, expect, f"an oversized string ({size} characters)", (f"<b>{tag}",))
        )
        if endpoint.location == "body":
            out.append(
                Hostile(param.name, [f"<i>{tag}</i>"], "refuse", "a list for a string", (f"<i>{tag}",))
            )
        out.append(Hostile(param.name, f"{tag}\x00<u>{tag}</u>", "survive", "a NUL byte", (f"<u>{tag}",)))
    return out


def reflected(probe: Probe, status: int, content_type: str, body: str) -> bool:
    """Whether the answer carries one of the probe's markers verbatim (case-insensitive): unescaped.

    An accepted value (2xx) must come back stripped or escaped whatever the answer's type (it is what the
    service keeps). A refusal (4xx) that quotes the value in a JSON or plain-text error (FastAPI's 422
    does) kept nothing and renders nothing: only a refusal a browser would render as HTML counts.
    """
    if not isinstance(probe, Hostile):
        return False
    if not 200 <= status < 300:
        media = content_type.split(";")[0].strip().lower()
        if media and media not in ("text/html", "application/xhtml+xml", "image/svg+xml", "text/xml"):
            return False
    lowered = body.lower()
    return any(marker.lower() in lowered for marker in probe.markers)


def judge(probe: Probe, status: int, was_reflected: bool = False) -> str | None:
    """The problem with ``status`` (and a reflection) as the answer to ``probe``, or ``None``."""
    where = f"{probe.param} {probe.what}"
    if status == 0:
        return f"{where}: the connection was closed without an answer (twice)"
    if status >= 500:
        return f"{where}: answered {status} (a server error: input reached code that did not expect it)"
    if was_reflected:
        return f"{where}: the markup came back unescaped in the answer ({status})"
    if probe.expect == "accept" and not 200 <= status < 300:
        return f"{where}: a valid value was refused ({status})"
    if probe.expect == "refuse" and not 400 <= status < 500:
        return f"{where}: accepted ({status}), expected 4xx"
    if probe.expect == "survive" and not (200 <= status < 300 or 400 <= status < 500):
        return f"{where}: answered {status}, expected 2xx (escaped) or 4xx"
    return None


def request_kwargs(endpoint: InputEndpoint, values: dict[str, object]) -> tuple[str, dict[str, object]]:
    """The path and the HTTP client's keyword arguments for one request of ``endpoint`` with ``values``."""
    headers = dict(endpoint.headers)
    if endpoint.location == "body":
        return endpoint.path, {"json": values, "headers": headers}
    pairs = [f"{quote(k, safe='')}={quote(_query_text(v), safe='')}" for k, v in values.items()]
    sep = "&" if "?" in endpoint.path else "?"
    return f"{endpoint.path}{sep}{'&'.join(pairs)}", {"headers": headers}


def _query_text(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return ",".join(str(v) for v in value)
    return str(value)


def shown(value: object, limit: int = 60) -> str:
    """A probe value as evidence: short (the report's renderers escape it)."""
    text = repr(value)
    if len(text) > limit:
        text = f"{text[: limit - 20]}... ({len(text)} characters)"
    return text
