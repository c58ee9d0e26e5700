"""The request one load endpoint sends: its body (inline or from a file, bounded) and its headers.

The body is resolved once, when the plan is built (``body_file`` is read then, relative to the profile's
folder, at most :data:`~stackcheck.profile.stages.MAX_BODY_BYTES`), and travels in the plan. Header
values keep their ``${VAR}`` references in the plan — a credential is never written to the report folder —
and are expanded by each process that sends (the preflight in the CLI, every Locust process) from its
environment; :func:`missing_references` lets the CLI refuse a run whose variables are not set before
anything is sent. Each Locust process builds every endpoint's request bytes once (:func:`build_request`).
"""

from __future__ import annotations

import base64
import mimetypes
import stat
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote, urlsplit

from stackcheck._exceptions import UsageError
from stackcheck.profile.stages import MAX_BODY_BYTES, LoadEndpoint, header_references, inline_body
from stackcheck.redact import expand_references

__all__ = [
    "PlanBody",
    "WireRequest",
    "build_request",
    "expanded_headers",
    "missing_references",
    "resolve_body",
    "secret_header_values",
]

JSON_TYPE = "application/json"
TEXT_TYPE = "text/plain; charset=utf-8"
BINARY_TYPE = "application/octet-stream"
USER_AGENT = "stackcheck-load"

# (body as base64, content type) or None: what the plan carries for one endpoint.
PlanBody = tuple[str, str] | None


def _read_body_file(raw: str, base: Path, key: str) -> bytes:
    path = Path(raw) if Path(raw).is_absolute() else base / raw
    fix = f"point {key} at a regular file of at most {MAX_BODY_BYTES:,} bytes (relative to {base})"
    try:
        info = path.stat()
    except OSError as exc:
        raise UsageError(f"{key} {raw!r}: cannot read it ({exc.strerror or exc})", fix) from None
    if not stat.S_ISREG(info.st_mode):
        raise UsageError(f"{key} {raw!r} is not a regular file", fix)
    if info.st_size > MAX_BODY_BYTES:
        raise UsageError(f"{key} {raw!r} is {info.st_size:,} bytes, more than 1 MiB", fix)
    try:
        with path.open("rb") as handle:
            data = handle.read(MAX_BODY_BYTES + 1)
    except OSError as exc:
        raise UsageError(f"{key} {raw!r}: cannot read it ({exc.strerror or exc})", fix) from None
    if len(data) > MAX_BODY_BYTES:  # it grew between stat and read
        raise UsageError(f"{key} {raw!r} is more than 1 MiB", fix)
    return data


def resolve_body(endpoint: LoadEndpoint, base: Path, key: str) -> PlanBody:
    """The endpoint's body and content type; ``UsageError`` naming ``key`` when ``body_file`` is unusable."""
    if endpoint.body is not None:
        data = inline_body(endpoint.body)
        default = TEXT_TYPE if isinstance(endpoint.body, str) else JSON_TYPE
    elif endpoint.body_file is not None:
        data = _read_body_file(endpoint.body_file, base, f"{key}.body_file")
        default = mimetypes.guess_type(endpoint.body_file)[0] or BINARY_TYPE
    else:
        return None
    return base64.b64encode(data).decode("ascii"), endpoint.content_type or default


def missing_references(endpoints: Mapping[str, Mapping[str, str]], environ: Mapping[str, str]) -> str | None:
    """The first header ``${VAR}`` not set in ``environ``, as text, or None (``endpoints``: key → headers)."""
    for key, headers in endpoints.items():
        for name, value in headers.items():
            for var in header_references(value):
                if var not in environ:
                    return f"{key}.headers.{name} uses ${{{var}}}, which is not set in the environment"
    return None


def expanded_headers(headers: Mapping[str, str], environ: Mapping[str, str]) -> dict[str, str]:
    """Header values with their ``${VAR}`` references replaced from ``environ``."""
    return {name: expand_references(value, environ) for name, value in headers.items()}


def secret_header_values(headers: Mapping[str, str], environ: Mapping[str, str]) -> list[str]:
    """What the ``${VAR}`` references of the headers expand to: redacted in every artifact of the run."""
    return [environ[var] for value in headers.values() for var in header_references(value) if var in environ]


@dataclass(frozen=True)
class WireRequest:
    """One endpoint's request, ready to go on the wire."""

    method: str
    data: bytes  # request line, headers and body


# What stays as written in a request target: RFC 3986's reserved and unreserved characters and existing
# %-escapes; a space, a control character or a non-ASCII one is %-encoded (UTF-8), as httpx (the preflight)
# does, so every process sends the same bytes.
_PATH_SAFE = "!#$%&'()*+,/:;=?@[]~"


def _clean(text: str, what: str) -> str:
    if any(c in text for c in "\r\n\0"):
        raise ValueError(f"{what} contains a line break or NUL: refused (header injection)")
    try:
        text.encode("latin-1")
    except UnicodeEncodeError:
        raise ValueError(f"{what} has a character HTTP/1.1 cannot carry (outside Latin-1)") from None
    return text


def build_request(
    target: str, method: str, path: str, body: bytes | None, headers: Mapping[str, str]
) -> WireRequest:
    """The bytes of one request to ``target`` (``ValueError`` on a header value with a line break or a
    character outside Latin-1; the path is %-encoded where it must be)."""
    parts = urlsplit(target)
    host = parts.netloc.rsplit("@", 1)[-1]
    base = parts.path.rstrip("/")
    line_target = quote(base + path, safe=_PATH_SAFE)
    lines = [f"{_clean(method, 'method')} {_clean(line_target, 'path')} HTTP/1.1", f"Host: {host}"]
    given = {name.lower() for name in headers}
    if "user-agent" not in given:
        lines.append(f"User-Agent: {USER_AGENT}")
    for name, value in headers.items():
        lines.append(f"{_clean(name, 'header name')}: {_clean(value, f'header {name}')}")
    if body is not None or method in ("POST", "PUT", "PATCH"):
        lines.append(f"Content-Length: {len(body or b'')}")
    head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
    return WireRequest(method, head + (body or b""))
