"""The load statistics of one run (``report.load``, schema ``stackcheck.load/v1``).

Built by the Locust master (or the single Locust process) from the merged :class:`Recorder` and written
as JSON; ``stackcheck load`` reads it back, gates on it and puts it into ``report.json`` for the HTML
report to draw (time series, latency histogram).
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from stackcheck.load.histogram import Histogram
from stackcheck.load.plan import LoadPlan
from stackcheck.load.recorder import Recorder
from stackcheck.load.window import SteadyWindow, steady_window, window_seconds

__all__ = [
    "SATURATED_CPU_PERCENT",
    "EndpointStats",
    "ErrorCount",
    "GeneratorProcess",
    "HistogramBin",
    "LatencyStats",
    "LoadStats",
    "SecondPoint",
    "build_stats",
    "pct_key",
]

# A Locust process busier than this (percent of one core) delays its own sends and reads: its numbers
# measure the generator as much as the target.
SATURATED_CPU_PERCENT = 90.0


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


def pct_key(pct: float) -> str:
    """``95.0`` → ``"p95"``, ``99.9`` → ``"p99.9"``."""
    return f"p{pct:g}"


class LatencyStats(_Model):
    """Percentiles, mean and maximum of a latency distribution (ms)."""

    count: int = Field(description="Requests measured.")
    percentiles: dict[str, float | None] = Field(description='e.g. {"p50": 20.3, "p95": 151.0}.')
    mean: float | None = Field(description="Mean latency (ms); null when nothing was measured.")
    max: float | None = Field(description="Largest latency (ms); null when nothing was measured.")

    @classmethod
    def of(cls, hist: Histogram, percentiles: tuple[float, ...]) -> LatencyStats:
        """Summarise ``hist`` at ``percentiles``."""
        return cls(
            count=hist.count,
            percentiles={pct_key(p): hist.percentile(p) for p in percentiles},
            mean=round(hist.mean, 3) if hist.mean is not None else None,
            max=round(hist.max, 3) if hist.count else None,
        )


class EndpointStats(_Model):
    """One request name (endpoint group)."""

    name: str = Field(description="Statistics name of the endpoint, e.g. GET /health/live.")
    method: str = Field(description="HTTP method.")
    requests: int = Field(description="Requests completed.")
    failures: int = Field(description="Requests that failed (transport error or unexpected answer).")
    rps: float = Field(description="Completed requests per second over the whole run.")
    latency_ms: LatencyStats = Field(description="Latency of this endpoint (ms).")


class ErrorCount(_Model):
    """One kind of failure and how often it happened."""

    name: str = Field(description="Endpoint the failure happened on.")
    error: str = Field(description="What went wrong; `transport: ...` when no HTTP answer came back.")
    occurrences: int = Field(description="How often.")


class SecondPoint(_Model):
    """One second of the run (latency percentiles of the requests that finished in it)."""

    t: int = Field(description="Seconds since the start of the run.")
    users: int = Field(description="Users running in that second.")
    requests: int = Field(description="Requests that finished in that second.")
    failures: int = Field(description="Of those, the failed ones.")
    p50_ms: float | None = Field(description="Median latency (ms); null when none finished.")
    p95_ms: float | None = Field(description="95th percentile latency (ms).")
    p99_ms: float | None = Field(description="99th percentile latency (ms).")
    max_ms: float | None = Field(description="Largest latency (ms).")


class HistogramBin(_Model):
    """Requests whose latency was at most ``le`` ms (and above the previous bin's ``le``)."""

    le: float = Field(description="Upper bound of the bin (ms).")
    count: int = Field(description="Requests in the bin.")


class GeneratorProcess(_Model):
    """One Locust process and how busy it was."""

    id: str = Field(description="Process name: local, master, worker-1, ...")
    role: Literal["local", "master", "worker"] = Field(
        description="local (single process), master or worker."
    )
    requests: int = Field(description="Requests the process sent.")
    cpu_s: float = Field(description="CPU time the process used (s).")
    wall_s: float = Field(description="Wall time the process ran (s).")
    cpu_percent: float = Field(description="CPU time / wall time, in percent of one core.")


class LoadStats(_Model):
    """Everything measured in one load run (``stackcheck load``); ``null`` for the other stages."""

    schema_: Literal["stackcheck.load/v1"] = Field(
        "stackcheck.load/v1", alias="schema", description="Schema id of the load statistics."
    )
    complete: bool = Field(description="False when the run was interrupted before its end.")
    target: str = Field(description="Base URL the load went to.")
    model: Literal["paced", "closed"] = Field(
        description="paced: requests on a schedule (open model); closed: each user waits for its answer."
    )
    latency_basis: Literal["scheduled", "sent"] = Field(
        description="scheduled: latency counts from the time the request was due (paced model); "
        "sent: from the time it was sent (closed model)."
    )
    users: int = Field(description="Simulated users (load.users).")
    spawn_rate: float = Field(description="Users started per second (load.spawn_rate).")
    duration_s: float = Field(description="Planned duration (s).")
    target_rps: float | None = Field(description="Offered rate of the paced model (req/s); null when closed.")
    started_at: dt.datetime = Field(description="UTC start of the load.")
    ended_at: dt.datetime = Field(description="UTC end of the load.")
    wall_s: float = Field(description="How long the load ran (s).")
    steady_s: float = Field(
        description="Length of the steady window (s): whole seconds from warm-up after the last user started "
        "to the drain before the end."
    )
    requests: int = Field(description="Requests finished (answered or not).")
    failures: int = Field(description="Requests that failed (unanswered ones included).")
    unanswered: int = Field(
        0, description="Requests that got no HTTP answer (refused, reset, timed out): no latency evidence."
    )
    error_ratio: float | None = Field(description="failures / requests; null when no request completed.")
    rps: float = Field(description="Answered requests per second over the whole run.")
    steady_rps: float = Field(description="Completed requests per second in the steady window.")
    latency_ms: LatencyStats = Field(
        description="What the gate uses (see latency_basis): the requests due in the steady window."
    )
    service_ms: LatencyStats = Field(
        description="From the actual send to the end of the response (steady window)."
    )
    run_latency_ms: LatencyStats | None = Field(
        None, description="Latency of every request of the run, ramp and drain included."
    )
    window: SteadyWindow | None = Field(None, description="The gated window and the generator's lateness.")
    late_requests: int = Field(
        description="Requests sent at least 1 ms behind their schedule though an in-flight slot was free."
    )
    capped_requests: int = Field(description="Paced requests that waited for a free in-flight slot.")
    max_lag_ms: float | None = Field(description="Largest delay of a send behind its schedule (ms).")
    in_flight_cap: int = Field(description="Requests that may be outstanding at once across all users.")
    generator_saturated: bool = Field(description=f"A Locust process used >= {SATURATED_CPU_PERCENT:g}% CPU.")
    workers: int = Field(description="Locust worker processes that took part.")
    generator: tuple[GeneratorProcess, ...] = Field(description="Each Locust process and its CPU use.")
    endpoints: tuple[EndpointStats, ...] = Field(description="Statistics per endpoint, by name.")
    errors: tuple[ErrorCount, ...] = Field(description="The 20 most frequent failures.")
    timeseries: tuple[SecondPoint, ...] = Field(description="One point per second of the run.")
    histogram: tuple[HistogramBin, ...] = Field(description="Latency histogram, 10 log bins per decade.")

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)

    def to_json(self) -> str:
        """The JSON the Locust master writes."""
        return self.model_dump_json(by_alias=True, indent=1)

    def percentile(self, pct: float) -> float | None:
        """The gated latency at ``pct`` (None if not measured)."""
        return self.latency_ms.percentiles.get(pct_key(pct))

    def service_percentile(self, pct: float) -> float | None:
        """The service time at ``pct``."""
        return self.service_ms.percentiles.get(pct_key(pct))


