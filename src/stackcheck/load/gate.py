"""The SLO gate: load statistics + the profile's ``slo:`` → ``load.*`` check results.

The same function decides the Locust process's exit code (its ``quitting`` listener) and the results of
``stackcheck load``, so the two never disagree.

"Could not check" is kept apart from "non-compliant": when the load generator itself was the bottleneck
(a CPU-saturated Locust process) and only the generator-inflated number breaks the SLO, the result is
``error`` with the fix, never ``failed``. Likewise when the generator sent late — whatever its CPU use —
in a way that could change the verdict (:func:`_late_problem`): more than
:data:`~stackcheck.load.window.LATE_SHARE_MAX` of the steady window's sends later than
:data:`~stackcheck.load.window.LATE_LIMIT_MS` (the offered load was not the profile's: no verdict at all),
or a failure by less than the window's lateness (the generator's lag alone could account for it). A pass
stays a pass: latency counts from the scheduled send, so lag can only have made it look worse.
"""

from __future__ import annotations

from typing import Any

from stackcheck.catalog.load import CHECKS, ERROR_RATIO, P95, P99, THROUGHPUT
from stackcheck.catalog.spec import CheckSpec
from stackcheck.load.stats import LoadStats
from stackcheck.load.window import LATE_COUNT_MIN, LATE_LIMIT_MS, LATE_SHARE_MAX, LATENESS_PCT
from stackcheck.outcomes import CheckResult, ErrorReason, Evidence, Status
from stackcheck.profile.models import SloSection
from stackcheck.report.model import exit_code

__all__ = ["GENERATOR", "LOAD_CHECK_IDS", "TRANSPORT", "evaluate", "gate_exit_code", "not_run"]

# Prefix of the failure text of a request that got no HTTP response at all (refused, reset, timeout).
TRANSPORT = "transport: "
# Prefix of the failure text of a request the load generator itself could not carry out (a bug of ours, a
# broken TLS setting): no evidence about the target at all.
GENERATOR = "generator: "

LOAD_CHECK_IDS: frozenset[str] = frozenset(spec.id for spec in CHECKS)

_SLO_KEY = {P95.id: "p95_ms", P99.id: "p99_ms", ERROR_RATIO.id: "error_ratio", THROUGHPUT.id: "rps"}


def _result(
    spec: CheckSpec,
    status: Status,
    message: str,
    duration_s: float,
    evidence: Evidence | None = None,
    reason: ErrorReason | None = None,
) -> CheckResult:
    return CheckResult.of(
        spec, status, message, evidence=evidence, duration_s=duration_s, error_reason=reason
    )


def _unset(spec: CheckSpec, slo: SloSection | None) -> str | None:
    """The skip reason when the profile sets no bound for ``spec``."""
    if slo is None:
        return "the profile has no slo: section"
    if getattr(slo, _SLO_KEY[spec.id]) is None:
        return f"slo.{_SLO_KEY[spec.id]} is not set in the profile"
    return None


def not_run(
    slo: SloSection | None, message: str, duration_s: float = 0.0, *, reason: ErrorReason
) -> list[CheckResult]:
    """Results when the load could not be run at all: ``error`` with ``reason`` for every configured check."""
    out = []
    for spec in CHECKS:
        unset = _unset(spec, slo)
        if unset:
            out.append(_result(spec, Status.SKIPPED, unset, duration_s))
        else:
            out.append(_result(spec, Status.ERROR, message, duration_s, reason=reason))
    return out


def _shape(stats: LoadStats) -> str:
    if stats.model == "paced":
        return f"paced at {stats.target_rps:g} req/s offered, latency from the scheduled send"
    return f"closed loop, {stats.users} users"


def _offered(stats: LoadStats) -> str:
    if stats.model == "paced":
        return f"{stats.target_rps:g} req/s offered by {stats.users} users"
    return f"closed loop, {stats.users} users"


def _generator_problem(stats: LoadStats) -> str | None:
    """Why the generator may have inflated the numbers, or None."""
    if stats.generator_saturated:
        busiest = max((g for g in stats.generator if g.role != "master"), key=lambda g: g.cpu_percent)
        return (
            f"the load generator was CPU-saturated ({busiest.id} at {busiest.cpu_percent:.0f}% of a core): "
            "add worker processes (load.processes) or machines (--expect-workers)"
        )
    return None


def _late_problem(stats: LoadStats) -> str | None:
    """Why the generator's own lateness leaves no verdict at all, or None."""
    window = stats.window
    if window is None or window.late_share <= LATE_SHARE_MAX or window.late_beyond_limit < LATE_COUNT_MIN:
        return None
    cause = _generator_problem(stats)  # a saturated CPU is the likeliest cause: say so first
    return (f"{cause}; " if cause else "") + (
        f"the load generator fell behind its schedule: {window.late_beyond_limit} of the {window.requests} "
        f"sends of the steady window were more than {LATE_LIMIT_MS:g} ms late ({window.late_share:.1%}, "
        f"more than {LATE_SHARE_MAX:.0%}; largest {window.max_lag_ms or 0:g} ms), so the target did not get "
        "the load the profile asks for: add worker processes (load.processes) or machines, or lower the rate"
    )


