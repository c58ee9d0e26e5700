"""The application's connection pool seen from the server: a bounded burst, and a count per sample.

While a burst of concurrent requests makes the service use its database, the server is asked every
``SAMPLE_INTERVAL_S`` how many connections carry the service's ``application_name``. A pool of N never
shows more than N; a service that opens a connection per request shows as many as requests in flight.

The burst and the sampler take plain callables (one request → a status or ``None``; one count), so the
orchestration is tested without a network or a server; :func:`judge` turns what was seen into a verdict.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from enum import StrEnum

from stackcheck.wait import wait_until

__all__ = [
    "COUNT_SQL",
    "IDLE_COUNT_SQL",
    "MAX_ERROR_SHARE",
    "SAMPLE_INTERVAL_S",
    "BurstOutcome",
    "IdleOutcome",
    "PoolVerdict",
    "Sample",
    "Verdict",
    "default_concurrency",
    "idle_deadline_s",
    "judge",
    "judge_idle",
    "run_burst",
    "watch_idle",
]

SAMPLE_INTERVAL_S = 0.05
MAX_ERROR_SHARE = 0.10  # more requests than this failing: the load did not reach the pool, nothing is known
MAX_CONCURRENCY = 100
COUNT_SQL = "SELECT count(*) FROM pg_stat_activity WHERE application_name = %s"
IDLE_COUNT_SQL = COUNT_SQL + " AND state = 'idle'"
IDLE_GRACE_S = 2.0  # a pool closes idle connections on its own schedule (a reaper every second or so)
IDLE_INTERVAL_S = 0.25


class Verdict(StrEnum):
    """What a burst shows about the pool."""

    PASSED = "passed"
    FAILED = "failed"
    ERROR = "error"  # could not check


@dataclass(frozen=True)
class Sample:
    """One count of the application's connections, ``t_s`` seconds after the burst started."""

    t_s: float
    count: int


@dataclass(frozen=True)
class BurstOutcome:
    """What one burst sent and what the server showed meanwhile."""

    requests: int  # planned
    completed: int  # answered (any status)
    statuses: dict[int, int]  # status → answers
    transport_errors: int
    elapsed_s: float
    samples: tuple[Sample, ...] = field(default_factory=tuple)
    timed_out: bool = False

    @property
    def non_2xx(self) -> int:
        """Answers whose status is not 2xx."""
        return sum(n for status, n in self.statuses.items() if not 200 <= status < 300)

    @property
    def failed_requests(self) -> int:
        """Requests that did not succeed: non-2xx, transport errors, and those never sent in time."""
        return self.non_2xx + self.transport_errors + (self.requests - self.completed - self.transport_errors)

    @property
    def peak(self) -> Sample | None:
        """The first sample with the highest count."""
        best: Sample | None = None
        for sample in self.samples:
            if best is None or sample.count > best.count:
                best = sample
        return best


@dataclass(frozen=True)
class PoolVerdict:
    """The verdict on a burst and the sentence that explains it."""

    verdict: Verdict
    message: str


def default_concurrency(pool_size: int, given: int | None) -> int:
    """Requests in flight: the profile's, else four times the pool (capped at 100) so excess shows."""
    return given if given is not None else min(MAX_CONCURRENCY, 4 * pool_size)


def judge(outcome: BurstOutcome, pool_size: int, application_name: str, path: str) -> PoolVerdict:
    """Passed when the peak stays within the pool; failed above it (whatever else went wrong: the excess
    was seen); error when no connection with the name was seen, or too many requests failed."""
    peak = outcome.peak
    top = peak.count if peak else 0
    if peak is not None and top > pool_size:
        return PoolVerdict(
            Verdict.FAILED,
            f"{top} connections with application_name {application_name} at {peak.t_s:.2f} s into the "
            f"burst, more than the pool's {pool_size}",
        )
    if top == 0:
        return PoolVerdict(
            Verdict.ERROR,
            f"no connection with application_name {application_name} was seen during {outcome.completed} "
            f"requests to {path}; does the service set it (and does {path} use the database)?",
        )
    share = outcome.failed_requests / outcome.requests if outcome.requests else 1.0
    if share > MAX_ERROR_SHARE:
        return PoolVerdict(
            Verdict.ERROR,
            f"{outcome.failed_requests} of {outcome.requests} requests to {path} failed (non-2xx "
            f"{outcome.non_2xx}, transport {outcome.transport_errors}); the load did not reach the pool",
        )
    return PoolVerdict(
        Verdict.PASSED,
        f"at most {top} connections with application_name {application_name} (pool {pool_size}) "
        f"during {outcome.requests} requests, {len(outcome.samples)} samples",
    )


