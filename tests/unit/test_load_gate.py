"""The SLO gate: statistics + slo: → load.* results, on the right side of every threshold.

Statistics are built the way the Locust master builds them (a Recorder fed per request, build_stats),
from synthetic requests, so every branch of the gate is pinned without starting Locust.
"""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from stackcheck.load.gate import GENERATOR, TRANSPORT, evaluate, gate_exit_code, not_run
from stackcheck.load.plan import LoadPlan, build_plan
from stackcheck.load.recorder import Recorder
from stackcheck.load.stats import GeneratorProcess, LoadStats, build_stats
from stackcheck.outcomes import CheckResult, ErrorReason, Status
from stackcheck.profile.models import Profile, SloSection

T0 = 1_800_000_000.0


def plan(model: str = "paced", **slo: float) -> LoadPlan:
    profile = Profile.model_validate(
        {
            "name": "t",
            "slo": slo or {"p95_ms": 200},
            "load": {"users": 10, "spawn_rate": 10, "duration_s": 10, "model": model},
        }
    )
    return build_plan(profile, "http://127.0.0.1:9", workers=2, stats_path="/dev/null")


def stats(
    p: LoadPlan,
    latencies: Sequence[float],
    *,
    service: Sequence[float] | None = None,
    errors: Sequence[str | None] | None = None,
    cpu_percent: float = 10.0,
    capped: int = 0,
    complete: bool = True,
) -> LoadStats:
    """Requests spread evenly over 10 s, in an order that interleaves the list (every second holds a slice of
    each part of it); users all running after 1 s, so the steady window is seconds 2-9."""
    rec = Recorder()
    n = len(latencies)
    slots = sorted(range(n), key=lambda i: (i * 0.6180339887) % 1)  # list index -> its place in time
    for place, i in enumerate(slots):
        ms = latencies[i]
        svc = service[i] if service is not None else ms
        err = errors[i] if errors is not None else None
        # The first `capped` requests waited for a free in-flight slot: their lag is the target's backlog.
        rec.record("GET /api", "GET", ms, svc, ms - svc, err, now=T0 + 10 * place / n, capped=i < capped)
    workers = [
        GeneratorProcess(
            id=f"w{i}", role="worker", requests=n // 2, cpu_s=1, wall_s=10, cpu_percent=cpu_percent
        )
        for i in (1, 2)
    ]
    return build_stats(
        p, rec, started=T0, ended=T0 + 10, steady_at=T0 + 1, users={}, generator=workers, complete=complete
    )


def by_id(results: list[CheckResult]) -> dict[str, CheckResult]:
    return {r.id: r for r in results}


# 90 % at 20 ms, 10 % at 150 ms: the true p95 is 150 ms.
MIX = [20.0] * 900 + [150.0] * 100


def test_p95_passes_when_the_bound_is_above_the_true_p95() -> None:
    result = by_id(evaluate(stats(plan(p95_ms=165), MIX), SloSection(p95_ms=165)))["load.p95"]
    assert result.status is Status.PASSED
    assert (
        result.evidence.observed == 150.0 and result.evidence.expected == 165 and result.evidence.op == "<="
    )


def test_p95_fails_when_the_bound_is_below_the_true_p95() -> None:
    result = by_id(evaluate(stats(plan(p95_ms=135), MIX), SloSection(p95_ms=135)))["load.p95"]
    assert result.status is Status.FAILED
    assert "p95 is 150 ms, above 135 ms" in result.message


def test_p99_is_gated_on_its_own_bound() -> None:
    results = by_id(evaluate(stats(plan(), MIX), SloSection(p95_ms=200, p99_ms=100)))
    assert results["load.p95"].status is Status.PASSED and results["load.p99"].status is Status.FAILED


def test_unset_bounds_are_skipped_with_the_key_to_set() -> None:
    results = by_id(evaluate(stats(plan(), MIX), SloSection(p95_ms=200)))
    assert results["load.error_ratio"].status is Status.SKIPPED
    assert "slo.error_ratio is not set" in results["load.error_ratio"].message
    assert all(r.status is Status.SKIPPED for r in evaluate(stats(plan(), MIX), None))


