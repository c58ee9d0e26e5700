"""Suite ``ratelimit``: the promised request budget per client, measured with bounded bursts.

The tests run in this order on purpose: ``enforced`` spends the budget, the next checks only need one or two
requests to confirm it is spent, and ``recovery`` (which waits for the budget to come back) runs last.
"""

from __future__ import annotations

import math
import time

import pytest

from stackcheck.catalog import ratelimit as checks
from stackcheck.probes.loopback import require_loopback
from stackcheck.probes.ratelimit import (
    Burst,
    burst,
    parse_retry_after,
    probe_bound,
    refill_allowance,
    send,
    spoofed_headers,
    wait_seconds,
)
from stackcheck.probes.source import alternate_source, bound_probe
from stackcheck.testing import (
    CouldNotCheck,
    ErrorReason,
    EvidenceRecorder,
    HttpProbe,
    Profile,
    RateLimitSection,
    Target,
    require,
)


@pytest.fixture
def limit(profile: Profile) -> RateLimitSection:
    """The profile's ``rate_limit`` section (the plugin already skipped the check when it is absent)."""
    return require(profile.rate_limit, "profile has no `rate_limit` section")


@pytest.fixture
def bound(request: pytest.FixtureRequest, target: Target, limit: RateLimitSection) -> int:
    """Most requests one burst may send; refuses non-loopback targets without ``--allow-remote``."""
    require_loopback(
        target.base_url, bool(request.config.getoption("stackcheck_allow_remote")), "the rate-limit probe"
    )
    return probe_bound(limit)


def spend_budget(http: HttpProbe, limit: RateLimitSection, bound: int) -> Burst:
    """Burst until refused; skip when no refusal comes (``ratelimit.enforced`` reports that)."""
    spent = burst(http, limit, bound)
    if spent.refusal is None:
        pytest.skip(f"no request was refused within {bound}: nothing to examine (see ratelimit.enforced)")
    return spent


@pytest.mark.check(checks.ENFORCED)
def test_first_requests_succeed_and_the_next_is_refused_with_429(
    http: HttpProbe, limit: RateLimitSection, bound: int, evidence: EvidenceRecorder
) -> None:
    result = burst(http, limit, bound)
    allowance = refill_allowance(result.elapsed_s, limit)
    evidence.record(
        expected=limit.requests,
        observed=result.successes,
        unit="requests",
        op="==",
        tolerance=allowance,
        window_s=limit.per_seconds,
        sent=result.sent,
        refused_with=result.refused_status,
        elapsed_s=round(result.elapsed_s, 3),
        statuses={str(k): v for k, v in result.statuses.items()},
    )
    where = f"{limit.method} {limit.path}"
    if result.refusal is None:
        if allowance > bound - limit.requests:
            raise CouldNotCheck(
                f"the budget refills faster ({limit.requests / limit.per_seconds:g}/s) than the bounded probe"
                " "
                f"can spend it ({result.sent} requests in {result.elapsed_s:.2f} s)",
                ErrorReason.INCONCLUSIVE,
            )
        raise AssertionError(
            f"{where}: all {result.sent} requests served in {result.elapsed_s:.2f} s, none refused: "
            f"not limited to {limit.requests} per {limit.per_seconds} s"
        )
    if result.successes == 0:
        raise CouldNotCheck(
            f"{where}: the first request was already refused ({result.refused_status}): the budget was spent "
            f"before the check (another client, or a run less than {limit.per_seconds} s ago); rerun later",
            ErrorReason.INCONCLUSIVE,
        )
    assert result.refused_status == 429, (
        f"{where}: refused with {result.refused_status} after {result.successes} requests, "
        "not 429 Too Many Requests"
    )
    assert result.successes >= limit.requests, (
        f"{where}: refused after only {result.successes} requests, below the promised {limit.requests} per "
        f"{limit.per_seconds} s (if this budget was used less than {limit.per_seconds} s ago, rerun)"
    )
    assert result.successes <= limit.requests + allowance, (
        f"{where}: {result.successes} requests served before the first 429, more than {limit.requests} "
        f"(+{allowance} refilled during the {result.elapsed_s:.2f} s burst)"
    )
    evidence.message = f"{where}: {result.successes} served, then 429 ({result.sent} requests sent)"


