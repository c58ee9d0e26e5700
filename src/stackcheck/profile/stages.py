"""Profile sections of the stages: the SLO, the load test and the static scan."""

from __future__ import annotations

import json
import re
import typing
from typing import Annotated, Any, Literal, Self

from pydantic import Field, ValidationInfo, field_validator, model_validator

from stackcheck.profile.build import BuildSection
from stackcheck.profile.fields import PositiveFloat, Section, UrlPath


class SloSection(Section):
    """Service-level objectives the load stage (`stackcheck load`) gates on: load.p95, load.p99,
    load.error_ratio, load.throughput."""

    p95_ms: PositiveFloat | None = Field(
        None, description="95th percentile latency bound (ms), measured under `load:` (load.p95)."
    )
    p99_ms: PositiveFloat | None = Field(
        None, description="99th percentile latency bound (ms), measured under `load:` (load.p99)."
    )
    error_ratio: Annotated[float, Field(ge=0, le=1)] | None = Field(
        None, description="Highest tolerated share of failed requests (0.01 = 1%) (load.error_ratio)."
    )
    rps: Annotated[float, Field(ge=0)] | None = Field(
        None,
        description="Minimum achieved requests/second once all users run (load.throughput); the paced "
        "model offers 1.2 x this unless `load.target_rps` is set.",
    )


#: Methods that change data on the target: an endpoint may use one only with ``load.allow_writes: true``.
WRITE_METHODS: frozenset[str] = frozenset({"POST", "PUT", "PATCH"})
#: Most bytes of one request body (inline or from ``body_file``).
MAX_BODY_BYTES = 1024 * 1024
MAX_HEADERS = 32
MAX_HEADER_VALUE = 8192
_TOKEN = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")
_REFERENCE = re.compile(r"\$\{[A-Za-z_][A-Za-z0-9_]*\}")
# Set by the HTTP client itself (framing, the target's host) or by `content_type`.
_RESERVED_HEADERS = {"host", "content-length", "transfer-encoding", "connection", "content-type"}
_CREDENTIAL_WORDS = ("authorization", "cookie", "token", "secret", "password", "api-key", "apikey", "auth")


def is_credential_header(name: str) -> bool:
    """Whether a header of this name carries a credential (Authorization, Cookie, X-API-Key ...)."""
    lowered = name.lower()
    return any(word in lowered for word in _CREDENTIAL_WORDS)


def header_references(value: str) -> list[str]:
    """The environment variables a header value names (``Bearer ${API_TOKEN}`` → ``["API_TOKEN"]``)."""
    return [m.group(0)[2:-1] for m in _REFERENCE.finditer(value)]


def _check_headers(headers: dict[str, str]) -> dict[str, str]:
    if len(headers) > MAX_HEADERS:
        raise ValueError(f"at most {MAX_HEADERS} headers per endpoint (got {len(headers)})")
    seen: set[str] = set()
    for name, value in headers.items():
        lowered = name.lower()
        if not _TOKEN.match(name):
            raise ValueError(f"header name {name!r} is not an HTTP token (letters, digits, -)")
        if lowered in seen:
            raise ValueError(f"header {name!r} is given twice (names are case-insensitive)")
        seen.add(lowered)
        if lowered in _RESERVED_HEADERS:
            fix = "use `content_type`" if lowered == "content-type" else "the HTTP client sets it"
            raise ValueError(f"header {name!r} cannot be set here: {fix}")
        if any(c in value for c in "\r\n\0") or len(value) > MAX_HEADER_VALUE:
            raise ValueError(
                f"header {name!r}: the value must be one line of at most {MAX_HEADER_VALUE} chars"
            )
        if is_credential_header(name) and not header_references(value):
            raise ValueError(
                f"header {name!r} carries a credential: write it as a ${{VAR}} reference (e.g. "
                f"'Bearer ${{API_TOKEN}}'), read from the environment when the run starts, so no secret "
                "is written in the profile or the run's plan"
            )
    return headers


JsonBody = dict[str, Any] | list[Any] | str


