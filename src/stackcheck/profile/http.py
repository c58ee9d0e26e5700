"""Profile sections of the HTTP/TLS surface: target, service, health, metrics, headers, CORS, exposure, TLS
(the rate limit has a module of its own: :mod:`stackcheck.profile.ratelimit`)."""

from __future__ import annotations

import re
from typing import Annotated, Literal
from urllib.parse import urlsplit

from pydantic import (
    AfterValidator,
    BeforeValidator,
    Discriminator,
    Field,
    Tag,
    ValidationInfo,
    field_validator,
)

from stackcheck.profile.fields import HostPort, NonNegInt, PositiveFloat, PositiveInt, Section, UrlPath

DEFAULT_DEADLINE_S = 1800.0  # 30 minutes: far above any real run, far below "for ever"


class TargetSection(Section):
    """The running service under test."""

    base_url: str | None = Field(
        None, description="Base URL of the service, e.g. https://127.0.0.1:8443. `--target` overrides it."
    )
    ca_bundle: str | None = Field(
        None, description="PEM file of CAs to trust for HTTPS (default: system store)."
    )
    timeout_s: PositiveFloat = Field(5.0, description="Per-request timeout; slower answers are `error`.")
    deadline_s: Annotated[float, Field(gt=0, le=86_400)] = Field(
        DEFAULT_DEADLINE_S,
        description="Bound on a whole `verify` run: checks that have not started when it passes end as "
        "`error` (the run deadline), so a misbehaving target can never keep a scheduled run going.",
    )
    max_response_bytes: Annotated[int, Field(ge=1024, le=1_000_000_000)] = Field(
        1_000_000,
        description="Most bytes of one answer a probe reads (after decompression); the rest is not read, "
        "and the evidence says so. `/metrics` has its own bound (`metrics.max_bytes`).",
    )


class ReadyDependency(Section):
    """A dependency of the service that stackcheck did not start: a search engine, an upstream API, a broker.

    The drill puts a loopback TCP relay in front of ``address`` and gives the service the relay's address
    through the placeholder ``{dep_NAME}`` (``127.0.0.1:PORT``) in ``service.command`` / ``service.env``;
    stopping the relay refuses connections, pausing it makes them hang. The dependency itself is never
    touched.
    """

    name: Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]{0,39}$")] = Field(
        description="What the service calls the dependency (lower case, digits, _): the drill's subject and "
        "the placeholder `{dep_NAME}`. Not postgres or redis (those are the run's own servers)."
    )
    address: HostPort = Field(
        description="Where the dependency listens, HOST:PORT (e.g. 127.0.0.1:9200, [::1]:6380); loopback "
        "unless --allow-remote."
    )

    @field_validator("name")
    @classmethod
    def _not_a_server_of_the_run(cls, name: str) -> str:
        if name in ("postgres", "redis"):
            raise ValueError(f"{name!r} is the run's own server: list it as `{name}`, without an address")
        return name


# A bare name is one of the run's servers, a mapping any other dependency: the shape decides, so a mistake in
# a mapping is reported as that mapping's, not as "must be postgres or redis". (The tags are not
# identifiers, so the loader's error location skips them: health.ready_dependencies[0].address.)
_SERVER, _OTHER = "a server of the run", "{name, address}"


def _server_name(value: object) -> object:
    if isinstance(value, str) and value not in ("postgres", "redis"):
        raise ValueError(
            f"{value!r} is not one of the run's servers (postgres, redis): write any other dependency as "
            f"{{name: {value}, address: HOST:PORT}}"
        )
    return value


