"""What each Locust process records, and the master's merge: one run, however many processes."""

from __future__ import annotations

import json

from stackcheck.load.plan import build_plan
from stackcheck.load.recorder import LATE_MS, Recorder
from stackcheck.load.stats import GeneratorProcess, build_stats
from stackcheck.profile.models import Profile

T0 = 1_800_000_000.0


def feed(rec: Recorder, offset: int, n: int) -> None:
    for i in range(n):
        lag = 5.0 if i % 10 == 0 else 0.0
        error = "HTTP 503, expected 2xx" if i % 25 == 0 else None
        rec.record(
            f"GET /{i % 2}", "GET", 20.0 + lag + i % 7, 20.0 + i % 7, lag, error, now=T0 + offset + i / n
        )


def test_workers_shipped_to_the_master_add_up_to_one_recorder() -> None:
    single, master = Recorder(), Recorder()
    for offset in range(3):
        worker = Recorder()
        feed(worker, offset, 100)
        feed(single, offset, 100)
        master.merge(json.loads(json.dumps(worker.drain())))  # msgpack/JSON-shaped, like a worker report
        assert worker.requests == 0 and not worker.names  # drained
    assert master.requests == single.requests == 300 and master.failures == single.failures == 12
    assert master.total().counts == single.total().counts
    assert master.service.counts == single.service.counts and master.lag.count == single.lag.count == 30
    assert master.errors == single.errors
    assert master.errors == {("GET /0", "HTTP 503, expected 2xx"): 6, ("GET /1", "HTTP 503, expected 2xx"): 6}
    assert sorted(master.seconds) == [int(T0), int(T0) + 1, int(T0) + 2]


def test_only_sends_behind_schedule_count_as_late() -> None:
    rec = Recorder()
    rec.record("a", "GET", 10, 10, LATE_MS / 2, None, now=T0)
    rec.record("a", "GET", 12, 10, 2.0, None, now=T0)
    assert rec.lag.count == 1 and rec.lag.max == 2.0


def test_statistics_carry_a_time_series_and_a_histogram() -> None:
    profile = Profile.model_validate(
        {"name": "p", "slo": {"p95_ms": 100}, "load": {"users": 4, "duration_s": 3}}
    )
    plan = build_plan(profile, "http://127.0.0.1:1", workers=0, stats_path="/dev/null")
    rec = Recorder()
    feed(rec, 0, 100)
    feed(rec, 1, 100)
    feed(rec, 2, 100)
    local = GeneratorProcess(id="local", role="local", requests=300, cpu_s=0.3, wall_s=3, cpu_percent=10)
    stats = build_stats(
        plan,
        rec,
        started=T0,
        ended=T0 + 3,
        steady_at=T0 + 0.2,
        users={int(T0): 4},
        generator=[local],
        complete=True,
    )
    assert [p.t for p in stats.timeseries] == [0, 1, 2] and all(p.requests == 100 for p in stats.timeseries)
    assert all(p.users == 4 for p in stats.timeseries) and stats.timeseries[0].failures == 4
    assert sum(b.count for b in stats.histogram) == 300
    # 3 s from a start 0.2 s before the last user: too short for a steady window (1 s warm-up, 1 s drain).
    assert stats.steady_rps == 100.0 and stats.steady_s == 0.0 and stats.error_ratio == 0.04
    assert stats.window is not None and stats.window.basis == "whole run" and stats.window.requests == 300
    assert [e.name for e in stats.endpoints] == ["GET /0", "GET /1"] and stats.late_requests == 30
    assert stats.latency_ms.percentiles["p50"] is not None and stats.service_ms.max == 26.0
    assert type(stats).model_validate_json(stats.to_json()) == stats


def test_an_unanswered_request_is_a_failure_but_no_latency_or_throughput_evidence() -> None:
    single, master, worker = Recorder(), Recorder(), Recorder()
    for target in (single, worker):
        target.record("GET /", "GET", 4.0, 4.0, 0.0, None, now=T0)
        target.record("GET /", "GET", 5000.0, 5000.0, 0.0, "transport: refused", now=T0, answered=False)
    master.merge(json.loads(json.dumps(worker.drain())))
    for rec in (single, master):
        assert rec.requests == 2 and rec.failures == 1 and rec.unanswered == 1
        assert rec.total().count == 1 and rec.service.count == 1  # the 5 s "latency" is not a sample
        assert rec.names["GET /"].n == 1 and rec.seconds[int(T0)].n == 1
        assert rec.errors == {("GET /", "transport: refused"): 1}