class LoadEndpoint(Section):
    """One endpoint the load test requests: its share of the traffic, the request it sends (method, body,
    headers) and what counts as success. Endpoints that write (POST, PUT, PATCH) need
    `load.allow_writes: true`."""

    path: UrlPath = Field(description="URL path (with query, if any) requested, e.g. /api/v1/items?limit=10.")
    weight: Annotated[int, Field(ge=1, le=1000)] = Field(1, description="Relative share of the requests.")
    method: Literal["GET", "HEAD", "OPTIONS", "POST", "PUT", "PATCH"] = Field(
        "GET",
        description="HTTP method. POST, PUT and PATCH change data on the target: they need "
        "`load.allow_writes: true`, and may send a `body`.",
    )
    name: str | None = Field(
        None, description="Name the requests are grouped under in the statistics (default: METHOD path)."
    )
    body: JsonBody | None = Field(
        None,
        description="Request body (POST, PUT, PATCH only): a mapping or a list is sent as JSON, a string as "
        "written (UTF-8). At most 1 MiB.",
    )
    body_file: str | None = Field(
        None,
        description="File whose bytes are the request body, relative to the profile's folder (instead of "
        "`body`; POST, PUT, PATCH only). At most 1 MiB; read once when the run starts.",
    )
    content_type: str | None = Field(
        None,
        description="Content-Type of the body (default: application/json for a mapping or list, "
        "text/plain; charset=utf-8 for a string, guessed from the extension of `body_file`, else "
        "application/octet-stream).",
    )
    headers: dict[str, str] = Field(
        default_factory=dict,
        description=f"Further request headers (at most {MAX_HEADERS}). Values may use `${{VAR}}`, read from "
        "the environment when the run starts; a credential header (Authorization, Cookie, X-API-Key, any "
        "name with token/secret/auth) must, so no secret is written in the profile. Host, Content-Length, "
        "Transfer-Encoding, Connection and Content-Type are set by stackcheck.",
    )
    expect_status: list[Annotated[int, Field(ge=100, le=599)]] = Field(
        default_factory=list,
        description="Statuses that count as success (default: any 2xx), e.g. [201] for a create; any "
        "other status counts as a failed request (load.error_ratio).",
    )
    expect_body: str | None = Field(
        None, description="Text the response body must contain to count as success."
    )

    @field_validator("headers")
    @classmethod
    def _headers_are_safe(cls, headers: dict[str, str]) -> dict[str, str]:
        return _check_headers(headers)

    @model_validator(mode="after")
    def _body_fits_the_method(self) -> Self:
        has_body = self.body is not None or self.body_file is not None
        if self.body is not None and self.body_file is not None:
            raise ValueError("give either `body` or `body_file`, not both")
        if has_body and self.method not in WRITE_METHODS:
            raise ValueError(
                f"{self.method} {self.path} has a body: only POST, PUT and PATCH send one (set `method`)"
            )
        if self.content_type is not None and not has_body:
            raise ValueError("`content_type` describes a body: add `body` or `body_file`, or remove it")
        if self.content_type is not None and (
            not self.content_type.strip() or any(c in self.content_type for c in "\r\n\0")
        ):
            raise ValueError("`content_type` must be one non-empty line, e.g. application/json")
        if self.body is not None and len(inline_body(self.body)) > MAX_BODY_BYTES:
            raise ValueError(f"the body is larger than {MAX_BODY_BYTES:,} bytes (1 MiB)")
        return self


def inline_body(body: JsonBody) -> bytes:
    """The bytes an inline ``body`` is sent as: JSON for a mapping or list, UTF-8 text for a string."""
    if isinstance(body, str):
        return body.encode("utf-8")
    return json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


