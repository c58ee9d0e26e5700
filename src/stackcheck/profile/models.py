"""The profile: what a team's architecture decisions promise, as a validated pydantic model.

Every section is optional: a section that is absent means its checks are ``skipped`` with that reason.
Unknown keys are errors (``extra="forbid"``) so a typo never silently disables a check.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Literal

from packaging.specifiers import InvalidSpecifier, SpecifierSet
from pydantic import AfterValidator, BaseModel, ConfigDict, Field

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
    ready_recovery_s: PositiveFloat = Field(
        30, description="Bound for /ready to change state when a dependency stops or returns (fault drill)."
    )


class MetricsSection(Section):
    """Prometheus metrics exposition."""

    path: UrlPath = Field("/metrics", description="Path of the Prometheus exposition.")
    required: list[str] = Field(default_factory=list, description="Metric names that must be exposed.")


class RateLimitSection(Section):
    """A request budget per window, e.g. 100 requests per 60 s per client IP."""

    requests: PositiveInt = Field(description="Requests allowed per window.")
    per_seconds: PositiveInt = Field(60, description="Window length in seconds.")
    scope: Literal["ip", "global"] = Field("ip", description="Whose budget: per client IP, or one for all.")
    path: UrlPath = Field("/", description="Endpoint the limit applies to.")


class HeadersSection(Section):
    """HTTP security headers."""

    hsts_min_age_s: NonNegInt = Field(15552000, description="Minimum Strict-Transport-Security max-age (s).")
    required: list[str] = Field(default_factory=list, description="Header names that must be present.")


class CorsSection(Section):
    """Cross-origin resource sharing policy."""

    allowed_origins: list[str] = Field(default_factory=list, description="Origins that may be allowed.")


class ExposureSection(Section):
    """Paths that must never be served."""

    forbidden_paths: list[UrlPath] = Field(default_factory=list, description="Added to the built-in list.")


class TlsSection(Section):
    """Transport security."""

    min_version: Literal["1.0", "1.1", "1.2", "1.3"] = Field("1.2", description="Lowest protocol offered.")
    cert_min_days_left: NonNegInt = Field(14, description="Certificate must stay valid this many more days.")


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
    """Service-level objectives the load stage gates on."""

    p95_ms: PositiveFloat | None = Field(None, description="95th percentile latency bound (ms).")
    p99_ms: PositiveFloat | None = Field(None, description="99th percentile latency bound (ms).")
    error_ratio: Annotated[float, Field(ge=0, le=1)] | None = Field(
        None, description="Highest tolerated share of failed requests (0.01 = 1%)."
    )
    rps: Annotated[float, Field(ge=0)] | None = Field(None, description="Minimum achieved requests/second.")


class LoadSection(Section):
    """Shape of the bounded load test."""

    users: Annotated[int, Field(gt=0, le=10000)] = Field(50, description="Concurrent simulated users.")
    spawn_rate: PositiveFloat = Field(25, description="Users started per second.")
    duration_s: Annotated[float, Field(gt=0, le=3600)] = Field(
        30, description="Test length (s), at most 1 h."
    )


class BackupSection(Section):
    """Recovery objectives."""

    rpo_minutes: PositiveInt | None = Field(None, description="Recovery point objective (minutes).")
    rto_minutes: PositiveInt | None = Field(None, description="Recovery time objective (minutes).")


class ScanSection(Section):
    """Static scans: IaC, images, code."""

    iac_paths: list[str] = Field(default_factory=list, description="Folders/files for checkov.")
    images: list[str] = Field(default_factory=list, description="Local images or tarballs for trivy.")
    code_paths: list[str] = Field(default_factory=list, description="Source folders for bandit.")
    skip: list[str] = Field(default_factory=list, description="Scanner rule ids not to run.")


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