def _within_lateness(observed: float, bound: float, stats: LoadStats) -> str | None:
    """Why a failure by less than the generator's lateness is no verdict, or None."""
    window = stats.window
    if window is None or not window.lateness_ms or observed - window.lateness_ms > bound:
        return None
    return (
        f"by less than the load generator's own lateness ({window.lateness_ms:g} ms: the "
        f"{LATENESS_PCT:g}th percentile of its send lag in the steady window, {window.late_sends} late sends)"
    )


def _backlog(stats: LoadStats) -> str:
    """A note when the modelled users ran out of in-flight slots (the target fell behind the offered rate).

    That is the users' experience, not a generator artefact: ``users`` clients with at most 8 requests
    outstanding each, like browsers with their few connections per host.
    """
    if stats.model != "paced" or not stats.capped_requests:
        return ""
    return (
        f"; {stats.capped_requests} requests found all {stats.in_flight_cap} in-flight slots of the "
        f"{stats.users} users taken"
    )


def _details(stats: LoadStats, **extra: Any) -> dict[str, Any]:
    return {
        "requests": stats.requests,
        "model": stats.model,
        "latency_basis": stats.latency_basis,
        "target_rps": stats.target_rps,
        "users": stats.users,
        "steady_rps": stats.steady_rps,
        "window": stats.window.model_dump() if stats.window else None,
        **extra,
    }


def _latency(spec: CheckSpec, pct: float, bound: float, stats: LoadStats) -> CheckResult:
    observed = stats.percentile(pct)
    service = stats.service_percentile(pct)
    name = f"p{pct:g}"
    evidence = Evidence(
        expected=bound,
        observed=observed,
        op="<=",
        unit="ms",
        details=_details(
            stats,
            percentiles_ms=stats.latency_ms.percentiles,
            service_percentiles_ms=stats.service_ms.percentiles,
        ),
    )
    if observed is None:
        message = "no request completed: no latency to measure"
        return _result(spec, Status.ERROR, message, stats.wall_s, evidence, ErrorReason.INCONCLUSIVE)
    where = f"{_sample(stats)}, {_shape(stats)}"
    late = _late_problem(stats)
    if late:
        message = f"inconclusive: {name} {observed:g} ms (bound {bound:g} ms), but {late}"
        return _result(spec, Status.ERROR, message, stats.wall_s, evidence, ErrorReason.INCONCLUSIVE)
    if observed <= bound:
        message = f"{name} over {where}: {observed:g} ms"
        return _result(spec, Status.PASSED, message, stats.wall_s, evidence)
    problem = _generator_problem(stats)
    if problem and service is not None and service <= bound:
        message = (
            f"inconclusive: {name} {observed:g} ms is above {bound:g} ms, but {problem} "
            f"(service time alone: {service:g} ms)"
        )
        return _result(spec, Status.ERROR, message, stats.wall_s, evidence, ErrorReason.INCONCLUSIVE)
    within = _within_lateness(observed, bound, stats)
    if within:
        message = f"inconclusive: {name} {observed:g} ms is above {bound:g} ms, but {within}"
        return _result(spec, Status.ERROR, message, stats.wall_s, evidence, ErrorReason.INCONCLUSIVE)
    message = f"{name} is {observed:g} ms, above {bound:g} ms ({where}{_backlog(stats)})"
    return _result(spec, Status.FAILED, message, stats.wall_s, evidence)


def _sample(stats: LoadStats) -> str:
    """Which requests the percentile is over: the steady window's, or the whole run's."""
    window = stats.window
    if window is None:
        return f"{stats.requests} requests"
    if window.basis == "whole run":
        return f"{window.requests} requests (whole run: too short for a steady window)"
    return f"{window.requests} requests due {window.start_s:g}-{window.end_s:g} s into the run"


def _error_ratio(bound: float, stats: LoadStats) -> CheckResult:
    observed = stats.error_ratio
    top = stats.errors[0] if stats.errors else None
    evidence = Evidence(
        expected=bound,
        observed=observed,
        op="<=",
        details=_details(stats, failures=stats.failures, errors=[e.model_dump() for e in stats.errors[:5]]),
    )
    if observed is None:
        message = "no request completed"
        return _result(ERROR_RATIO, Status.ERROR, message, stats.wall_s, evidence, ErrorReason.INCONCLUSIVE)
    share = f"{stats.failures} of {stats.requests} requests failed ({observed:.2%})"
    if stats.failures == stats.requests and all(e.error.startswith(TRANSPORT) for e in stats.errors):
        # Not one HTTP answer: the target is unreachable, which is "could not check", not non-compliance.
        message = f"no request got an HTTP response: {top.error if top else 'unreachable'}"
        return _result(ERROR_RATIO, Status.ERROR, message, stats.wall_s, evidence, ErrorReason.UNREACHABLE)
    if observed <= bound:
        return _result(ERROR_RATIO, Status.PASSED, share, stats.wall_s, evidence)
    first = f"; most common: {top.name}: {top.error} ({top.occurrences}x)" if top else ""
    return _result(ERROR_RATIO, Status.FAILED, f"{share}, above {bound:.2%}{first}", stats.wall_s, evidence)