class LoadSection(Section):
    """Shape of the bounded load test (`stackcheck load`): who sends what, how fast, for how long."""

    users: Annotated[int, Field(gt=0, le=10000)] = Field(
        50, description="Simulated users (concurrent connections), at most 10000."
    )
    spawn_rate: PositiveFloat = Field(25, description="Users started per second.")
    duration_s: Annotated[float, Field(gt=0, le=3600)] = Field(
        30, description="Test length (s) from the first user's start, at most 1 h."
    )
    allow_writes: bool = Field(
        False,
        description="Let endpoints use POST, PUT and PATCH. The load test then creates or changes data on "
        "the target, up to `max_requests` times (plus one request before the run): point it only at a "
        "target whose data may change (staging, a throwaway copy). Without it, a write endpoint is a "
        "profile error.",
    )
    endpoints: list[LoadEndpoint] = Field(
        default_factory=list,
        description="Weighted endpoints to request (`LoadEndpoint`; default: the health section's live and "
        "ready endpoints, else /).",
    )
    model: Literal["paced", "closed"] = Field(
        "paced",
        description="paced: requests are scheduled at `target_rps` and latency counts from the scheduled "
        "time (no coordinated omission; docs/load.md). closed: each user sends its next request when the "
        "previous one returns (maximum throughput; stalls are under-reported).",
    )
    target_rps: Annotated[float, Field(gt=0, le=100000)] | None = Field(
        None,
        description="Offered rate of the paced model (default: 1.2 x slo.rps, else one request per user "
        "per second).",
    )
    think_time_s: Annotated[float, Field(ge=0, le=60)] = Field(
        0, description="Closed model: pause of each user between requests (s)."
    )
    processes: Annotated[int, Field(ge=0, le=256)] | None = Field(
        None,
        description="Locust worker processes on this machine (default: one per CPU core; 0 = a single "
        "process without a master).",
    )
    percentiles: list[Annotated[float, Field(gt=0, lt=100)]] = Field(
        default_factory=lambda: [50.0, 90.0, 95.0, 99.0, 99.9],
        description="Percentiles reported in the load statistics.",
    )
    max_requests: Annotated[int, Field(gt=0, le=100_000_000)] = Field(
        1_000_000, description="Hard bound on requests sent; the run stops when it is reached."
    )

    @field_validator("endpoints")
    @classmethod
    def _writes_are_opted_in(cls, endpoints: list[LoadEndpoint], info: ValidationInfo) -> list[LoadEndpoint]:
        if info.data.get("allow_writes"):
            return endpoints
        for index, endpoint in enumerate(endpoints):
            if endpoint.method in WRITE_METHODS:
                raise ValueError(
                    f"{endpoint.method} {endpoint.path} (endpoints[{index}]) changes data on the target: "
                    "set `load.allow_writes: true` to send writes (only against a target whose data may "
                    "change), or use GET, HEAD or OPTIONS"
                )
        return endpoints


ScanSeverity = Literal["critical", "high", "medium", "low", "info"]
#: A finding threshold: a severity (that one and above fail), or ``any`` (every open finding fails).
FailOnLevel = Literal["any", "critical", "high", "medium", "low", "info"]
#: Keys of the mapping form of ``scan.fail_on``: a scanner (``stackcheck.scan.scanner.ScannerName``), a
#: check a scanner decides (more specific: it wins over its scanner), or ``default``. A unit test keeps
#: these in step with the scan registry (the profile cannot import it: the registry imports the profile).
FailOnScanner = Literal["checkov", "bandit", "detect-secrets", "trivy", "actionlint"]
FailOnCheck = Literal[
    "scan.iac",
    "scan.code",
    "scan.ci",
    "image.trivy",
    "image.vulnerabilities",
    "secrets.image",
    "secrets.repo",
]
FailOnKey = Literal["default", FailOnScanner, FailOnCheck]
FAIL_ON_SCANNERS: tuple[str, ...] = typing.get_args(FailOnScanner)
FAIL_ON_CHECKS: tuple[str, ...] = typing.get_args(FailOnCheck)
_LEVELS = typing.get_args(FailOnLevel)
DEFAULT_FAIL_ON: FailOnLevel = "low"


def _check_fail_on(value: object) -> object:
    """One clear line for a wrong threshold or key (pydantic would list every branch of the union)."""
    levels = ", ".join(_LEVELS)
    if isinstance(value, str):
        if value not in _LEVELS:
            raise ValueError(f"{value!r} is not a threshold: write one of {levels}, or a mapping per scanner")
        return value
    if isinstance(value, dict):
        keys = ("default", *FAIL_ON_SCANNERS, *FAIL_ON_CHECKS)
        # `--set scan.fail_on.image.vulnerabilities=high` splits the check id at its dot: join it again.
        value = {
            **{k: v for k, v in value.items() if not isinstance(v, dict)},
            **{
                f"{k}.{sub}": v
                for k, inner in value.items()
                if isinstance(inner, dict)
                for sub, v in inner.items()
            },
        }
        for key, level in value.items():
            if key not in keys:
                raise ValueError(f"{key!r} is not a scanner or check id (known: {', '.join(keys)})")
            if level not in _LEVELS:
                raise ValueError(f"{key}: {level!r} is not a threshold (write one of {levels})")
        return value
    raise ValueError(f"must be a threshold ({levels}) or a mapping of scanner or check id to threshold")


