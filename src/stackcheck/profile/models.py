"""The profile: what a team's architecture decisions promise, as a validated pydantic model.

Every section is optional: a section that is absent means its checks are ``skipped`` with that reason.
Unknown keys are errors (``extra="forbid"``) so a typo never silently disables a check.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Literal

from packaging.specifiers import InvalidSpecifier, SpecifierSet
from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field

__all__ = [
    "PROFILE_SECTIONS",
    "BackupSection",
    "CorsSection",
    "ExposureSection",
    "HeadersSection",
    "HealthSection",
    "LoadSection",
    "MetricsSection",
    "PostgresSection",
    "Profile",
    "RateLimitSection",
    "RedisSection",
    "ScanSection",
    "ServiceSection",
    "SloSection",
    "TargetSection",
    "TlsSection",
    "Waiver",
    "version_specifier",
]


def version_specifier(text: str) -> SpecifierSet:
    """Parse a version requirement: ``">=16"``, ``">=7,<8"``, or a bare ``"16"`` meaning ``"==16.*"``."""
    raw = text.strip()
    if raw and raw[0].isdigit():
        raw = f"=={raw}" if raw.count(".") >= 2 else f"=={raw}.*"
    try:
        return SpecifierSet(raw)
    except InvalidSpecifier:
        raise ValueError(
            f'{text!r} is not a version requirement (write e.g. ">=16", ">=7,<8" or "16")'
        ) from None


def _check_specifier(text: str) -> str:
    version_specifier(text)
    return text


def _check_path(path: str) -> str:
    if not path.startswith("/"):
        raise ValueError(f"{path!r} must be an absolute URL path starting with '/'")
    return path


VersionSpec = Annotated[str, AfterValidator(_check_specifier)]
UrlPath = Annotated[str, AfterValidator(_check_path)]
PositiveInt = Annotated[int, Field(gt=0)]
NonNegInt = Annotated[int, Field(ge=0)]
PositiveFloat = Annotated[float, Field(gt=0)]


class Section(BaseModel):
    """Base of every profile model: immutable, unknown keys rejected."""

    model_config = ConfigDict(frozen=True, extra="forbid")


class TargetSection(Section):
    """The running service under test."""

    base_url: str | None = Field(
        None, description="Base URL of the service, e.g. https://127.0.0.1:8443. `--target` overrides it."
    )
    ca_bundle: str | None = Field(
        None, description="PEM file of CAs to trust for HTTPS (default: system store)."
    )
    timeout_s: PositiveFloat = Field(5.0, description="Per-request timeout; slower answers are `error`.")


class HealthSection(Section):
    """Health endpoints (Kubernetes-style probes) and how fast they must answer."""

    live: UrlPath | None = Field("/health/live", description="Liveness endpoint; must answer 2xx.")
    ready: UrlPath | None = Field("/health/ready", description="Readiness endpoint; must answer 2xx.")
    startup: UrlPath | None = Field(None, description="Startup endpoint, when the system has one.")
    extra: list[UrlPath] = Field(
        default_factory=list, description="Further endpoints that must answer 2xx (e.g. /freshness)."
    )
    max_latency_ms: PositiveFloat | None = Field(
        None, description="The health endpoints' percentile latency must stay at or below this (ms)."
    )
    latency_percentile: Annotated[float, Field(gt=0, le=100)] = Field(
        95, description="Which percentile `max_latency_ms` bounds."
    )
    samples: Annotated[int, Field(ge=1, le=1000)] = Field(
        20, description="Requests sent per endpoint to measure latency (bounded: at most 1000)."
    )
    ready_recovery_s: Annotated[float, Field(gt=0, le=600)] = Field(
        30, description="Bound for /ready to change state when a dependency stops or returns (drill, s)."
    )
    ready_dependencies: list[Literal["postgres", "redis"]] = Field(
        default_factory=list,
        description="Dependencies the readiness endpoint must reflect; the drill interrupts each in turn.",
    )
    drill: Literal["stop", "pause"] = Field(
        "stop",
        description="How the drill interrupts a dependency: stop (connections refused) or pause (they hang).",
    )


class ServiceSection(Section):
    """How stackcheck starts the service under test itself, wired to throwaway dependencies (fault drill).

    ``command`` and ``env`` values may use ``{port}`` (a free loopback port), ``{postgres_dsn}``,
    ``{redis_url}``, ``{profile}`` (this profile's file), ``{profile_dir}`` and ``{python}``.
    """

    command: Annotated[list[str], Field(min_length=1)] = Field(
        description='Program and arguments, e.g. [./app, --port, "{port}"].'
    )
    env: dict[str, str] = Field(default_factory=dict, description="Extra environment variables.")
    cwd: str | None = Field(None, description="Working directory, relative to the profile file.")
    start_timeout_s: Annotated[float, Field(gt=0, le=600)] = Field(
        30, description="How long the service may take to answer its liveness endpoint."
    )


MetricType = Literal[
    "counter", "gauge", "histogram", "summary", "info", "stateset", "gaugehistogram", "unknown"
]


class MetricsSection(Section):
    """Prometheus metrics exposition."""

    path: UrlPath = Field("/metrics", description="Path of the Prometheus exposition.")
    required: list[str] = Field(default_factory=list, description="Metric names that must be exposed.")
    types: dict[str, MetricType] = Field(
        default_factory=dict,
        description="Type each named metric must have, e.g. {http_requests_total: counter}. Required names "
        "ending in `_total` must be counters anyway (Prometheus naming convention).",
    )
    latency_histogram: str | None = Field(
        None,
        description="Name of the request-latency histogram (default: the first histogram whose name "
        "mentions `duration` or `latency`).",
    )
    latency_threshold_ms: PositiveFloat | None = Field(
        None,
        description="Latency (ms) the histogram must have a bucket boundary at, so the SLO can be computed "
        "from it (default: slo.p95_ms).",
    )


class RateLimitSection(Section):
    """A request budget per window, e.g. 100 requests per 60 s per client IP."""

    requests: PositiveInt = Field(description="Requests allowed per window.")
    per_seconds: PositiveInt = Field(60, description="Window length in seconds.")
    scope: Literal["ip", "global"] = Field("ip", description="Whose budget: per client IP, or one for all.")
    path: UrlPath = Field("/", description="Endpoint the limit applies to.")
    method: Literal["GET", "HEAD", "POST"] = Field("GET", description="Method of the probe requests.")
    margin: Annotated[int, Field(ge=1, le=200)] | None = Field(
        None,
        description="Requests beyond `requests` a probe may send before concluding there is no limit "
        "(default: 5, or 10% of `requests` when larger).",
    )
    max_wait_s: Annotated[float, Field(ge=0, le=3600)] = Field(
        5,
        description="Longest Retry-After that ratelimit.recovery waits for; a longer wait is opt-in: raise "
        "this (e.g. to 60 for a per-minute limit), else the check is skipped with the reason.",
    )


class HeadersSection(Section):
    """HTTP security headers."""

    hsts_min_age_s: NonNegInt = Field(15552000, description="Minimum Strict-Transport-Security max-age (s).")
    hsts_include_subdomains: bool = Field(False, description="HSTS must carry includeSubDomains.")
    hsts_preload: bool = Field(False, description="HSTS must carry preload.")
    required: list[str] = Field(default_factory=list, description="Header names that must be present.")
    path: UrlPath = Field("/", description="Page whose response headers are examined.")


class CorsSection(Section):
    """Cross-origin resource sharing policy."""

    allowed_origins: list[str] = Field(default_factory=list, description="Origins that may be allowed.")
    path: UrlPath = Field("/", description="Endpoint the cross-origin requests are sent to.")
    methods: list[Annotated[str, Field(pattern=r"^[A-Z]+$")]] = Field(
        default_factory=lambda: ["GET"],
        description="Methods a preflight from an allowed origin must be granted.",
    )


class ExposureSection(Section):
    """Paths that must never be served."""

    forbidden_paths: list[UrlPath] = Field(default_factory=list, description="Added to the built-in list.")
    builtin: bool = Field(True, description="Also probe the built-in list of well-known sensitive paths.")
    error_paths: list[UrlPath] = Field(
        default_factory=list,
        description="Further requests (GET) expected to produce error pages, e.g. /api/items/not-a-number.",
    )


def _tls_version_text(value: object) -> object:
    # `min_version: 1.3` in YAML (or `--set tls.min_version=1.3`) arrives as a float.
    return f"{value:.1f}" if isinstance(value, float | int) and not isinstance(value, bool) else value


class TlsSection(Section):
    """Transport security."""

    min_version: Annotated[Literal["1.0", "1.1", "1.2", "1.3"], BeforeValidator(_tls_version_text)] = Field(
        "1.2", description="Lowest protocol offered."
    )
    cert_min_days_left: NonNegInt = Field(14, description="Certificate must stay valid this many more days.")
    min_rsa_bits: PositiveInt = Field(
        2048, description="Smallest RSA key accepted (EC keys need 256 bits, i.e. P-256 or stronger)."
    )
    server_name: str | None = Field(
        None, description="Hostname for SNI and certificate matching (default: the target's host)."
    )
    http_port: Annotated[int, Field(ge=1, le=65535)] | None = Field(
        None, description="Plain-HTTP port on the target host that must redirect to HTTPS (tls.redirect)."
    )
    scan_timeout_s: Annotated[float, Field(gt=0, le=600)] = Field(
        60, description="Bound on the whole sslyze scan; beyond it the TLS checks are `error`."
    )


_SQL_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_$]*(\.[A-Za-z_][A-Za-z0-9_$]*)?$")
_LITERAL_PASSWORD = re.compile(
    r"^[a-z][a-z0-9+.-]*://[^/@:]*:(?!\$\{)[^/@]+@|(^|\s)password\s*=\s*(?!\$\{)\S", re.I
)


def _check_sql_name(name: str) -> str:
    # Names are interpolated as SQL identifiers: only plain (optionally schema-qualified) names are accepted.
    if not _SQL_NAME.match(name):
        raise ValueError(f"{name!r} is not a plain SQL name (write `table` or `schema.table`)")
    return name


def _check_no_literal_secret(value: str | None) -> str | None:
    # Credentials belong in the environment, not in a file that is committed and shown in reports.
    if value is not None and _LITERAL_PASSWORD.search(value):
        raise ValueError(
            "holds a literal password; reference an environment variable instead, "
            "e.g. postgresql://app:${PGPASSWORD}@db.internal:5432/app"
        )
    return value


SqlName = Annotated[str, AfterValidator(_check_sql_name)]
ServerConfig = dict[str, str | int | float | bool]


class PostgresHypertable(Section):
    """A TimescaleDB hypertable the schema must have, with its optional policies."""

    name: SqlName = Field(description="Table name, `table` or `schema.table`.")
    retention: str | None = Field(
        None, description='Retention policy drop_after interval that must be scheduled, e.g. "30 days".'
    )
    compress_after: str | None = Field(
        None,
        description='Compression on, with a policy compressing chunks older than this, e.g. "7 days".',
    )


class PostgresSection(Section):
    """The PostgreSQL server and what it must carry."""

    dsn: Annotated[str | None, AfterValidator(_check_no_literal_secret)] = Field(
        None, description="DSN for --infra external; `${VAR}` is read from the environment."
    )
    version: VersionSpec | None = Field(None, description='Server version requirement, e.g. ">=16".')
    extensions: list[str] = Field(default_factory=list, description="Extensions installed or installable.")
    settings: dict[str, str | int | float | bool] = Field(
        default_factory=dict, description="Server settings, compared after unit normalisation."
    )
    require_ssl: bool = Field(False, description="The server must refuse non-SSL logins.")
    image: str | None = Field(
        None,
        description="Container image for --infra docker (else $STACKCHECK_POSTGRES_IMAGE, else "
        "timescale/timescaledb-ha:pg17, which carries TimescaleDB and pgvector).",
    )
    server_config: ServerConfig = Field(
        default_factory=dict,
        description="Settings the throwaway server (docker/local) starts with, as `-c key=value`: what the "
        "team's deployment sets. Never sent to --infra external. Checks read values back from the server.",
    )
    migrations: str | None = Field(
        None,
        description="Folder of plain SQL files (applied in name order to the throwaway docker/local database "
        "before the checks; never to --infra external). Relative to the profile file given to --profile.",
    )
    rls_tables: list[SqlName] = Field(
        default_factory=list, description="Tables that must have row-level security enabled, with a policy."
    )
    rls_forced: bool = Field(
        True, description="Also require FORCE ROW LEVEL SECURITY (the table owner obeys the policies too)."
    )
    uuidv7: SqlName | None = Field(
        None,
        description='Function that generates UUIDv7: "uuidv7" (native, PostgreSQL 18), "uuid_generate_v7" '
        "(pg_uuidv7 extension) or one of the schema's own.",
    )
    vector_index: Literal["hnsw", "ivfflat"] = Field(
        "hnsw", description="ANN index type the pgvector round trip builds (checked when `vector` is listed)."
    )
    hypertables: list[PostgresHypertable] = Field(
        default_factory=list, description="TimescaleDB hypertables that must exist, with optional policies."
    )
    max_connections: PositiveInt | None = Field(
        None, description="The server's max_connections must be at least this."
    )
    pool_size: PositiveInt | None = Field(
        None, description="Connections one application instance's pool opens (e.g. 20); all must fit."
    )
    app_instances: PositiveInt = Field(
        1,
        description="Application instances sharing the server (blue-green: both colours), each with a pool.",
    )


class RedisSection(Section):
    """The Redis server and its configuration."""

    url: Annotated[str | None, AfterValidator(_check_no_literal_secret)] = Field(
        None, description="URL for --infra external; `${VAR}` is read from the environment."
    )
    version: VersionSpec | None = Field(None, description='Server version requirement, e.g. ">=7".')
    maxmemory_policy: (
        Literal[
            "noeviction",
            "allkeys-lru",
            "allkeys-lfu",
            "allkeys-random",
            "volatile-lru",
            "volatile-lfu",
            "volatile-random",
            "volatile-ttl",
        ]
        | None
    ) = Field(None, description="Required eviction policy.")
    appendonly: bool | None = Field(None, description="AOF persistence must be on (true) or off (false).")
    require_auth: bool = Field(False, description="Unauthenticated commands must be refused.")
    image: str | None = Field(
        None, description="Container image for --infra docker (else $STACKCHECK_REDIS_IMAGE, else redis:7)."
    )
    server_config: ServerConfig = Field(
        default_factory=dict,
        description="Configuration the throwaway server (docker/local) starts with, as `--key value`: what "
        "the team's deployment sets. Never sent to --infra external; `${VAR}` is read from the environment.",
    )
    maxmemory: str | NonNegInt | None = Field(
        None, description='Memory limit the server must have, e.g. "2gb" or "512mb" (Redis units; 0 = none).'
    )
    appendfsync: Literal["always", "everysec", "no"] | None = Field(
        None, description="Required AOF fsync policy (checked with appendonly)."
    )
    rdb_snapshots: bool | None = Field(
        None, description="RDB snapshots must be scheduled (true) or disabled (false)."
    )


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


class BackupSection(Section):
    """Recovery objectives."""

    rpo_minutes: PositiveInt | None = Field(None, description="Recovery point objective (minutes).")
    rto_minutes: PositiveInt | None = Field(None, description="Recovery time objective (minutes).")


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


class Waiver(Section):
    """An accepted, time-boxed exception: a failing check reported as ``waived`` until ``expires``."""

    check: str = Field(description="Check id the waiver covers, e.g. tls.protocols.")
    subject: str | None = Field(None, description="Only this subject of the check (e.g. one endpoint).")
    reason: Annotated[str, Field(min_length=1)] = Field(description="Why the exception is accepted.")
    owner: Annotated[str, Field(min_length=1)] = Field(description="Who answers for it.")
    expires: dt.date = Field(description="Last day the waiver holds (YYYY-MM-DD).")


class Profile(Section):
    """One system in one environment: the checkable claims of its architecture decisions."""

    name: Annotated[str, Field(min_length=1)] = Field(description="Profile name, e.g. chimera-staging.")
    extends: str | list[str] | None = Field(
        None, description="Profile file(s) this one overlays, relative to this file (deep-merged)."
    )
    description: str | None = Field(None, description="Free text: the system and where its claims come from.")
    target: TargetSection | None = None
    service: ServiceSection | None = None
    health: HealthSection | None = None
    metrics: MetricsSection | None = None
    rate_limit: RateLimitSection | None = None
    headers: HeadersSection | None = None
    cors: CorsSection | None = None
    exposure: ExposureSection | None = None
    tls: TlsSection | None = None
    postgres: PostgresSection | None = None
    redis: RedisSection | None = None
    slo: SloSection | None = None
    load: LoadSection | None = None
    backup: BackupSection | None = None
    scan: ScanSection | None = None
    waivers: list[Waiver] = Field(default_factory=list)


PROFILE_SECTIONS: tuple[str, ...] = tuple(
    name for name in Profile.model_fields if name not in {"name", "extends", "description", "waivers"}
)