def _throughput(bound: float, stats: LoadStats) -> CheckResult:
    observed = stats.steady_rps
    evidence = Evidence(expected=bound, observed=observed, op=">=", unit="req/s", details=_details(stats))
    window = f"over the {stats.steady_s:g} s steady window" if stats.steady_s else "over the whole run"
    late = _late_problem(stats)
    if late:
        message = f"inconclusive: {observed:.4g} req/s (bound {bound:g} req/s), but {late}"
        return _result(THROUGHPUT, Status.ERROR, message, stats.wall_s, evidence, ErrorReason.INCONCLUSIVE)
    if observed >= bound:
        message = f"{observed:.4g} req/s completed {window} ({_offered(stats)})"
        return _result(THROUGHPUT, Status.PASSED, message, stats.wall_s, evidence)
    problem = _generator_problem(stats)
    if problem:
        message = f"inconclusive: {observed:.4g} req/s is below {bound:g} req/s, but {problem}"
        return _result(THROUGHPUT, Status.ERROR, message, stats.wall_s, evidence, ErrorReason.INCONCLUSIVE)
    message = (
        f"{observed:.4g} req/s completed {window}, below {bound:g} req/s ({_offered(stats)}{_backlog(stats)})"
    )
    return _result(THROUGHPUT, Status.FAILED, message, stats.wall_s, evidence)


def evaluate(stats: LoadStats, slo: SloSection | None) -> list[CheckResult]:
    """One result per load check: passed, failed, error (could not tell) or skipped (no bound set)."""
    if not stats.complete:
        message = "the load run was cut short before its end; no verdict"
        return not_run(slo, message, stats.wall_s, reason=ErrorReason.INCONCLUSIVE)
    broken = [e for e in stats.errors if e.error.startswith(GENERATOR)]
    if broken:
        # Requests the generator could not send say nothing about the target; what the others measured
        # is a partial sample of an unknown shape. No verdict.
        count = sum(e.occurrences for e in broken)
        message = (
            f"stackcheck's load generator failed on {count} request(s) ({broken[0].error}); no verdict "
            "(the load logs in the report folder say more)"
        )
        return not_run(slo, message, stats.wall_s, reason=ErrorReason.INTERNAL)
    if stats.requests and stats.unanswered * 2 > stats.requests:
        # Percentiles over the few answers that came are no evidence about a target that mostly did not
        # answer: no verdict, whatever the profile gates on (a dead target never passes).
        message = (
            f"{stats.unanswered} of {stats.requests} requests got no HTTP answer (refused, reset or timed "
            "out): the target did not take the load; no verdict"
        )
        return not_run(slo, message, stats.wall_s, reason=ErrorReason.UNREACHABLE)
    failed_answers = stats.failures - stats.unanswered
    mostly_failed = bool(stats.requests) and failed_answers * 2 > stats.requests
    out = []
    for spec in CHECKS:
        reason = _unset(spec, slo)
        if reason or slo is None:
            out.append(_result(spec, Status.SKIPPED, reason or "", stats.wall_s))
        elif mostly_failed and spec is not ERROR_RATIO:
            # Fast error pages are no evidence of a latency or throughput promise about the service: when
            # most answers are failures, those checks have no verdict (error_ratio still has one).
            top = stats.errors[0].error if stats.errors else "unexpected answers"
            message = (
                f"{failed_answers} of {stats.requests} answers were failures (most common: {top}): "
                "latency and throughput over failed answers are no evidence; no verdict"
            )
            out.append(_result(spec, Status.ERROR, message, stats.wall_s, None, ErrorReason.INCONCLUSIVE))
        elif spec is P95 and slo.p95_ms is not None:
            out.append(_latency(P95, 95, slo.p95_ms, stats))
        elif spec is P99 and slo.p99_ms is not None:
            out.append(_latency(P99, 99, slo.p99_ms, stats))
        elif spec is ERROR_RATIO and slo.error_ratio is not None:
            out.append(_error_ratio(slo.error_ratio, stats))
        elif spec is THROUGHPUT and slo.rps is not None:
            out.append(_throughput(slo.rps, stats))
    return out


def gate_exit_code(results: list[CheckResult]) -> int:
    """0 every gated check passed, 1 one failed, 3 none failed but one could not be decided."""
    return int(exit_code(results, ()))
