"""``pg.pool``'s pure parts: the default concurrency, the verdict on a burst, the burst's bounds."""

from __future__ import annotations

import threading
import time

import pytest
from pydantic import ValidationError

from stackcheck.catalog import REGISTRY
from stackcheck.probes.pgpool import (
    BurstOutcome,
    Sample,
    Verdict,
    default_concurrency,
    idle_deadline_s,
    judge,
    judge_idle,
    run_burst,
    watch_idle,
)
from stackcheck.profile import Profile
from stackcheck.profile.data import PoolProbe


def outcome(counts: list[int], *, statuses: dict[int, int] | None = None, errors: int = 0) -> BurstOutcome:
    answered = statuses if statuses is not None else {200: 100}
    return BurstOutcome(
        requests=100,
        completed=sum(answered.values()),
        statuses=answered,
        transport_errors=errors,
        elapsed_s=1.0,
        samples=tuple(Sample(i * 0.05, c) for i, c in enumerate(counts)),
    )


def test_default_concurrency_is_four_pools_capped_at_a_hundred() -> None:
    assert default_concurrency(5, None) == 20
    assert default_concurrency(40, None) == 100
    assert default_concurrency(5, 7) == 7


def test_a_peak_within_the_pool_passes() -> None:
    verdict = judge(outcome([0, 3, 5, 5, 2]), 5, "orders", "/db")
    assert verdict.verdict is Verdict.PASSED
    assert "at most 5" in verdict.message


def test_a_peak_above_the_pool_fails_naming_the_peak_and_when() -> None:
    verdict = judge(outcome([0, 4, 9, 12, 12, 3]), 5, "orders", "/db")
    assert verdict.verdict is Verdict.FAILED
    assert "12 connections" in verdict.message and "0.15 s" in verdict.message


def test_excess_fails_even_when_many_requests_failed() -> None:
    verdict = judge(outcome([0, 30], statuses={200: 40, 500: 60}), 5, "orders", "/db")
    assert verdict.verdict is Verdict.FAILED


def test_no_connection_with_the_name_is_could_not_check_never_passed() -> None:
    verdict = judge(outcome([0, 0, 0]), 5, "orders", "/db")
    assert verdict.verdict is Verdict.ERROR
    assert "no connection with application_name orders" in verdict.message


@pytest.mark.parametrize(
    ("statuses", "errors", "expected"),
    [
        ({200: 90, 503: 10}, 0, Verdict.PASSED),  # 10 %: still enough load
        ({200: 89, 503: 11}, 0, Verdict.ERROR),
        ({200: 85}, 15, Verdict.ERROR),  # transport errors
        ({200: 80}, 0, Verdict.ERROR),  # 20 never sent within the time bound
    ],
)
def test_too_many_failed_requests_is_could_not_check(
    statuses: dict[int, int], errors: int, expected: Verdict
) -> None:
    assert judge(outcome([0, 4], statuses=statuses, errors=errors), 5, "orders", "/db").verdict is expected


def test_burst_sends_exactly_the_planned_requests_and_samples_meanwhile() -> None:
    in_flight = [0]
    peak = [0]
    lock = threading.Lock()

    def send() -> int | None:
        with lock:
            in_flight[0] += 1
            peak[0] = max(peak[0], in_flight[0])
        time.sleep(0.02)
        with lock:
            in_flight[0] -= 1
        return 200

    def count() -> int:
        with lock:
            return in_flight[0]

    result = run_burst(send, count, requests=60, concurrency=6, timeout_s=10, interval_s=0.01)
    assert result.statuses == {200: 60} and result.completed == 60 and not result.timed_out
    assert peak[0] <= 6
    assert len(result.samples) >= 5
    assert 1 <= max(s.count for s in result.samples) <= 6


def test_burst_is_bounded_in_time() -> None:
    def send() -> int | None:
        time.sleep(0.05)
        return None

    start = time.monotonic()
    result = run_burst(send, lambda: 0, requests=2000, concurrency=2, timeout_s=0.3, interval_s=0.02)
    assert time.monotonic() - start < 1.5
    assert result.timed_out or result.transport_errors < 2000
    assert result.completed == 0 and result.failed_requests == 2000


def test_pool_probe_bounds_are_enforced() -> None:
    assert PoolProbe(path="/db").requests == 200
    for bad in ({"path": "db"}, {"path": "/db", "requests": 2001}, {"path": "/db", "concurrency": 101}):
        with pytest.raises(ValidationError):
            PoolProbe.model_validate(bad)
    with pytest.raises(ValidationError):
        PoolProbe(path="/db", timeout_s=61)


def test_pg_pool_is_armed_only_with_probe_name_and_size() -> None:
    spec = REGISTRY["pg.pool"]
    base = {"name": "p", "postgres": {"pool_size": 5, "pool_probe": {"path": "/db"}}}
    assert spec.skip_reason_for(Profile.model_validate(base)) is not None
    armed = {**base, "postgres": {**base["postgres"], "application_name": "orders"}}  # type: ignore[dict-item]
    assert spec.skip_reason_for(Profile.model_validate(armed)) is None
    assert spec.needs_target


def test_idle_connections_dropping_to_the_minimum_pass() -> None:
    left = iter([3, 3, 1, 1])
    outcome = watch_idle(lambda: next(left), pool_idle_s=1, pool_min=1, interval_s=0.01)
    assert outcome.dropped_at_s is not None and [s.count for s in outcome.samples] == [3, 3, 1]
    assert judge_idle(outcome, "orders").verdict is Verdict.PASSED


def test_idle_connections_kept_past_the_limit_fail() -> None:
    start = time.monotonic()
    outcome = watch_idle(lambda: 3, pool_idle_s=0.1, pool_min=0, interval_s=0.05)
    assert time.monotonic() - start < idle_deadline_s(0.1) + 0.5
    verdict = judge_idle(outcome, "orders")
    assert verdict.verdict is Verdict.FAILED and "3 idle connections of orders still open" in verdict.message


def test_pool_min_cannot_exceed_the_pool_and_the_idle_limit_is_bounded() -> None:
    with pytest.raises(ValidationError, match="pool_min 6 is larger than pool_size 5"):
        Profile.model_validate({"name": "p", "postgres": {"pool_size": 5, "pool_min": 6}})
    with pytest.raises(ValidationError):
        Profile.model_validate({"name": "p", "postgres": {"pool_idle_s": 600}})
