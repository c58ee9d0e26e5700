"""Suite ``ratelimit``: the promised request budget per client, measured with bounded bursts.

The first burst of the run decides what the target does with excess requests (refuse, hold back, serve
all); the other checks reuse that observation (:class:`~stackcheck.probes.ratelimit_budget.Budget`): a
target that refuses nothing is never burst at again, one that refuses only has its budget topped up. The
tests run in this order on purpose: ``enforced`` spends the budget, the next ones only need the refusal or
a few requests, and ``recovery`` (which waits for the budget to come back) runs last.
"""

from __future__ import annotations

import math
import time
from urllib.parse import urlsplit

import pytest

from stackcheck.catalog import ratelimit as checks
from stackcheck.probes.loopback import require_loopback
from stackcheck.probes.ratelimit import (
    SPOOF_HEADERS,
    Burst,
    parse_retry_after,
    probe_bound,
    refill_allowance,
    send,
    spoofed_headers,
    wait_seconds,
)
from stackcheck.probes.ratelimit_budget import Budget, PerIp, per_ip_verdict
from stackcheck.probes.source import alternate_sources, bound_probe
from stackcheck.testing import (
    CouldNotCheck,
    ErrorReason,
    EvidenceRecorder,
    HttpProbe,
    Profile,
    RateLimitSection,
    Settings,
    Target,
    require,
)


@pytest.fixture(scope="session")
def limit(profile: Profile) -> RateLimitSection:
    """The profile's ``rate_limit`` section (the plugin already skipped the check when it is absent)."""
    return require(profile.rate_limit, "profile has no `rate_limit` section")


@pytest.fixture(scope="session")
def bound(settings: Settings, target: Target, limit: RateLimitSection) -> int:
    """Most requests one burst may send; refuses non-loopback targets without ``--allow-remote``."""
    require_loopback(target.base_url, settings.allow_remote, "the rate-limit probe")
    return probe_bound(limit)


@pytest.fixture(scope="session")
def budget(http: HttpProbe, limit: RateLimitSection, bound: int) -> Budget:
    """The run's one observation of the limit, shared by every check of the suite."""
    return Budget(http, limit, bound)


def _pacing(result: Burst, limit: RateLimitSection) -> str:
    return (
        f"answers held back to about one per {result.held_ms / 1000:.2f} s (the last ones took "
        f"{result.held_ms:.0f} ms each, the fastest {result.first_ms:.0f} ms), none refused"
    )


def spend_budget(budget: Budget) -> Burst:
    """A burst that just met a refusal; skip when the run's first burst met none (``enforced`` says why)."""
    spent = budget.spend()
    if spent.refusal is None:
        what = (
            "the limiter holds excess requests back instead of refusing them"
            if spent.delayed
            else f"no request was refused within {spent.sent}"
        )
        pytest.skip(f"{what}: no refusal to examine (see ratelimit.enforced; no further requests sent)")
    return spent


@pytest.mark.check(checks.ENFORCED)
def test_first_requests_succeed_and_the_next_is_refused_with_429(
    budget: Budget, limit: RateLimitSection, bound: int, evidence: EvidenceRecorder
) -> None:
    result = budget.first()
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
        delayed=result.delayed,
    )
    where = f"{limit.method} {limit.path}"
    if result.delayed:
        evidence.record(observed="delayed", latencies_ms=list(result.latencies_ms), unit=None, op=None)
        pacing = f"{where}: {_pacing(result, limit)} ({result.sent} requests sent)"
        if limit.accept_delaying:
            evidence.message = f"{pacing}: the limiter delays excess requests (rate_limit.accept_delaying)"
            return
        raise AssertionError(
            f"{pacing}: the limiter delays excess requests instead of refusing them with 429 (nginx "
            "limit_req burst without nodelay); set rate_limit.accept_delaying: true if pacing satisfies "
            "the claim"
        )
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
    budget: Budget, limit: RateLimitSection, evidence: EvidenceRecorder
) -> None:
    first = budget.first()  # the refusal's headers are all this check reads: no request of its own
    if first.refusal is None:
        spend_budget(budget)
    refusal = first.refusal
    assert refusal is not None
    raw = refusal.response.headers.get("retry-after")
    seconds = parse_retry_after(raw)
    evidence.record(
        expected=f"0..{limit.per_seconds} s",
        observed=raw,
        status=refusal.status,
        parsed_s=seconds if seconds is None or math.isfinite(seconds) else "unbounded",
    )
    assert raw is not None, f"the {refusal.status} answer carries no Retry-After header"
    assert seconds is not None, (
        f"Retry-After {raw!r} is neither delta-seconds (ASCII digits only, RFC 9110) nor an HTTP date"
    )
    asked = f"{seconds:g} s" if math.isfinite(seconds) else f"{len(raw.strip())} digits of seconds"
    assert seconds <= limit.per_seconds + 1, (
        f"Retry-After {raw[:40]!r} asks for {asked}, longer than the {limit.per_seconds} s window"
    )
    evidence.message = f"{refusal.status} with Retry-After: {raw}"


