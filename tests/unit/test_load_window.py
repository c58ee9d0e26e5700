"""The steady window the gate reads, and the generator's lateness: which requests count, and when a run
whose sends were late has no verdict."""

from __future__ import annotations

import pytest

from stackcheck.load.gate import evaluate
from stackcheck.load.histogram import Histogram
from stackcheck.load.plan import LoadPlan, build_plan
from stackcheck.load.recorder import Recorder
from stackcheck.load.request import build_request
from stackcheck.load.stats import GeneratorProcess, LoadStats, build_stats
from stackcheck.load.window import (
    DRAIN_S,
    LATE_COUNT_MIN,
    LATE_LIMIT_MS,
    LATE_SHARE_MAX,
    WARMUP_S,
    lateness,
    window_seconds,
)
from stackcheck.outcomes import ErrorReason, Status
from stackcheck.profile.models import Profile, SloSection

T0 = 1_800_000_000.0
RATE = 100  # requests due per second


def plan() -> LoadPlan:
    profile = Profile.model_validate(
        {"name": "w", "slo": {"p95_ms": 100}, "load": {"users": 10, "spawn_rate": 10, "duration_s": 10}}
    )
    return build_plan(profile, "http://127.0.0.1:9", workers=0, stats_path="/dev/null")


def run(
    latency: float = 20.0,
    *,
    ramp_ms: float = 20.0,
    drain_ms: float = 20.0,
    late_every: int = 0,
    lag_ms: float = 0.0,
    capped: bool = False,
    late_in: frozenset[int] = frozenset(),
    rate: int = RATE,
) -> LoadStats:
    """10 s at RATE req/s, every user running after 1 s; the first and last seconds' requests take
    ``ramp_ms`` / ``drain_ms``; one send in ``late_every`` is ``lag_ms`` late (waiting for a slot if
    ``capped``)."""
    rec = Recorder()
    for sec in range(10):
        for i in range(rate):
            due = T0 + sec + i / rate
            service = ramp_ms if sec < 2 else drain_ms if sec >= 9 else latency
            lag = lag_ms if late_every and i % late_every == 0 else 0.0
            lag = lag_ms if sec in late_in and i == 0 else lag  # one late send in each of these seconds
            rec.record(
                "GET /", "GET", service + lag, service, lag, None, now=due + (service + lag) / 1000,
                due=due, capped=capped and lag > 0,
            )  # fmt: skip
    local = GeneratorProcess(id="local", role="local", requests=1000, cpu_s=1, wall_s=10, cpu_percent=10)
    return build_stats(
        plan(), rec, started=T0, ended=T0 + 10, steady_at=T0 + 1, users={}, generator=[local], complete=True
    )


def test_the_window_leaves_out_the_ramp_warm_up_and_drain() -> None:
    whole = window_seconds(T0, T0 + 1, T0 + 10)
    assert whole == range(int(T0 + 1 + WARMUP_S), int(T0 + 10 - DRAIN_S))
    assert window_seconds(T0, T0 + 0.5, T0 + 2) == range(0)  # too short: no steady window


def test_slow_ramp_and_drain_requests_are_not_in_the_gated_percentiles() -> None:
    s = run(ramp_ms=900.0, drain_ms=900.0)
    assert s.window is not None and s.window.basis == "steady" and s.window.requests == 7 * RATE
    assert s.window.excluded == 3 * RATE and (s.window.start_s, s.window.end_s) == (2.0, 9.0)
    assert s.percentile(99) == 20.0 and s.run_latency_ms and s.run_latency_ms.max == 900.0
    assert by_p95(s, 100).status is Status.PASSED


def test_lateness_counts_on_time_sends_as_zero() -> None:
    late = Histogram()
    for ms in (5.0, 50.0):
        late.record(ms)
    assert lateness(late, 2000) == 0.0  # 2 late sends of 2000: the 99.9th percentile is on time
    assert lateness(late, 1000) == 5.0  # of 1000: the 999th send is the first late one
    assert lateness(late, 100, pct=99.0) == 5.0 and lateness(late, 100, pct=100.0) == 50.0
    assert lateness(Histogram(), 0) == 0.0


def by_p95(s: LoadStats, bound: float) -> object:
    return next(r for r in evaluate(s, SloSection(p95_ms=bound)) if r.id == "load.p95")


def test_a_run_whose_sends_were_often_late_has_no_verdict_even_a_pass() -> None:
    s = run(late_every=20, lag_ms=3 * LATE_LIMIT_MS)  # 5 % of sends 30 ms late
    assert s.window is not None and s.window.late_share == pytest.approx(0.05)
    for bound in (1000.0, 10.0):  # would pass / would fail
        result = by_p95(s, bound)
        assert result.status is Status.ERROR and "fell behind its schedule" in result.message  # type: ignore[attr-defined]
        assert result.error_reason is ErrorReason.INCONCLUSIVE  # type: ignore[attr-defined]


def test_a_failure_by_less_than_the_lateness_is_inconclusive_a_clear_one_is_not() -> None:
    s = run(latency=20.0, late_every=200, lag_ms=8.0)  # 0.5 % of sends 8 ms late: few, but not nothing
    assert s.window is not None and s.window.late_share == 0.0 and s.window.lateness_ms == 8.0
    assert by_p95(s, 15.0).status is Status.ERROR  # type: ignore[attr-defined]
    assert "lateness" in by_p95(s, 15.0).message  # type: ignore[attr-defined]
    assert by_p95(s, 5.0).status is Status.FAILED  # type: ignore[attr-defined]
    assert by_p95(s, 25.0).status is Status.PASSED  # type: ignore[attr-defined]


def test_waiting_for_an_in_flight_slot_is_the_targets_backlog_not_lateness() -> None:
    s = run(late_every=2, lag_ms=500.0, capped=True)
    assert s.window is not None and s.window.late_sends == 0 and s.capped_requests == 5 * 1000 // 10
    assert by_p95(s, 100.0).status is Status.FAILED  # type: ignore[attr-defined]


def test_the_request_bytes_are_built_once_and_refuse_header_injection() -> None:
    req = build_request("http://127.0.0.1:8080", "POST", "/items?x=1", b"{}", {"X-Token": "t"})
    head, _, body = req.data.partition(b"\r\n\r\n")
    assert head.startswith(b"POST /items?x=1 HTTP/1.1\r\nHost: 127.0.0.1:8080\r\n") and body == b"{}"
    assert b"Content-Length: 2" in head and b"X-Token: t" in head
    assert b"Content-Length" not in build_request("http://h:1", "GET", "/", None, {}).data
    with pytest.raises(ValueError, match="header injection"):
        build_request("http://h:1", "GET", "/", None, {"X-Token": "a\r\nEvil: 1"})


def test_fewer_late_sends_than_the_minimum_leave_the_verdict_to_the_numbers() -> None:
    # In a short window, a share over 1 % can be one or two hiccups that take nothing measurable from the
    # offered load: below LATE_COUNT_MIN late sends the numbers decide (the lateness rule still guards a
    # failure by less than the lag); at the minimum, with the share over 1 %, there is no verdict.
    for count, status in ((LATE_COUNT_MIN - 1, Status.PASSED), (LATE_COUNT_MIN, Status.ERROR)):
        s = run(late_in=frozenset(range(3, 3 + count)), lag_ms=3 * LATE_LIMIT_MS, rate=4)
        assert s.window is not None and s.window.late_beyond_limit == count
        assert s.window.late_share > LATE_SHARE_MAX  # a share the 1 % rule alone would call inconclusive
        assert by_p95(s, 1000.0).status is status  # type: ignore[attr-defined]