Dependency = Annotated[
    Annotated[Literal["postgres", "redis"], BeforeValidator(_server_name), Tag(_SERVER)]
    | Annotated[ReadyDependency, Tag(_OTHER)],
    Discriminator(lambda v: _SERVER if isinstance(v, str) else _OTHER),
]


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
    ready_dependencies: list[Dependency] = Field(
        default_factory=list,
        description="Dependencies the readiness endpoint must reflect; the drill interrupts each in turn: "
        "`postgres` and `redis` (the run's own servers), or any TCP/HTTP dependency as `{name, address}`, "
        "which the drill interrupts through a relay of its own (the service is given the relay's "
        "address as `{dep_NAME}`).",
    )
    drill: Literal["stop", "pause"] = Field(
        "stop",
        description="How the drill interrupts a dependency: stop (connections refused) or pause (they hang).",
    )

    @field_validator("ready_dependencies")
    @classmethod
    def _distinct(cls, deps: list[Dependency]) -> list[Dependency]:
        names = [d if isinstance(d, str) else d.name for d in deps]
        twice = sorted({n for n in names if names.count(n) > 1})
        if twice:
            raise ValueError(f"{', '.join(twice)} listed twice: each dependency is drilled once")
        return deps


class ServiceSection(Section):
    """How stackcheck starts the service under test itself, wired to throwaway dependencies (fault drill).

    ``command`` and ``env`` values may use ``{port}`` (a free loopback port), ``{postgres_dsn}``,
    ``{redis_url}``, ``{dep_NAME}`` (the relay in front of dependency NAME of ``health.ready_dependencies``,
    ``127.0.0.1:PORT``), ``{profile}`` (this profile's file), ``{profile_dir}``, ``{python}``, and for a
    service that serves HTTPS (``scheme: https``) ``{tls_dir}`` (an empty folder of this launch, e.g. for the
    certificate it issues itself) and ``{http_port}`` (a second free port, for its plain-HTTP redirect).
    """

    command: Annotated[list[str], Field(min_length=1)] = Field(
        description='Program and arguments, e.g. [./app, --port, "{port}"].'
    )
    env: dict[str, str] = Field(default_factory=dict, description="Extra environment variables.")
    cwd: str | None = Field(None, description="Working directory, relative to the profile file.")
    start_timeout_s: Annotated[float, Field(gt=0, le=600)] = Field(
        30, description="How long the service may take to answer its liveness endpoint."
    )
    scheme: Literal["http", "https"] = Field(
        "http",
        description="What the service speaks on `{port}`: `https` makes the target https://127.0.0.1:PORT.",
    )
    ca_bundle: str | None = Field(
        None,
        description="PEM of the CA that issued the service's certificate (`scheme: https`), placeholders "
        "allowed, relative to the profile file, e.g. `{tls_dir}/ca.pem`; read once the service answers. "
        "Default: target.ca_bundle, else the system store.",
    )
    drain_path: UrlPath | None = Field(
        None,
        description="A slow endpoint (GET, answering 2xx) the SIGTERM drill (`drill.sigterm`) holds requests "
        "in flight on while it sends SIGTERM, e.g. /api/v1/simulate?paths=100000: it must take longer than "
        "a second or two. Unset: the drill is skipped.",
    )
    drain_s: Annotated[float, Field(gt=0, le=300)] = Field(
        30,
        description="Seconds the service may take after SIGTERM to finish its in-flight requests and exit "
        "with code 0 (`drill.sigterm`; a Kubernetes terminationGracePeriodSeconds is 30 by default).",
    )
    drain_requests: Annotated[int, Field(ge=1, le=20)] = Field(
        5, description="How many requests to `drain_path` the SIGTERM drill holds in flight at once."
    )


def _check_base_url(url: str) -> str:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(
            f"{url!r} must be an http:// or https:// URL with a host, e.g. http://127.0.0.1:9464"
        )
    if parts.path.strip("/") or parts.query or parts.fragment:
        raise ValueError(f"{url!r} must be a base URL without a path (the path is metrics.path)")
    return url.rstrip("/")


BaseUrl = Annotated[str, AfterValidator(_check_base_url)]

MetricType = Literal[
    "counter", "gauge", "histogram", "summary", "info", "stateset", "gaugehistogram", "unknown"
]