def run_burst(
    send: Callable[[], int | None],
    count: Callable[[], int],
    *,
    requests: int,
    concurrency: int,
    timeout_s: float,
    interval_s: float = SAMPLE_INTERVAL_S,
) -> BurstOutcome:
    """Send ``requests`` calls of ``send`` (a status, or ``None`` on a transport error) from
    ``concurrency`` threads within ``timeout_s``, calling ``count`` every ``interval_s`` meanwhile (on
    this thread: ``count`` may use a connection that is not thread-safe)."""
    lock = threading.Lock()
    planned = iter(range(requests))
    statuses: dict[int, int] = {}
    errors = [0]
    start = time.monotonic()
    deadline = start + timeout_s

    def worker() -> None:
        while time.monotonic() < deadline:
            with lock:
                if next(planned, None) is None:
                    return
            status = send()
            with lock:
                if status is None:
                    errors[0] += 1
                else:
                    statuses[status] = statuses.get(status, 0) + 1

    samples = [Sample(0.0, count())]
    pool = ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="pg-pool-burst")
    futures = [pool.submit(worker) for _ in range(concurrency)]

    def sample() -> bool:
        samples.append(Sample(round(time.monotonic() - start, 3), count()))
        return all(f.done() for f in futures)

    try:
        wait_until(sample, max(0.0, deadline - time.monotonic()), interval_s)
    finally:
        pool.shutdown(wait=False, cancel_futures=True)
    timed_out = not all(f.done() for f in futures)
    for f in futures:
        failure = f.exception() if f.done() else None
        if failure is not None:
            raise failure  # a bug in send, not an observation
    with lock:
        done = sum(statuses.values()) + errors[0]
        return BurstOutcome(
            requests=requests,
            completed=done - errors[0],
            statuses=dict(statuses),
            transport_errors=errors[0],
            elapsed_s=round(time.monotonic() - start, 3),
            samples=tuple(samples),
            timed_out=timed_out,
        )


@dataclass(frozen=True)
class IdleOutcome:
    """The idle connections after the burst: when they dropped to the pool's minimum, if they did."""

    limit_s: float
    pool_min: int
    samples: tuple[Sample, ...]  # t_s from the end of the burst
    dropped_at_s: float | None


def idle_deadline_s(pool_idle_s: float) -> float:
    """How long to wait for idle connections to close: the idle limit, plus a pool's reaper period."""
    return pool_idle_s + IDLE_GRACE_S


def watch_idle(
    count_idle: Callable[[], int], pool_idle_s: float, pool_min: int, interval_s: float = IDLE_INTERVAL_S
) -> IdleOutcome:
    """Count the idle connections until they are at most ``pool_min``, or the idle limit (plus grace)
    has passed."""
    start = time.monotonic()
    samples: list[Sample] = []

    def dropped() -> bool:
        samples.append(Sample(round(time.monotonic() - start, 3), count_idle()))
        return samples[-1].count <= pool_min

    done = wait_until(dropped, idle_deadline_s(pool_idle_s), interval_s)
    return IdleOutcome(pool_idle_s, pool_min, tuple(samples), samples[-1].t_s if done else None)


def judge_idle(outcome: IdleOutcome, application_name: str) -> PoolVerdict:
    """Passed when the idle connections dropped to the minimum within the limit (and grace)."""
    if outcome.dropped_at_s is not None:
        return PoolVerdict(
            Verdict.PASSED,
            f"idle connections of {application_name} dropped to {outcome.samples[-1].count} "
            f"{outcome.dropped_at_s:.1f} s after the load (idle limit {outcome.limit_s:g} s)",
        )
    last = outcome.samples[-1] if outcome.samples else Sample(0.0, 0)
    return PoolVerdict(
        Verdict.FAILED,
        f"{last.count} idle connections of {application_name} still open {last.t_s:.1f} s after the load "
        f"(idle limit {outcome.limit_s:g} s, pool_min {outcome.pool_min})",
    )
