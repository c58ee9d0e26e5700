"""Profile section ``resilience``: the circuit breaker and dependency timeouts the drills measure."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, field_validator

from stackcheck.profile.fields import PositiveFloat, Section, UrlPath

__all__ = ["DEFAULT_RESILIENCE_PATH", "ResilienceSection"]

Dependency = Literal["postgres", "redis"]

#: The reference service's endpoint that queries each dependency (through its breaker).
DEFAULT_RESILIENCE_PATH = "/api/v1/dependencies"


class ResilienceSection(Section):
    """How the service behaves when a dependency hangs: its timeout, its circuit breaker, its health probes.

    The drills (suite ``drills``) start the service themselves (``service.command``) with toxiproxy between
    it and the run's Postgres/Redis: ``{postgres_dsn}`` and ``{redis_url}`` then name the proxy, not the
    server. They inject faults through toxiproxy's API and time the service's answers.
    """

    path: UrlPath = Field(
        DEFAULT_RESILIENCE_PATH,
        description="Endpoint (GET) that calls the dependencies, answering 2xx while they are healthy, e.g. "
        "an API route that reads the database; the drills time its answers. Default: the reference "
        "service's.",
    )
    dependencies: Annotated[list[Dependency], Field(min_length=1)] = Field(
        default_factory=lambda: list[Dependency](["postgres"]),
        description="Dependencies drilled in turn (each needs its profile section and `service.command` "
        "wired to it with `{postgres_dsn}` / `{redis_url}`).",
    )
    dependency_timeout_ms: PositiveFloat = Field(
        description="The service's own timeout on a dependency call (ms): a call that waits this long has "
        "failed. The drill's latency fault is longer; an answer in under half of it does not wait."
    )
    timeouts_ms: dict[Dependency, PositiveFloat] = Field(
        default_factory=dict,
        description="A dependency's own timeout where it differs from dependency_timeout_ms, e.g. {redis: "
        '100} ("Cache lookup | 100ms" beside "DB query | 5s").',
    )
    fault: Literal["latency", "hang", "down"] = Field(
        "latency",
        description="The fault injected: `latency` (toxiproxy `latency` toxic: each answer of the dependency "
        "delayed by 3 x its timeout, and by at least that + 2 s), `hang` (`timeout` toxic 0: the dependency "
        "swallows every byte and never answers) or `down` (the proxy disabled: connections refused, so "
        "calls fail fast; the breaker shows as 503s once the dependency is back, until its trial).",
    )
    breaker_failures: Annotated[int, Field(ge=1, le=50)] | None = Field(
        None,
        description='Failures after which the breaker opens ("5 failures -> OPEN"): from then on the path '
        "answers fast, without waiting on the dependency. Unset: drill.circuit_breaker is skipped.",
    )
    breaker_open_s: Annotated[float, Field(gt=0, le=600)] | None = Field(
        None,
        description='How long the breaker stays open before it lets a trial call through ("30 s -> '
        'HALF-OPEN"); judged within 0.5x to 1.5x + 2 s. Shorten it in a test profile. Unset: '
        "drill.circuit_breaker is skipped.",
    )
    health_path: UrlPath | None = Field(
        None,
        description="Health endpoint that must answer within `health_timeout_ms` while a dependency hangs "
        "(and not 2xx, when it is the readiness endpoint). Default: health.ready.",
    )
    health_timeout_ms: PositiveFloat | None = Field(
        None,
        description='Bound on the health endpoint\'s answer while a dependency hangs ("Health check | 1s"). '
        "Unset: drill.dependency_timeout is skipped.",
    )

    def timeout_ms(self, dependency: str) -> float:
        """The service's timeout on calls to ``dependency`` (ms): its entry, else dependency_timeout_ms."""
        for name, timeout in self.timeouts_ms.items():
            if name == dependency:
                return timeout
        return self.dependency_timeout_ms

    @field_validator("dependencies")
    @classmethod
    def _distinct(cls, deps: list[Dependency]) -> list[Dependency]:
        if len(set(deps)) != len(deps):
            raise ValueError("each dependency is drilled once: list it once")
        return deps