@pytest.mark.parametrize(("bound", "status"), [(0.06, Status.PASSED), (0.04, Status.FAILED)])
def test_error_ratio_sides_of_the_threshold(bound: float, status: Status) -> None:
    errors = ["HTTP 500, expected 2xx" if i % 20 == 0 else None for i in range(1000)]  # 5 %
    result = by_id(evaluate(stats(plan(), MIX, errors=errors), SloSection(error_ratio=bound)))[
        "load.error_ratio"
    ]
    assert result.status is status and result.evidence.observed == 0.05
    if status is Status.FAILED:
        assert "50 of 1000 requests failed (5.00%)" in result.message and "HTTP 500" in result.message


def test_no_http_answer_at_all_is_could_not_check_not_a_failure() -> None:
    errors = [TRANSPORT + "ConnectionRefusedError: [Errno 111] Connection refused"] * 1000
    result = by_id(evaluate(stats(plan(), MIX, errors=errors), SloSection(error_ratio=0.01)))[
        "load.error_ratio"
    ]
    assert result.status is Status.ERROR and "Connection refused" in result.message
    assert result.error_reason is ErrorReason.UNREACHABLE


@pytest.mark.parametrize(("bound", "status"), [(90.0, Status.PASSED), (110.0, Status.FAILED)])
def test_throughput_sides_of_the_threshold(bound: float, status: Status) -> None:
    s = stats(plan(rps=bound), MIX)  # 1000 requests in 10 s: 100 req/s in every whole second
    assert s.steady_rps == 100.0 and s.steady_s == 7.0
    assert by_id(evaluate(s, SloSection(rps=bound)))["load.throughput"].status is status


def test_a_saturated_generator_makes_a_latency_failure_inconclusive() -> None:
    service = [10.0] * 1000  # the target answered in 10 ms; the busy generator sent late
    s = stats(plan(), [200.0] * 1000, service=service, cpu_percent=99.0)
    assert s.generator_saturated
    result = by_id(evaluate(s, SloSection(p95_ms=50)))["load.p95"]
    assert result.status is Status.ERROR and "CPU-saturated" in result.message
    assert result.error_reason is ErrorReason.INCONCLUSIVE


def test_a_saturated_generator_does_not_excuse_a_slow_target() -> None:
    s = stats(plan(), [200.0] * 1000, cpu_percent=99.0)  # even the service time breaks the bound
    assert by_id(evaluate(s, SloSection(p95_ms=50)))["load.p95"].status is Status.FAILED


def test_a_backlog_at_the_users_in_flight_limit_is_the_targets_failure() -> None:
    s = stats(plan(), [900.0] * 1000, service=[100.0] * 1000, capped=1000)  # every send waited for a slot
    assert s.window is not None and s.window.late_sends == 0
    result = by_id(evaluate(s, SloSection(p95_ms=500)))["load.p95"]
    assert result.status is Status.FAILED and "in-flight slots" in result.message


def test_closed_model_gates_on_the_latency_from_the_send() -> None:
    s = stats(plan(model="closed"), MIX)
    assert s.latency_basis == "sent" and s.target_rps is None
    assert by_id(evaluate(s, SloSection(p95_ms=200)))["load.p95"].status is Status.PASSED


def test_an_interrupted_run_gives_no_verdict() -> None:
    results = by_id(evaluate(stats(plan(), MIX, complete=False), SloSection(p95_ms=1000)))
    assert results["load.p95"].status is Status.ERROR and "cut short" in results["load.p95"].message
    assert results["load.p95"].error_reason is ErrorReason.INCONCLUSIVE


def test_no_request_at_all_is_could_not_check() -> None:
    results = by_id(evaluate(stats(plan(), []), SloSection(p95_ms=100, error_ratio=0.1)))
    assert results["load.p95"].status is Status.ERROR and results["load.error_ratio"].status is Status.ERROR
    assert (
        results["load.p95"].error_reason
        is results["load.error_ratio"].error_reason
        is ErrorReason.INCONCLUSIVE
    )


def test_not_run_errors_configured_checks_and_skips_the_rest() -> None:
    results = by_id(not_run(SloSection(p95_ms=100), "target unreachable", reason=ErrorReason.UNREACHABLE))
    assert results["load.p95"].status is Status.ERROR and results["load.p95"].message == "target unreachable"
    assert results["load.p95"].error_reason is ErrorReason.UNREACHABLE
    assert (
        results["load.throughput"].status is Status.SKIPPED
        and results["load.throughput"].error_reason is None
    )


