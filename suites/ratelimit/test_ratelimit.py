"""Suite ``ratelimit``: the promised request budgets, measured with bounded bursts, one limit at a time.

The profile's limits (``rate_limit`` and each of ``rate_limit.also``) are planned once
(:func:`~stackcheck.probes.ratelimit_plan.plan_limits`): with more than one, every check runs once per limit,
its subject the limit's name or path. A limit that cannot be measured (its burst needs more than
``max_requests``, or a tighter limit on the same endpoint refuses first) has every check skipped, saying why.

Per limit, the first burst decides what the target does with excess requests (refuse, hold back, serve
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
    refill_allowance,
    send,
    spoofed_headers,
    wait_seconds,
)
from stackcheck.probes.ratelimit_budget import Budget, PerIp, per_ip_verdict
from stackcheck.probes.ratelimit_plan import LimitUnderTest, plan_limits
from stackcheck.probes.source import alternate_sources, bound_probe
from stackcheck.testing import (
    CouldNotCheck,
    ErrorReason,
    EvidenceRecorder,
    HttpProbe,
    Profile,
    RateLimit,
    Settings,
    Target,
    profile_of,
    require,
)


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    profile = profile_of(metafunc.config)
    if "limit_key" not in metafunc.fixturenames or profile is None or profile.rate_limit is None:
        return
    limits = profile.rate_limit.limits()
    if len(limits) > 1:  # one limit keeps the results it always had: no subject
        metafunc.parametrize("limit_key", [k for k, _ in limits], ids=[lim.label for _, lim in limits])


@pytest.fixture
def limit_key() -> str:
    """Replaced by one parameter per limit when the profile has several; else the one ``rate_limit``."""
    return "rate_limit"


@pytest.fixture(scope="session")
def plan(profile: Profile, settings: Settings, target: Target) -> dict[str, LimitUnderTest]:
    """Every limit of the profile as the suite measures it; refuses non-loopback targets without
    ``--allow-remote``."""
    section = require(profile.rate_limit, "profile has no `rate_limit` section")
    require_loopback(target.base_url, settings.allow_remote, "the rate-limit probe")
    return {planned.key: planned for planned in plan_limits(section, settings.environ)}


@pytest.fixture
def under_test(plan: dict[str, LimitUnderTest], limit_key: str) -> LimitUnderTest:
    """This check's limit; skipped (with the reason) when the plan says it cannot be measured."""
    planned = plan[limit_key]
    if planned.skip is not None:
        pytest.skip(planned.skip)
    return planned


@pytest.fixture
def limit(under_test: LimitUnderTest) -> RateLimit:
    """This check's limit as the profile wrote it."""
    return under_test.limit


@pytest.fixture(scope="session")
def budgets() -> dict[str, Budget]:
    """The run's observation of each limit (by profile key), shared by every check of the suite."""
    return {}


@pytest.fixture
def budget(budgets: dict[str, Budget], http: HttpProbe, under_test: LimitUnderTest) -> Budget:
    """This limit's one observation (made on first use); a keyed limit's bursts carry the first key."""
    if under_test.key not in budgets:
        budgets[under_test.key] = Budget(http, under_test.limit, under_test.bound, under_test.headers(0))
    return budgets[under_test.key]


def _where(under_test: LimitUnderTest) -> str:
    """``GET /api/v1/items with X-API-Key #1``: the endpoint and, for a keyed limit, which key."""
    limit = under_test.limit
    key = f" with {under_test.key_name(0)}" if under_test.key_values else ""
    return f"{limit.method} {limit.path}{key}"


def _pacing(result: Burst, limit: RateLimit) -> str:
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
    budget: Budget, under_test: LimitUnderTest, evidence: EvidenceRecorder
) -> None:
    limit, bound = under_test.limit, budget.bound
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
        **({"key": under_test.key_name(0)} if under_test.key_values else {}),
    )
    where = _where(under_test)
    if result.delayed:
        evidence.record(observed="delayed", latencies_ms=list(result.latencies_ms), unit=None, op=None)
        pacing = f"{where}: {_pacing(result, limit)} ({result.sent} requests sent)"
        if limit.accept_delaying:
            accepted = f"{under_test.key}.accept_delaying"
            evidence.message = f"{pacing}: the limiter delays excess requests ({accepted})"
            return
        raise AssertionError(
            f"{pacing}: the limiter delays excess requests instead of refusing them with 429 (nginx "
            f"limit_req burst without nodelay); set {under_test.key}.accept_delaying: true if pacing "
            "satisfies the claim"
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
    budget: Budget, limit: RateLimit, evidence: EvidenceRecorder
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
    budget: Budget, http: HttpProbe, target: Target, under_test: LimitUnderTest, evidence: EvidenceRecorder
) -> None:
    limit = under_test.limit
    if limit.scope != "ip":
        whose = "one budget for all clients" if limit.scope == "global" else f"a budget per {limit.header}"
        pytest.skip(f"{under_test.key}.scope is {limit.scope!r}: {whose} is what is promised, not one per IP")
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