def _utc(epoch: float) -> dt.datetime:
    return dt.datetime.fromtimestamp(epoch, dt.UTC)


def _series(rec: Recorder, started: float, ended: float, users: dict[int, int]) -> list[SecondPoint]:
    points = []
    current_users = 0
    for sec in range(int(started), math.ceil(ended)):
        current_users = users.get(sec, current_users)
        s = rec.seconds.get(sec)
        hist = s.h if s else Histogram()
        points.append(
            SecondPoint(
                t=sec - int(started),
                users=current_users,
                requests=s.n if s else 0,
                failures=s.f if s else 0,
                p50_ms=hist.percentile(50),
                p95_ms=hist.percentile(95),
                p99_ms=hist.percentile(99),
                max_ms=round(hist.max, 3) if hist.count else None,
            )
        )
    return points


def _steady(rec: Recorder, whole: range, wall: float) -> tuple[float, float]:
    """(completed requests per second in the window, length of that window in whole seconds)."""
    if len(whole) >= 1:
        done = sum(rec.seconds[s].n for s in whole if s in rec.seconds)
        return done / len(whole), float(len(whole))
    return ((rec.requests - rec.unanswered) / wall if wall > 0 else 0.0), 0.0


def _endpoints(rec: Recorder, wall: float, percentiles: tuple[float, ...]) -> tuple[EndpointStats, ...]:
    return tuple(
        EndpointStats(
            name=name,
            method=e.method,
            requests=e.n,
            failures=e.f,
            rps=round(e.n / wall, 3),
            latency_ms=LatencyStats.of(e.h, percentiles),
        )
        for name, e in sorted(rec.names.items())
    )


