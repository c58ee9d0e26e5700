"""The steady window the gate reads, and the generator's lateness in it.

The gated percentiles come from the requests *due* (scheduled) in the whole seconds from :data:`WARMUP_S`
after the last user started to :data:`DRAIN_S` before the end: the ramp (users starting, connections being
opened) and the drain (users being stopped) stay out. In that window, every send's lag behind its
schedule is known (recorded per due second by :class:`~stackcheck.load.recorder.Recorder`; a send that
waited for a free in-flight slot is the target's backlog, not lateness). The gate
(:mod:`stackcheck.load.gate`) makes a verdict that lateness could change ``error`` (inconclusive).
"""

from __future__ import annotations

import math
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from stackcheck.load.histogram import Histogram
from stackcheck.load.recorder import Due, Recorder

__all__ = [
    "DRAIN_S",
    "LATENESS_PCT",
    "LATE_COUNT_MIN",
    "LATE_LIMIT_MS",
    "LATE_SHARE_MAX",
    "WARMUP_S",
    "SteadyWindow",
    "lateness",
    "steady_window",
    "window_seconds",
]

# The gated window: requests due from WARMUP_S after the last user started (new connections, the first
# sends of each user) to DRAIN_S before the end (users being stopped); whole seconds in between.
WARMUP_S = 1.0
DRAIN_S = 1.0
# Lateness (the generator's, not the target's): a send later than LATE_LIMIT_MS behind its schedule with a
# free in-flight slot. More than LATE_SHARE_MAX of the window's sends that late, and the offered load was
# not what the profile asked for: no verdict. The run's lateness is the LATENESS_PCT-th percentile of the
# window's generator lag (on-time sends count 0): a failure by less than that could be the generator's.
LATE_LIMIT_MS = 10.0
LATE_SHARE_MAX = 0.01
# ... and at least LATE_COUNT_MIN of them: in a short window (12 sends at 4 req/s) one hiccup is 8 % of
# the sends yet takes nothing measurable from the offered load; the lateness rule still covers failures.
LATE_COUNT_MIN = 3
LATENESS_PCT = 99.9


class SteadyWindow(BaseModel):
    """Which requests the gated percentiles come from, and how late the generator sent them."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    basis: Literal["steady", "whole run"] = Field(
        description="steady: requests due in whole seconds from load warm-up to drain; whole run: the run "
        "was too short for a steady window."
    )
    start_s: float = Field(description="Start of the window, seconds since the start of the run.")
    end_s: float = Field(description="End of the window, seconds since the start of the run.")
    requests: int = Field(description="Answered requests due in the window (the gated sample).")
    excluded: int = Field(description="Answered requests due outside it (ramp, warm-up, drain).")
    late_sends: int = Field(description="Of the window's sends, those at least 1 ms behind schedule.")
    late_beyond_limit: int = Field(description=f"Of those, later than {LATE_LIMIT_MS:g} ms.")
    late_share: float = Field(description="late_beyond_limit / requests.")
    lateness_ms: float = Field(
        description=f"The {LATENESS_PCT:g}th percentile of the generator's lag over the window's sends."
    )
    max_lag_ms: float | None = Field(description="The largest generator lag in the window (ms).")


def window_seconds(started: float, steady_at: float | None, ended: float) -> range:
    """The whole epoch seconds of the steady window (empty when the run was too short for one)."""
    return range(math.ceil((steady_at or started) + WARMUP_S), math.floor(ended - DRAIN_S))


def lateness(late: Histogram, sends: int, pct: float = LATENESS_PCT) -> float:
    """The ``pct``-th percentile of the lag of ``sends`` sends of which ``late`` holds the late ones (the
    others count 0 ms)."""
    if not sends or not late.count:
        return 0.0
    rank = max(math.ceil(pct * sends / 100 - 1e-9), 1)  # 99.9 / 100 * 1000 is 999.0000000000001
    on_time = sends - late.count
    if rank <= on_time:
        return 0.0
    return late.percentile(min(100.0, 100 * (rank - on_time) / late.count)) or 0.0


def steady_window(rec: Recorder, whole: range, started: float) -> tuple[SteadyWindow, Histogram, Histogram]:
    """The steady window's summary, its latency and its service-time histograms."""
    inside: list[Due] = [rec.due[s] for s in whole if s in rec.due]
    basis: Literal["steady", "whole run"] = "steady"
    if not inside:
        inside, basis = list(rec.due.values()), "whole run"
    latency, service, late = Histogram(), Histogram(), Histogram()
    for bucket in inside:
        latency.merge(bucket.h)
        service.merge(bucket.s)
        late.merge(bucket.late)
    sends = sum(b.n for b in inside)
    beyond = sum(n for ms, n in late.counts.items() if ms > LATE_LIMIT_MS)
    steady = basis == "steady"
    summary = SteadyWindow(
        basis=basis,
        start_s=round(whole.start - started, 3) if steady else 0.0,
        end_s=round(whole.stop - started, 3) if steady else 0.0,  # the whole run: build_stats sets its end
        requests=sends,
        excluded=sum(b.n for b in rec.due.values()) - sends,
        late_sends=late.count,
        late_beyond_limit=beyond,
        late_share=round(beyond / sends, 6) if sends else 0.0,
        lateness_ms=round(lateness(late, sends), 3),
        max_lag_ms=round(late.max, 3) if late.count else None,
    )
    return summary, latency, service