CHECKOV_FRAMEWORKS_DEFAULT = ["dockerfile", "terraform", "kubernetes", "github_actions", "yaml"]


class ScanSection(Section):
    """Static scans (IaC, images, code, secrets) and the runtime secret-hygiene check.

    Paths are relative to the profile file. Findings are waived with profile waivers whose ``check`` is
    ``tool:rule`` (e.g. ``checkov:CKV_AWS_21``, ``bandit:B105``) and whose ``subject`` is a file glob.
    """

    iac_paths: list[str] = Field(default_factory=list, description="Folders/files for checkov.")
    images: list[str] = Field(
        default_factory=list, description="Local images (name:tag) or image tarballs (*.tar) for trivy."
    )
    code_paths: list[str] = Field(default_factory=list, description="Source folders for bandit.")
    secret_paths: list[str] | None = Field(
        None, description="Files/folders for the repository secret scan (default: iac_paths + code_paths)."
    )
    skip: list[str] = Field(default_factory=list, description="Scanner rule ids not to run.")
    frameworks: list[str] = Field(
        default_factory=lambda: list(CHECKOV_FRAMEWORKS_DEFAULT),
        description="checkov frameworks to run (always explicit: checkov then makes no network calls).",
    )
    policies: str | None = Field(
        None, description="Folder of custom checkov policies (default: stackcheck's policies/checkov)."
    )
    allowed_regions: list[str] = Field(
        default_factory=list,
        description="Cloud regions IaC may name (data residency, e.g. [ap-south-1]); empty: any.",
    )
    build: BuildSection | None = Field(
        None, description="Build claims the custom checkov policies check in the Dockerfile and compose file."
    )
    fail_on: FailOnLevel | dict[FailOnKey, FailOnLevel] = Field(
        DEFAULT_FAIL_ON,
        description="Threshold of the scan checks: open findings at or above it fail their check, lower ones "
        "are listed in the result and in `findings[]` but do not fail; `any`: every open finding fails, "
        "whatever its severity. One value for every scanner, or a mapping per scanner (checkov, bandit, "
        "detect-secrets, trivy, actionlint) and per check (scan.iac, scan.code, scan.ci, image.trivy, "
        "image.vulnerabilities, secrets.image, secrets.repo; a check wins over its scanner), with "
        f"`default` for the rest (else {DEFAULT_FAIL_ON}), e.g. `{{checkov: any, bandit: high, "
        "image.vulnerabilities: high, secrets.repo: any, secrets.image: any}`.",
    )
    vulnerability_db: str | None = Field(
        None,
        description="trivy cache folder holding a vulnerability DB (db/trivy.db); without one, "
        "image.vulnerabilities is skipped.",
    )
    canaries: list[str] = Field(
        default_factory=list,
        description="Environment variables holding planted canary secrets: secrets.logs fails when one "
        "appears in a captured log or response; every artifact redacts them.",
    )
    log_files: list[str] = Field(
        default_factory=list, description="Log files of the service that secrets.logs inspects."
    )
    timeout_s: PositiveFloat = Field(600, description="Bound on each scanner process (s).")

    @field_validator("fail_on", mode="before")
    @classmethod
    def _fail_on_is_known(cls, value: object) -> object:
        return _check_fail_on(value)

    def threshold(self, scanner: str, check: str) -> tuple[str, str]:
        """The threshold one scanner's check judges its findings against, and the key that set it."""
        if isinstance(self.fail_on, str):
            return self.fail_on, "scan.fail_on"
        levels: dict[str, str] = {str(k): str(v) for k, v in self.fail_on.items()}
        for key in (check, scanner, "default"):
            if key in levels:
                return levels[key], f"scan.fail_on.{key}"
        return DEFAULT_FAIL_ON, "scan.fail_on (default)"