@pytest.mark.check(checks.PER_IP)
def test_a_second_client_address_keeps_its_own_budget(
    budget: Budget, http: HttpProbe, target: Target, limit: RateLimitSection, evidence: EvidenceRecorder
) -> None:
    if limit.scope != "ip":
        pytest.skip(f"rate_limit.scope is {limit.scope!r}: one budget for all clients is what is promised")
    sources, reason = alternate_sources(target.base_url)
    if not sources:
        pytest.skip(f"cannot vary the client address: {reason}")
    spent_at = spend_budget(budget).ended_at
    tries = min(3, limit.requests)
    rounds: list[tuple[str, list[int]]] = []
    for source in sources:
        with bound_probe(
            target.base_url, source, timeout_s=target.timeout_s, verify=target.ca_bundle or True
        ) as other:
            statuses: list[int] = []
            for _ in range(tries):  # until this address's own budget (however small) refuses
                statuses.append(send(other, limit).status)
                if not 200 <= statuses[-1] < 300:
                    break
        rounds.append((source, statuses))
        reading = per_ip_verdict(rounds, 0, time.perf_counter() - spent_at, limit)
        if reading.verdict is not PerIp.INCONCLUSIVE:
            break  # decided: no need for a further address
    control = send(http, limit).status
    # A shared bucket regains tokens while we probe (more on a loaded machine): only answers beyond what it
    # could have regained since the budget was spent prove budgets of their own.
    reading = per_ip_verdict(rounds, control, time.perf_counter() - spent_at, limit)
    shown = ", ".join(f"{source}: {statuses}" for source, statuses in rounds)
    evidence.record(
        expected=f"> {reading.could_regain}",
        observed=reading.served,
        unit="requests",
        second_client=rounds[0][0],
        second_client_statuses=rounds[0][1],
        other_clients={source: statuses for source, statuses in rounds},
        first_client_status_after=control,
        shared_bucket_could_regain=reading.could_regain,
        verdict=str(reading.verdict),
    )
    assert reading.verdict is not PerIp.SHARED, (
        f"a client from {reading.refused_first} was refused on its very first request right after another "
        f"address spent its budget ({shown}): the budget is shared, not per IP"
    )
    if reading.verdict is PerIp.INCONCLUSIVE:
        raise CouldNotCheck(
            f"{reading.served} answers after the budget was spent ({shown}), but a shared bucket could have "
            f"regained {reading.could_regain} tokens meanwhile: inconclusive (the probe ran slowly; rerun on "
            "an idler machine)",
            ErrorReason.INCONCLUSIVE,
        )
    evidence.message = (
        f"fresh addresses served right after the first client spent its budget ({shown}): {reading.served} "
        f"answers, more than the {reading.could_regain} a shared bucket could have regained"
    )


GRANULARITY_S = 1.0  # of Retry-After (delta-seconds and HTTP-dates alike)


def _probe_address(target: Target) -> str:
    host = urlsplit(target.base_url).hostname or ""
    return host if host.replace(".", "").isdigit() else "the probe's own address"


@pytest.mark.check(checks.SPOOFING)
def test_rotating_forwarded_for_does_not_reset_the_budget(
    budget: Budget, http: HttpProbe, target: Target, limit: RateLimitSection, evidence: EvidenceRecorder
) -> None:
    spend_budget(budget)
    tries = 6
    start = time.perf_counter()
    statuses = [send(http, limit, spoofed_headers(i)).status for i in range(tries)]
    allowance = refill_allowance(time.perf_counter() - start, limit)
    served = sum(200 <= s < 300 for s in statuses)
    source = _probe_address(target)
    evidence.record(
        expected=allowance,
        observed=served,
        unit="requests",
        op="<=",
        statuses=statuses,
        sent=tries,
        probe_address=source,
        headers=[*SPOOF_HEADERS, "Forwarded"],
    )
    assert served <= allowance, (
        f"the target trusts X-Forwarded-For (or a similar header) from the probe's own address {source} as "
        f"a proxy's: {served} of {tries} requests, each naming a new client address, were served right "
        "after the budget was spent, so any client connecting from there resets its budget by rotating the "
        "header (nginx set_real_ip_from, or uvicorn's --forwarded-allow-ips, which trusts 127.0.0.1 by "
        "default; or a proxy in front that passes the client's own header on, as nginx "
        "proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for does, to an app that trusts the proxy)"
    )
    evidence.message = f"{tries} requests with rotating X-Forwarded-For from {source}: {served} served"


@pytest.mark.check(checks.RECOVERY)
def test_access_returns_after_the_retry_after_wait(
    budget: Budget, http: HttpProbe, limit: RateLimitSection, evidence: EvidenceRecorder
) -> None:
    refusal = spend_budget(budget).refusal
    assert refusal is not None
    raw = refusal.response.headers.get("retry-after")
    asked = parse_retry_after(raw)
    if asked is not None:
        # Honoured even when longer than the window: a limiter that counts refused requests too (HAProxy's
        # sc_http_req_rate) honestly asks for more (ratelimit.retry_after judges the length).
        wait, source = asked, f"Retry-After: {raw}"
        if asked > limit.per_seconds + 1:
            source += f", longer than the {limit.per_seconds} s window"
    else:
        wait = float(limit.per_seconds)
        source = f"no valid Retry-After, so one window ({limit.per_seconds} s)"
    if wait > limit.max_wait_s:
        shown = f"{wait:g} s" if math.isfinite(wait) else "longer than any window"
        pytest.skip(
            f"waiting {shown} ({source[:80]}) exceeds rate_limit.max_wait_s={limit.max_wait_s:g}"
            + (f"; opt in with --set rate_limit.max_wait_s={math.ceil(wait)}" if wait <= 3600 else "")
        )
    started = time.monotonic()
    # Retry-After counts whole seconds and libraries truncate what remains (Flask-Limiter sends
    # int(reset - now), up to 1 s short): one second more is that granularity, not a tolerance for lies.
    wait_seconds(wait + GRANULARITY_S)
    waited = time.monotonic() - started
    after = send(http, limit)
    evidence.record(
        expected="2xx", observed=after.status, waited_s=round(waited, 2), asked_s=wait, retry_after=raw
    )
    assert 200 <= after.status < 300, (
        f"still refused ({after.status}) after waiting {waited:.1f} s ({source})"
    )
    evidence.message = f"served again after waiting {waited:.1f} s ({source})"