def _errors(rec: Recorder, shown: int = 20) -> tuple[ErrorCount, ...]:
    """The ``shown`` most frequent kinds of failure."""
    errors = sorted(
        (ErrorCount(name=n, error=err, occurrences=c) for (n, err), c in rec.errors.items()),
        key=lambda e: -e.occurrences,
    )
    return tuple(errors[:shown])


def build_stats(
    plan: LoadPlan,
    rec: Recorder,
    *,
    started: float,
    ended: float,
    steady_at: float | None,
    users: dict[int, int],
    generator: list[GeneratorProcess],
    complete: bool,
) -> LoadStats:
    """Summarise a finished (or interrupted) run; times are epoch seconds."""
    wall = max(ended - started, 1e-9)
    total = rec.total()
    whole = window_seconds(started, steady_at, ended)
    steady_rps, steady_s = _steady(rec, whole, wall)
    window, gated, service = steady_window(rec, whole, started)
    if window.basis == "whole run":
        window = window.model_copy(update={"end_s": round(wall, 3)})
    lag = rec.lag
    return LoadStats(
        complete=complete,
        target=plan.target,
        model=plan.model,
        latency_basis="scheduled" if plan.model == "paced" else "sent",
        users=plan.users,
        spawn_rate=plan.spawn_rate,
        duration_s=plan.duration_s,
        target_rps=plan.target_rps,
        started_at=_utc(started),
        ended_at=_utc(ended),
        wall_s=round(wall, 3),
        steady_s=steady_s,
        requests=rec.requests,
        failures=rec.failures,
        unanswered=rec.unanswered,
        error_ratio=round(rec.failures / rec.requests, 6) if rec.requests else None,
        rps=round((rec.requests - rec.unanswered) / wall, 3),
        steady_rps=round(steady_rps, 3),
        latency_ms=LatencyStats.of(gated, plan.percentiles),
        service_ms=LatencyStats.of(service, plan.percentiles),
        run_latency_ms=LatencyStats.of(total, plan.percentiles),
        window=window,
        late_requests=lag.count,
        capped_requests=rec.capped,
        max_lag_ms=round(lag.max, 3) if lag.count else None,
        in_flight_cap=plan.in_flight_cap,
        generator_saturated=any(
            g.cpu_percent >= SATURATED_CPU_PERCENT and g.role != "master" for g in generator
        ),
        workers=sum(1 for g in generator if g.role == "worker"),
        generator=tuple(generator),
        endpoints=_endpoints(rec, wall, plan.percentiles),
        errors=_errors(rec),
        timeseries=tuple(_series(rec, started, ended, users)),
        histogram=tuple(HistogramBin(le=b["le"], count=int(b["count"])) for b in total.log_bins()),
    )