class MetricsSection(Section):
    """Prometheus metrics exposition."""

    path: UrlPath = Field("/metrics", description="Path of the Prometheus exposition.")
    max_bytes: Annotated[int, Field(ge=1024, le=1_000_000_000)] = Field(
        4_000_000,
        description="Most bytes of the exposition read (after decompression); a larger one is `error`, "
        "saying so (a 60 MB exposition would take minutes and gigabytes to parse; 4 MB takes ~2 s).",
    )
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
    base_url: BaseUrl | None = Field(
        None,
        description="Where the metrics checks scrape `metrics.path` when the exposition is not on the public "
        "target: a management port or an internal address, e.g. http://127.0.0.1:9464 (scheme, host and "
        "port; the target's ca_bundle and timeout apply). Default: the target. With `public: false` and no "
        "`base_url`, the checks that read the exposition are skipped (it is not reachable from here).",
    )
    public: bool = Field(
        True,
        description="Whether the public target may serve the exposition. `false`: metrics.not_public "
        "requires that the target does not answer a Prometheus exposition at `metrics.path` (nor with a "
        "trailing slash toggled or a doubled leading slash); a refusal (401/403/404) or a page that is no "
        "exposition passes. Default true: the check is skipped.",
    )


# An HTTP field name (RFC 9110 5.1: a token).
_TOKEN = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")


class HeadersSection(Section):
    """HTTP security headers: what each headers check requires, and on which pages."""

    hsts_min_age_s: NonNegInt = Field(15552000, description="Minimum Strict-Transport-Security max-age (s).")
    hsts_include_subdomains: bool = Field(False, description="HSTS must carry includeSubDomains.")
    hsts_preload: bool = Field(False, description="HSTS must carry preload.")
    required: list[str] = Field(default_factory=list, description="Header names that must be present.")
    values: dict[str, str] = Field(
        default_factory=dict,
        description="Headers that must carry exactly this value, e.g. {x-frame-options: DENY, "
        "referrer-policy: strict-origin-when-cross-origin} (headers.values). Names are case-insensitive; the "
        "value is compared exactly (letter case too) after trimming surrounding whitespace. A header sent "
        "more than once fails, saying so: HTTP lets any hop join the copies into one `a, b` value.",
    )
    path: UrlPath = Field(
        "/", description="Page whose response headers are examined (the one-page form of `paths`)."
    )
    paths: list[UrlPath] = Field(
        default_factory=list,
        description="Pages whose response headers every headers check examines, e.g. [/, /api/v1/ping, "
        '/health/live]: one result per page and check, its subject the path ("on every response"). When '
        "set, it takes precedence over `path`, which is then not read; when empty, only `path` is examined "
        "and results carry no subject (as before `paths` existed).",
    )

    @field_validator("values")
    @classmethod
    def _header_values(cls, values: dict[str, str]) -> dict[str, str]:
        seen: dict[str, str] = {}
        for name, value in values.items():
            if not _TOKEN.fullmatch(name):
                raise ValueError(f"{name!r} is not a header name (letters, digits and -: x-frame-options)")
            if name.lower() in seen:
                raise ValueError(f"header {name!r} is named twice ({seen[name.lower()]!r} and {name!r})")
            seen[name.lower()] = name
            if not isinstance(value, str) or not value.strip():
                raise ValueError(f"the value of {name!r} must be a non-empty string (quote it in YAML)")
            if any(c in value for c in "\r\n\0"):
                raise ValueError(f"the value of {name!r} must be one line")
        return {name.lower(): value.strip() for name, value in values.items()}

    def pages(self) -> list[str]:
        """The paths the headers checks examine: ``paths`` (deduplicated) when set, else ``[path]``."""
        return list(dict.fromkeys(self.paths)) or [self.path]