@pytest.mark.check(checks.PER_KEY)
def test_a_second_api_key_keeps_its_own_budget(
    budget: Budget, http: HttpProbe, under_test: LimitUnderTest, evidence: EvidenceRecorder
) -> None:
    limit = under_test.limit
    if limit.scope != "header":
        pytest.skip(f"{under_test.key}.scope is {limit.scope!r}: the budget is not keyed by a header")
    spent = spend_budget(budget)
    first, second = under_test.key_name(0), under_test.key_name(1)
    tries = min(3, limit.requests)
    statuses: list[int] = []
    for _ in range(tries):  # until the second key's own budget (however small) refuses
        statuses.append(send(http, limit, under_test.headers(1)).status)
        if not 200 <= statuses[-1] < 300:
            break
    control = send(http, limit, under_test.headers(0)).status
    reading = per_ip_verdict([(second, statuses)], control, time.perf_counter() - spent.ended_at, limit)
    evidence.record(
        expected=f"> {reading.could_regain}",
        observed=reading.served,
        unit="requests",
        header=limit.header,
        second_key_statuses=statuses,
        first_key_status_after=control,
        shared_bucket_could_regain=reading.could_regain,
        verdict=str(reading.verdict),
    )
    refused_with = spent.refused_status
    if statuses[0] != refused_with and not 200 <= statuses[0] < 300:
        raise CouldNotCheck(
            f"{second} was answered {statuses[0]} on its first request (the limit refuses with "
            f"{refused_with}): the service does not accept it as a key; give two keys it accepts in "
            f"{under_test.key}.key_values",
            ErrorReason.MISCONFIGURED,
        )
    assert reading.verdict is not PerIp.SHARED, (
        f"{second} was refused ({statuses[0]}) on its very first request right after {first} spent its "
        f"budget on {limit.method} {limit.path}: the budget is not kept per {limit.header} (one bucket for "
        "every key, or keyed by client address)"
    )
    if reading.verdict is PerIp.INCONCLUSIVE:
        raise CouldNotCheck(
            f"{reading.served} answers after {first}'s budget was spent ({second}: {statuses}), but a shared "
            f"bucket could have regained {reading.could_regain} tokens meanwhile: inconclusive (the probe "
            "ran slowly; rerun on an idler machine)",
            ErrorReason.INCONCLUSIVE,
        )
    evidence.message = (
        f"{second} served right after {first} spent its budget ({statuses}): {reading.served} answers, more "
        f"than the {reading.could_regain} a shared bucket could have regained"
    )


GRANULARITY_S = 1.0  # of Retry-After (delta-seconds and HTTP-dates alike)


def _raise(key: str, field: str, value: int) -> str:
    """How to raise ``key.field``: ``--set`` reaches the first limit; a limit of ``also`` is edited."""
    if key == "rate_limit":
        return f"--set rate_limit.{field}={value}"
    return f"set {key}.{field}: {value} in the profile"


def _probe_address(target: Target) -> str:
    host = urlsplit(target.base_url).hostname or ""
    return host if host.replace(".", "").isdigit() else "the probe's own address"


@pytest.mark.check(checks.SPOOFING)
def test_rotating_forwarded_for_does_not_reset_the_budget(
    budget: Budget, http: HttpProbe, target: Target, under_test: LimitUnderTest, evidence: EvidenceRecorder
) -> None:
    limit = under_test.limit
    spend_budget(budget)
    tries = 6
    start = time.perf_counter()
    statuses = [send(http, limit, under_test.headers(0, spoofed_headers(i))).status for i in range(tries)]
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
    budget: Budget, http: HttpProbe, under_test: LimitUnderTest, evidence: EvidenceRecorder
) -> None:
    limit = under_test.limit
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
            f"waiting {shown} ({source[:80]}) exceeds {under_test.key}.max_wait_s={limit.max_wait_s:g}"
            + (f"; opt in: {_raise(under_test.key, 'max_wait_s', math.ceil(wait))}" if wait <= 3600 else "")
        )
    started = time.monotonic()
    # Retry-After counts whole seconds and libraries truncate what remains (Flask-Limiter sends
    # int(reset - now), up to 1 s short): one second more is that granularity, not a tolerance for lies.
    wait_seconds(wait + GRANULARITY_S)
    waited = time.monotonic() - started
    after = send(http, limit, under_test.headers(0))
    evidence.record(
        expected="2xx", observed=after.status, waited_s=round(waited, 2), asked_s=wait, retry_after=raw
    )
    assert 200 <= after.status < 300, (
        f"still refused ({after.status}) after waiting {waited:.1f} s ({source})"
    )
    evidence.message = f"served again after waiting {waited:.1f} s ({source})"