def test_gate_exit_codes_match_the_cli() -> None:
    slo = SloSection(p95_ms=165)
    assert gate_exit_code(evaluate(stats(plan(), MIX), slo)) == 0
    assert gate_exit_code(evaluate(stats(plan(), MIX), SloSection(p95_ms=100))) == 1
    assert gate_exit_code(not_run(slo, "unreachable", reason=ErrorReason.UNREACHABLE)) == 3


def test_results_carry_the_controls_of_their_checks_and_no_claim_of_their_own() -> None:
    # Claims are the profile's: the gate's results carry none until the report attaches the profile's.
    result = by_id(evaluate(stats(plan(), MIX), SloSection(p95_ms=200)))["load.p95"]
    assert result.suite == "load" and "SOC2:A1.1" in result.controls
    assert result.claims == ()


def test_a_target_that_mostly_did_not_answer_gets_no_verdict_however_fast_the_few_answers() -> None:
    # The shape of a shipped profile (p95 only): a dead target must not pass on the answers that came.
    p = plan(p95_ms=200)
    rec = Recorder()
    for i in range(100):
        answered = i % 10 == 0
        rec.record(
            "GET /api",
            "GET",
            4.0,
            4.0,
            0.0,
            None if answered else "transport: refused",
            now=T0 + i / 10,
            answered=answered,
        )
    workers = [GeneratorProcess(id="w", role="worker", requests=100, cpu_s=1, wall_s=10, cpu_percent=10)]
    s = build_stats(
        p, rec, started=T0, ended=T0 + 10, steady_at=T0 + 1, users={}, generator=workers, complete=True
    )
    assert s.unanswered == 90 and s.rps == 1.0 and s.run_latency_ms and s.run_latency_ms.count == 10
    results = by_id(evaluate(s, SloSection(p95_ms=200, rps=5)))
    assert results["load.p95"].status is Status.ERROR
    assert results["load.p95"].error_reason is ErrorReason.UNREACHABLE
    assert "90 of 100 requests got no HTTP answer" in results["load.p95"].message
    assert results["load.throughput"].status is Status.ERROR
    assert gate_exit_code(list(results.values())) == 3


def test_requests_the_generator_could_not_send_leave_no_verdict() -> None:
    # A request that died inside stackcheck's own generator is no evidence about the target: whatever the
    # rest measured, every gated check is `error` (internal), never passed.
    p = plan(p95_ms=200, error_ratio=0.5)
    errors: list[str | None] = [None] * 9 + [GENERATOR + "TypeError: bad TLS context factory"]
    results = evaluate(stats(p, [5.0] * 10, errors=errors), p.slo)
    gated = [r for r in results if r.status is not Status.SKIPPED]
    assert gated and all(r.status is Status.ERROR for r in gated), results
    assert all(r.error_reason is ErrorReason.INTERNAL for r in gated)
    assert "load generator failed on 1 request" in gated[0].message


def test_a_target_answering_mostly_errors_has_no_latency_verdict_but_fails_its_error_ratio() -> None:
    # Half the answers fast 500s plus some: the p95 over error pages says nothing about the promise.
    p = plan(p95_ms=200, error_ratio=0.01)
    errors: list[str | None] = ["HTTP 500, expected 2xx"] * 6 + [None] * 4
    results = {r.id: r for r in evaluate(stats(p, [5.0] * 10, errors=errors), p.slo)}
    assert results["load.p95"].status is Status.ERROR
    assert results["load.p95"].error_reason is ErrorReason.INCONCLUSIVE
    assert "6 of 10 answers were failures" in results["load.p95"].message
    assert results["load.error_ratio"].status is Status.FAILED
    # p95 only (the djinn.yaml shape): never compliant.
    p = plan(p95_ms=200)
    only = evaluate(stats(p, [5.0] * 10, errors=errors), p.slo)
    assert gate_exit_code(only) == 3


def test_a_few_failed_answers_leave_the_latency_verdict_standing() -> None:
    p = plan(p95_ms=200)
    errors: list[str | None] = ["HTTP 500, expected 2xx"] * 4 + [None] * 6
    results = {r.id: r for r in evaluate(stats(p, [5.0] * 10, errors=errors), p.slo)}
    assert results["load.p95"].status is Status.PASSED