class CorsSection(Section):
    """Cross-origin resource sharing policy."""

    allowed_origins: list[str] = Field(default_factory=list, description="Origins that may be allowed.")
    path: UrlPath = Field("/", description="Endpoint the cross-origin requests are sent to.")
    methods: list[Annotated[str, Field(pattern=r"^[A-Z]+$")]] = Field(
        default_factory=lambda: ["GET"],
        description="Methods a preflight from an allowed origin must be granted.",
    )
    allow_credentials: bool | None = Field(
        None,
        description="Whether credentialed cross-origin requests (cookies, HTTP auth) are allowed "
        "(cors.credentials). true: each origin in `allowed_origins` is answered "
        "`Access-Control-Allow-Credentials: true` with its own origin echoed in Access-Control-Allow-Origin "
        "(never `*`), on a simple request and on a preflight, and no other origin ever is; false: no origin "
        "ever is. Unset: cors.credentials is skipped.",
    )

    @field_validator("allow_credentials")
    @classmethod
    def _credentials_need_origins(cls, allow: bool | None, info: ValidationInfo) -> bool | None:
        if allow and not info.data.get("allowed_origins", [None]):
            raise ValueError(
                "cors.allow_credentials: true needs cors.allowed_origins (the origins credentials are "
                "allowed for); with no origin allowed, write allow_credentials: false"
            )
        return allow


class ExposureSection(Section):
    """Paths that must never be served."""

    forbidden_paths: list[UrlPath] = Field(default_factory=list, description="Added to the built-in list.")
    builtin: bool = Field(True, description="Also probe the built-in list of well-known sensitive paths.")
    error_paths: list[UrlPath] = Field(
        default_factory=list,
        description="Further requests (GET) expected to produce error pages, e.g. /api/items/not-a-number.",
    )
    closed_ports: list[Annotated[int, Field(ge=1, le=65535)]] = Field(
        default_factory=list,
        max_length=64,
        description="TCP ports of the target's host that must not accept a connection from where stackcheck "
        'runs (exposure.closed_ports), e.g. [5432, 6379] for "no public database access": the database and '
        "cache answer the application only. A connection accepted fails; refused or unanswered passes.",
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
    policy: Literal["mozilla-modern", "mozilla-intermediate", "mozilla-old"] | None = Field(
        None,
        description="A published configuration that tls.protocols and tls.ciphers judge against instead "
        "of the built-in cipher rules: its protocols, suites and DH/ECDH sizes (Mozilla's, as shipped by "
        "sslyze). `min_version` still applies. Default: none (the built-in rules allow CBC-SHA1 suites "
        "with forward secrecy, which mozilla-intermediate excludes).",
    )
    allowed_ciphers: list[str] = Field(
        default_factory=list,
        description="The cipher suites the server may accept, each by its IANA name "
        "(TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256) or its OpenSSL name (ECDHE-RSA-AES128-GCM-SHA256), TLS 1.3 "
        "suites included (TLS_AES_128_GCM_SHA256): tls.ciphers fails naming every accepted suite the list "
        "does not hold, and passes when each is listed. It replaces the built-in cipher rules; mutually "
        "exclusive with `policy`. Empty: the built-in rules (or `policy`).",
    )

    @field_validator("allowed_ciphers")
    @classmethod
    def _known_suites(cls, names: list[str], info: ValidationInfo) -> list[str]:
        if names and info.data.get("policy"):
            raise ValueError(
                f"tls.allowed_ciphers and tls.policy ({info.data['policy']}) are mutually exclusive: each "
                "says which suites are allowed; keep one of them (an overlay can set policy: null)"
            )
        from stackcheck.probes.tls_names import unknown_suite_problem

        for name in names:
            problem = unknown_suite_problem(name)
            if problem is not None:
                raise ValueError(problem)
        return names

    def allowed_suites(self) -> frozenset[str]:
        """The IANA names ``allowed_ciphers`` stands for (OpenSSL names translated)."""
        from stackcheck.probes.tls_names import iana_names

        return frozenset(n for name in self.allowed_ciphers for n in iana_names(name))
