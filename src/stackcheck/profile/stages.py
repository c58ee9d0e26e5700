"""Profile sections of the stages: the SLO, the load test and the static scan."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

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


class LoadEndpoint(Section):
    """One endpoint the load test requests, with its share of the traffic and what counts as success."""

    path: UrlPath = Field(description="URL path (with query, if any) requested, e.g. /api/v1/items?limit=10.")
    weight: Annotated[int, Field(ge=1, le=1000)] = Field(1, description="Relative share of the requests.")
    method: Literal["GET", "HEAD", "OPTIONS"] = Field(
        "GET", description="HTTP method; only safe methods, so a load test never changes data."
    )
    name: str | None = Field(
        None, description="Name the requests are grouped under in the statistics (default: METHOD path)."
    )
    expect_status: list[Annotated[int, Field(ge=100, le=599)]] = Field(
        default_factory=list, description="Statuses that count as success (default: any 2xx)."
    )
    expect_body: str | None = Field(
        None, description="Text the response body must contain to count as success."
    )


class LoadSection(Section):
    """Shape of the bounded load test (`stackcheck load`): who sends what, how fast, for how long."""

    users: Annotated[int, Field(gt=0, le=10000)] = Field(
        50, description="Simulated users (concurrent connections), at most 10000."
    )
    spawn_rate: PositiveFloat = Field(25, description="Users started per second.")
    duration_s: Annotated[float, Field(gt=0, le=3600)] = Field(
        30, description="Test length (s) from the first user's start, at most 1 h."
    )
    endpoints: list[LoadEndpoint] = Field(
        default_factory=list,
        description="Weighted endpoints to request (default: the health section's live and ready "
        "endpoints, else /).",
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


ScanSeverity = Literal["critical", "high", "medium", "low", "info"]
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
    fail_on: ScanSeverity = Field(
        "low", description="Open findings at or above this severity fail their check; lower ones are listed."
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
