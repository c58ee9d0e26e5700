"""The load plan: everything a Locust process needs, resolved from the profile and the command line.

The plan is written to a JSON file and read by ``loadtests/locustfile.py`` in every Locust process
(master and workers), so all of them run exactly the same test.
"""

from __future__ import annotations

import base64
import math
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from stackcheck._exceptions import UsageError
from stackcheck.load.request import resolve_body
from stackcheck.profile.models import LoadSection, Profile, SloSection

__all__ = ["IN_FLIGHT_PER_USER", "PROGRESS_PREFIX", "LoadPlan", "PlanEndpoint", "build_plan"]

# Lines a Locust master prints with this prefix are shown to the user while the run goes on.
PROGRESS_PREFIX = "stackcheck-load:"

# A paced user may have this many requests outstanding (its own connections), like a browser's six per
# host plus some: when the target slows down, new arrivals still go out on schedule instead of waiting.
IN_FLIGHT_PER_USER = 8

# Seconds each process may take to start, and to stop and report, on top of ramp-up and duration.
STARTUP_ALLOWANCE_S = 30.0
SHUTDOWN_ALLOWANCE_S = 30.0
# How long the master waits for its workers to connect: local ones start in seconds; workers on other
# machines are started by hand.
LOCAL_WORKER_WAIT_S = 30.0
EXTERNAL_WORKER_WAIT_S = 300.0


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class PlanEndpoint(_Model):
    """One weighted endpoint: the request it sends, its statistics name and its success rule."""

    method: str
    path: str
    name: str
    weight: int
    expect_status: tuple[int, ...] = ()
    expect_body: str | None = None
    body_base64: str | None = Field(None, description="The request body (resolved from the profile).")
    content_type: str | None = None
    headers: tuple[tuple[str, str], ...] = Field(
        (), description="Further headers; values keep their ${VAR} references (expanded by the sender)."
    )

    @property
    def body(self) -> bytes | None:
        """The request body's bytes, or None."""
        return base64.b64decode(self.body_base64) if self.body_base64 is not None else None


class LoadPlan(_Model):
    """The resolved, bounded load test."""

    schema_: Literal["stackcheck.loadplan/v1"] = Field("stackcheck.loadplan/v1", alias="schema")
    profile: str
    target: str
    ca_bundle: str | None = None
    timeout_s: float
    max_response_bytes: int = Field(
        1_000_000, description="Most bytes of one answer read (target.max_response_bytes)."
    )
    endpoints: tuple[PlanEndpoint, ...]
    model: Literal["paced", "closed"]
    users: int
    spawn_rate: float
    duration_s: float
    target_rps: float | None = Field(description="Offered rate of the paced model; None when closed.")
    think_time_s: float = 0.0
    max_requests: int
    percentiles: tuple[float, ...]
    slo: SloSection | None = None
    workers: int = Field(description="Local worker processes (0: one process, no master).")
    external_workers: int = Field(0, description="Workers the master waits for from other machines.")
    worker_wait_s: float = Field(description="How long the master waits for its workers to connect.")
    stats_path: str = Field(description="Where the master (or the single process) writes its statistics.")
    deadline_s: float = Field(description="Every Locust process exits by itself after this long.")

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)

    @property
    def pacing_interval_s(self) -> float | None:
        """Seconds between two scheduled requests of one paced user."""
        return self.users / self.target_rps if self.target_rps else None

    @property
    def requests_per_user(self) -> int:
        """Each user's share of ``max_requests`` (the bound holds however users are spread)."""
        return max(1, math.ceil(self.max_requests / self.users))

    @property
    def in_flight_cap(self) -> int:
        """Requests that may be outstanding at once across all users."""
        return self.users * (IN_FLIGHT_PER_USER if self.model == "paced" else 1)


def _endpoints(profile: Profile, load: LoadSection, base: Path) -> tuple[PlanEndpoint, ...]:
    if load.endpoints:
        planned = []
        for index, e in enumerate(load.endpoints):
            body = resolve_body(e, base, f"load.endpoints[{index}]")
            planned.append(
                PlanEndpoint(
                    method=e.method,
                    path=e.path,
                    name=e.name or f"{e.method} {e.path.split('?')[0]}",
                    weight=e.weight,
                    expect_status=tuple(e.expect_status),
                    expect_body=e.expect_body,
                    body_base64=body[0] if body else None,
                    content_type=body[1] if body else None,
                    headers=tuple(e.headers.items()),
                )
            )
        return tuple(planned)
    health = profile.health
    paths = [p for p in ((health.live, health.ready) if health else ()) if p] or ["/"]
    return tuple(PlanEndpoint(method="GET", path=p, name=f"GET {p}", weight=1) for p in dict.fromkeys(paths))


def _target_rps(load: LoadSection, slo: SloSection | None) -> float:
    if load.target_rps is not None:
        if slo and slo.rps and load.target_rps < slo.rps:
            raise UsageError(
                f"load.target_rps {load.target_rps:g} is below slo.rps {slo.rps:g}: the test could not show "
                "the promised throughput",
                f"raise load.target_rps to at least {slo.rps:g} (or leave it unset: 1.2 x slo.rps)",
            )
        return load.target_rps
    if slo and slo.rps:
        return round(1.2 * slo.rps, 3)
    return float(load.users)


def build_plan(
    profile: Profile,
    target: str,
    *,
    workers: int,
    stats_path: str,
    external_workers: int = 0,
    base: Path | None = None,
) -> LoadPlan:
    """Resolve the profile's ``load:``/``slo:`` sections into a plan; ``UsageError`` if it cannot run.

    ``base`` is the folder ``body_file`` paths start from (the profile's; default: the current directory).
    """
    if profile.load is None and profile.slo is None:
        raise UsageError(
            f"profile {profile.name!r} has neither a load: nor an slo: section: nothing to load-test",
            "add e.g. `slo: {p95_ms: 200}` and `load: {users: 20, duration_s: 30}`",
        )
    load = profile.load or LoadSection()
    ramp = load.users / load.spawn_rate
    if ramp >= load.duration_s:
        raise UsageError(
            f"load: starting {load.users} users at {load.spawn_rate:g}/s takes {ramp:g} s, not less than "
            f"duration_s {load.duration_s:g}: no part of the run would have every user running",
            "raise load.spawn_rate or load.duration_s",
        )
    target_rps = _target_rps(load, profile.slo) if load.model == "paced" else None
    timeout = profile.target.timeout_s if profile.target else 5.0
    percentiles = tuple(sorted({*load.percentiles, 95.0, 99.0}))
    worker_wait = EXTERNAL_WORKER_WAIT_S if external_workers else LOCAL_WORKER_WAIT_S
    return LoadPlan(
        profile=profile.name,
        target=target.rstrip("/"),
        ca_bundle=profile.target.ca_bundle if profile.target else None,
        timeout_s=timeout,
        max_response_bytes=profile.target.max_response_bytes if profile.target else 1_000_000,
        endpoints=_endpoints(profile, load, base or Path.cwd()),
        model=load.model,
        users=load.users,
        spawn_rate=load.spawn_rate,
        duration_s=load.duration_s,
        target_rps=target_rps,
        think_time_s=load.think_time_s,
        max_requests=load.max_requests,
        percentiles=percentiles,
        slo=profile.slo,
        workers=workers,
        external_workers=external_workers,
        worker_wait_s=worker_wait,
        stats_path=stats_path,
        deadline_s=STARTUP_ALLOWANCE_S + worker_wait + load.duration_s + timeout + SHUTDOWN_ALLOWANCE_S,
    )
