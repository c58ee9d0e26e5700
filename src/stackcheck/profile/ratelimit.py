"""The ``rate_limit`` section: one request budget, plus further ones (``rate_limit.also``) of the same shape.

Architecture documents often promise several limits at once: "1000 requests per hour per API key" on the
API, and "5 login attempts per minute per IP" on ``/auth/login``. Each is a :class:`RateLimit`; the section
is the first of them (its keys stay where SPEC §5 put them) and lists the others under ``also``.
"""

from __future__ import annotations

from typing import Annotated, Literal, Self

from pydantic import Field, model_validator

from stackcheck.profile.fields import PositiveInt, Section, UrlPath

__all__ = ["DEFAULT_MAX_REQUESTS", "HARD_CAP", "RateLimit", "RateLimitSection"]

HARD_CAP = 5000  # no probe sends more requests per burst than this, whatever the profile says
DEFAULT_MAX_REQUESTS = 1100  # "1000 per hour" plus its 10 % margin: opt in to more
_HEADER_NAME = r"^[A-Za-z0-9!#$%&'*+.^_`|~-]+$"  # an HTTP field name (RFC 9110 token)


class RateLimit(Section):
    """One request budget per window, e.g. 100 requests per 60 s per client IP on one endpoint."""

    name: Annotated[str, Field(min_length=1, max_length=60, pattern=r"^[A-Za-z0-9_.:/-]+$")] | None = Field(
        None,
        description="What the results of this limit's checks are called (their subject; default: `path`). "
        "Needed when two limits share a path.",
    )
    requests: PositiveInt = Field(description="Requests allowed per window.")
    per_seconds: PositiveInt = Field(60, description="Window length in seconds.")
    scope: Literal["ip", "header", "global"] = Field(
        "ip",
        description="Whose budget: per client IP, per value of a request header (an API key: set "
        "`header`), or one for all clients.",
    )
    header: Annotated[str, Field(pattern=_HEADER_NAME)] | None = Field(
        None,
        description="With `scope: header`: the header whose value keys the budget, e.g. X-API-Key. The "
        "probe sends it on every request of this limit (values: `key_values`).",
    )
    key_values: Annotated[list[Annotated[str, Field(min_length=1)]], Field(max_length=2)] = Field(
        default_factory=list,
        description="With `scope: header`: the test key values the probe sends (`${VAR}` is read from the "
        "environment; masked in every artifact). The first spends its budget, the second must still be "
        "served (ratelimit.per_key). Missing values are generated per run (random, so each run starts "
        "with fresh budgets); give real test keys when the service refuses unknown ones.",
    )
    path: UrlPath = Field("/", description="Endpoint the limit applies to.")
    method: Literal["GET", "HEAD", "POST"] = Field("GET", description="Method of the probe requests.")
    margin: Annotated[int, Field(ge=1, le=200)] | None = Field(
        None,
        description="Requests beyond `requests` a probe may send before concluding there is no limit "
        "(default: 5, or 10% of `requests` when larger).",
    )
    max_requests: Annotated[int, Field(ge=1, le=HARD_CAP)] = Field(
        DEFAULT_MAX_REQUESTS,
        description="Most requests one burst of this limit may send (`requests` plus the margin). A limit "
        "that needs more is skipped, saying so; raising this (up to 5000) is the opt-in.",
    )
    max_wait_s: Annotated[float, Field(ge=0, le=3600)] = Field(
        5,
        description="Longest Retry-After that ratelimit.recovery waits for; a longer wait is opt-in: raise "
        "this (e.g. to 60 for a per-minute limit), else the check is skipped with the reason.",
    )
    accept_delaying: bool = Field(
        False,
        description="Whether a limiter that holds excess requests back (answers paced to the rate, none "
        "refused: nginx `limit_req burst=N` without `nodelay`) satisfies ratelimit.enforced. Default "
        "false: the claim is that excess requests are refused with 429, so delaying fails it (saying so); "
        "the checks that examine a refusal are skipped either way.",
    )

    @model_validator(mode="after")
    def _header_goes_with_scope(self) -> Self:
        if self.scope == "header" and self.header is None:
            raise ValueError("scope: header needs `header`, the header that keys the budget (e.g. X-API-Key)")
        if self.scope != "header" and (self.header is not None or self.key_values):
            raise ValueError(
                f"`header` and `key_values` belong to scope: header (this limit's scope is {self.scope})"
            )
        return self

    @property
    def label(self) -> str:
        """What this limit's results are called: its ``name``, else its path."""
        return self.name or self.path

    def describe(self) -> str:
        """``5 per 60 s per IP on POST /auth/login``."""
        whose = {"ip": "per IP", "global": "for all clients"}.get(self.scope, f"per {self.header}")
        return f"{self.requests} per {self.per_seconds} s {whose} on {self.method} {self.path}"


class RateLimitSection(RateLimit):
    """Request budgets: the limit these keys describe, plus any further ones listed in ``also``."""

    also: list[RateLimit] = Field(
        default_factory=list,
        description="Further limits enforced at the same time, each with the keys above (but `also`), "
        "e.g. [{name: login, requests: 5, per_seconds: 60, path: /auth/login, method: POST}]. Every "
        "ratelimit check runs once per limit; with more than one, each result's subject is the limit's "
        "`name` (default: its `path`).",
    )

    @model_validator(mode="after")
    def _labels_are_distinct(self) -> Self:
        seen: dict[str, str] = {}
        for key, limit in self.limits():
            other = seen.get(limit.label)
            if other is not None:
                raise ValueError(
                    f"{other} and {key} are both called {limit.label!r} (their path): give each a "
                    "distinct `name`"
                )
            seen[limit.label] = key
        return self

    def limits(self) -> list[tuple[str, RateLimit]]:
        """Every limit with the profile key it is written at: ``rate_limit``, ``rate_limit.also[0]``, ..."""
        further = [(f"rate_limit.also[{i}]", limit) for i, limit in enumerate(self.also)]
        return [("rate_limit", self), *further]