@pytest.mark.check(checks.RETRY_AFTER)
def test_429_carries_a_valid_retry_after(
    http: HttpProbe, limit: RateLimitSection, bound: int, evidence: EvidenceRecorder
) -> None:
    refusal = spend_budget(http, limit, bound).refusal
    assert refusal is not None
    raw = refusal.response.headers.get("retry-after")
    seconds = parse_retry_after(raw)
    evidence.record(
        expected=f"0..{limit.per_seconds} s", observed=raw, status=refusal.status, parsed_s=seconds
    )
    assert raw is not None, f"the {refusal.status} answer carries no Retry-After header"
    assert seconds is not None, f"Retry-After {raw!r} is neither delta-seconds nor an HTTP date"
    assert seconds <= limit.per_seconds + 1, (
        f"Retry-After {raw!r} asks for {seconds:g} s, longer than the {limit.per_seconds} s window"
    )
    evidence.message = f"{refusal.status} with Retry-After: {raw}"


@pytest.mark.check(checks.PER_IP)
def test_a_second_client_address_keeps_its_own_budget(
    http: HttpProbe, target: Target, limit: RateLimitSection, bound: int, evidence: EvidenceRecorder
) -> None:
    if limit.scope != "ip":
        pytest.skip(f"rate_limit.scope is {limit.scope!r}: one budget for all clients is what is promised")
    source, reason = alternate_source(target.base_url)
    if source is None:
        pytest.skip(f"cannot vary the client address: {reason}")
    spend_budget(http, limit, bound)
    spent_at = time.perf_counter()
    tries = min(3, limit.requests)
    with bound_probe(
        target.base_url, source, timeout_s=target.timeout_s, verify=target.ca_bundle or True
    ) as other:
        statuses = [send(other, limit).status for _ in range(tries)]
    first_status = send(http, limit).status
    # A shared bucket regains tokens while we probe (more on a loaded machine): only answers beyond what
    # it could have regained since the budget was spent prove a budget of the second address's own.
    regained = refill_allowance(time.perf_counter() - spent_at, limit)
    served = sum(200 <= s < 300 for s in statuses)
    served_total = served + (1 if 200 <= first_status < 300 else 0)
    evidence.record(
        expected=tries,
        observed=served,
        unit="requests",
        second_client=source,
        second_client_statuses=statuses,
        first_client_status_after=first_status,
        shared_bucket_could_regain=regained,
    )
    assert served == tries, (
        f"a client from {source} got {statuses} right after another address spent its budget: "
        "the budget is shared, not per IP"
    )
    if served_total <= regained:
        raise CouldNotCheck(
            f"{served_total} answers after the budget was spent, but a shared bucket could have regained "
            f"{regained} tokens meanwhile: inconclusive (the probe ran slowly; rerun on an idler machine)",
            ErrorReason.INCONCLUSIVE,
        )
    evidence.message = (
        f"{source} served {served}/{tries} right after the first client spent its budget "
        f"(a shared bucket could have regained {regained})"
    )


@pytest.mark.check(checks.SPOOFING)
def test_rotating_forwarded_for_does_not_reset_the_budget(
    http: HttpProbe, limit: RateLimitSection, bound: int, evidence: EvidenceRecorder
) -> None:
    spend_budget(http, limit, bound)
    tries = 6
    start = time.perf_counter()
    statuses = [send(http, limit, spoofed_headers(i)).status for i in range(tries)]
    allowance = refill_allowance(time.perf_counter() - start, limit)
    served = sum(200 <= s < 300 for s in statuses)
    evidence.record(
        expected=allowance, observed=served, unit="requests", op="<=", statuses=statuses, sent=tries
    )
    assert served <= allowance, (
        f"{served} of {tries} requests with a new X-Forwarded-For each were served right after the budget "
        "was spent: the limiter trusts client-supplied address headers"
    )
    evidence.message = f"{tries} requests with rotating X-Forwarded-For: {served} served"


@pytest.mark.check(checks.RECOVERY)
def test_access_returns_after_the_retry_after_wait(
    http: HttpProbe, limit: RateLimitSection, bound: int, evidence: EvidenceRecorder
) -> None:
    refusal = spend_budget(http, limit, bound).refusal
    assert refusal is not None
    raw = refusal.response.headers.get("retry-after")
    asked = parse_retry_after(raw)
    wait = asked if asked is not None and asked <= limit.per_seconds + 1 else float(limit.per_seconds)
    source = (
        "Retry-After" if asked is not None else f"no valid Retry-After, so one window ({limit.per_seconds} s)"
    )
    if wait > limit.max_wait_s:
        pytest.skip(
            f"waiting {wait:g} s ({source}) exceeds rate_limit.max_wait_s={limit.max_wait_s:g}; opt in with "
            f"--set rate_limit.max_wait_s={math.ceil(wait)}"
        )
    wait_seconds(wait + 0.1)
    after = send(http, limit)
    evidence.record(expected="2xx", observed=after.status, waited_s=round(wait + 0.1, 2), retry_after=raw)
    assert 200 <= after.status < 300, f"still refused ({after.status}) after waiting {wait:g} s ({source})"
    evidence.message = f"served again after waiting {wait:g} s ({source})"
