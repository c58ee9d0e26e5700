"""Rate-limit probe rules: Retry-After parsing, the request bound, the refill tolerance, bursts."""

from __future__ import annotations

import datetime as dt
import math

import httpx
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from stackcheck import CouldNotCheck, UsageError
from stackcheck.probes.http import HttpProbe
from stackcheck.probes.loopback import is_loopback_host, require_loopback
from stackcheck.probes.ratelimit import (
    HELD_BACK_RUN,
    burst,
    delayed_run,
    held_back,
    over_budget,
    parse_retry_after,
    probe_bound,
    refill_allowance,
    spoofed_headers,
)
from stackcheck.probes.ratelimit_budget import Budget, PerIp, per_ip_verdict
from stackcheck.probes.source import alternate_source, alternate_sources
from stackcheck.profile.models import RateLimit, RateLimitSection

NOW = dt.datetime(2026, 11, 23, 12, 0, 0, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    ("value", "seconds"),
    [
        ("120", 120.0),
        (" 0 ", 0.0),
        ("Mon, 23 Nov 2026 12:00:30 GMT", 30.0),
        ("Mon, 23 Nov 2026 11:00:00 GMT", 0.0),  # in the past: retry now
        ("1.5", None),
        ("-1", None),
        ("soon", None),
        ("", None),
        (None, None),
        ("\u0661", None),  # ARABIC-INDIC DIGIT ONE: str.isdigit() says yes, RFC 9110 DIGIT says no
        ("\u00b2", None),  # SUPERSCRIPT TWO: isdigit() yes, int() raises
        ("\uff11\uff10", None),  # FULLWIDTH DIGITS
        ("1\u0660", None),
        ("+5", None),
        ("5 s", None),
        ("9" * 400, math.inf),  # valid grammar, longer than any window: a failed check, never an error
        ("0" * 30 + "7", 7.0),
        ("Mon, 23 Nov 99999 12:00:30 GMT", None),
    ],
)
def test_retry_after_is_delta_seconds_or_http_date(value: str | None, seconds: float | None) -> None:
    assert parse_retry_after(value, NOW) == seconds


def test_bound_is_the_limit_plus_a_small_margin() -> None:
    assert probe_bound(RateLimitSection(requests=10)) == 15
    assert probe_bound(RateLimitSection(requests=100)) == 110
    assert probe_bound(RateLimitSection(requests=10, margin=2)) == 12


def test_a_burst_above_max_requests_is_refused_naming_the_key_to_raise() -> None:
    assert over_budget(RateLimitSection(requests=1000), "rate_limit") is None  # 1100: the default cap
    reason = over_budget(RateLimit(requests=1200), "rate_limit.also[1]")
    assert reason is not None
    assert "up to 1320 requests, more than rate_limit.also[1].max_requests=1100: raise it to 1320" in reason
    assert over_budget(RateLimit(requests=1200, max_requests=1320), "rate_limit") is None
    beyond = over_budget(RateLimitSection(requests=6000, max_requests=5000), "rate_limit")
    assert beyond is not None and "bound of 5000" in beyond and "dedicated load test" in beyond


def test_refill_allowance_grows_with_the_time_the_burst_took() -> None:
    limit = RateLimitSection(requests=60, per_seconds=60)  # one token per second
    assert refill_allowance(0.05, limit) == 1
    assert refill_allowance(2.5, limit) == 3


def _probe(statuses: list[int]) -> tuple[HttpProbe, list[httpx.Request]]:
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(statuses[min(len(seen), len(statuses)) - 1])

    return HttpProbe("http://127.0.0.1:1", transport=httpx.MockTransport(handler)), seen


def test_burst_stops_at_the_first_refusal_and_never_exceeds_the_bound() -> None:
    probe, seen = _probe([200] * 3 + [429])
    result = burst(probe, RateLimitSection(requests=3, path="/x"), bound=8)
    assert (result.successes, result.refused_status, result.sent, len(seen)) == (3, 429, 4, 4)
    probe, seen = _probe([200])
    assert burst(probe, RateLimitSection(requests=3), bound=8).refusal is None and len(seen) == 8


def test_a_wrong_path_is_could_not_check_not_a_verdict() -> None:
    probe, _ = _probe([404])
    with pytest.raises(CouldNotCheck, match="answered 404 before any limit"):
        burst(probe, RateLimitSection(requests=3, path="/nope"), bound=5)


def test_a_keyed_burst_carries_its_key_and_a_refused_key_says_so() -> None:
    keyed = RateLimit(requests=3, scope="header", header="X-API-Key", path="/api")
    probe, seen = _probe([200] * 3 + [429])
    budget = Budget(probe, keyed, bound=8, headers={"X-API-Key": "k1"})
    assert budget.first().successes == 3
    assert {r.headers["x-api-key"] for r in seen} == {"k1"}
    probe, _ = _probe([401])
    with pytest.raises(CouldNotCheck, match=r"answered 401 to a request carrying X-API-Key .* key_values"):
        Budget(probe, keyed, bound=8, headers={"X-API-Key": "unknown"}).first()


def test_spoofed_headers_rotate_documentation_addresses() -> None:
    first, second = spoofed_headers(0), spoofed_headers(1)
    assert first["X-Forwarded-For"] == "203.0.113.1" and second["X-Forwarded-For"] == "203.0.113.2"
    assert first["Forwarded"] == "for=203.0.113.1"


def test_only_loopback_targets_are_probed_without_allow_remote() -> None:
    assert is_loopback_host("127.0.0.1") and is_loopback_host("[::1]") and is_loopback_host("localhost")
    assert not is_loopback_host("192.0.2.1") and not is_loopback_host("no-such-host.invalid")
    require_loopback("https://127.0.0.5:8443", False, "probe")
    require_loopback("https://192.0.2.1", True, "probe")
    with pytest.raises(UsageError, match="--allow-remote"):
        require_loopback("https://192.0.2.1", False, "the rate-limit probe")


def test_second_source_address_only_for_ipv4_loopback_literals() -> None:
    assert alternate_source("https://127.0.0.1:8443") == ("127.0.0.2", "")
    assert alternate_source("https://127.0.0.2:8443")[0] == "127.0.0.3"
    assert alternate_source("https://localhost:8443")[0] is None
    assert "not an IPv4 loopback" in alternate_source("https://[::1]:8443")[1]


@settings(deadline=None)  # a loaded machine must not fail a pure rule
@given(st.text(max_size=60))
def test_retry_after_never_raises_and_accepts_only_ascii_digits_or_dates(value: str) -> None:
    seconds = parse_retry_after(value, NOW)
    if seconds is not None and value.strip(" \t").isdigit():
        assert value.strip(" \t").isascii()
    assert seconds is None or seconds >= 0


@settings(deadline=None)
@given(st.integers(min_value=0, max_value=10**12 - 1))
def test_every_ascii_delta_seconds_is_read_exactly(seconds: int) -> None:
    assert parse_retry_after(str(seconds), NOW) == float(seconds)


def test_answers_held_back_to_the_rate_are_delaying() -> None:
    # 10 per 1 s promised: one token each 100 ms; the limiter answers the first at once, then paces.
    limit = RateLimitSection(requests=10, per_seconds=1)
    assert delayed_run([12.0] + [98.0] * HELD_BACK_RUN, limit)
    assert not delayed_run([12.0] + [98.0] * (HELD_BACK_RUN - 1), limit)  # not enough in a row yet
    assert not delayed_run([12.0, 98.0, 98.0, 13.0, 98.0, 98.0, 98.0], limit)  # one came at once


def test_uniformly_slow_answers_are_not_delaying() -> None:
    # A loaded machine: every answer slow alike. Slow is not held back.
    limit = RateLimitSection(requests=10, per_seconds=1)
    assert not delayed_run([60.0, 70.0, 65.0, 80.0, 75.0, 90.0], limit)


def test_held_back_needs_half_an_interval_and_three_times_the_fastest() -> None:
    limit = RateLimitSection(requests=60, per_seconds=60)  # one token per second
    assert held_back(600, 10, limit)
    assert not held_back(400, 10, limit)  # under half an interval
    assert not held_back(600, 250, limit)  # about as slow as the fastest answer


ONE_PER_S = RateLimitSection(requests=1, per_seconds=1)
TEN_PER_10S = RateLimitSection(requests=10, per_seconds=10)


def test_a_second_address_served_once_then_refused_is_its_own_small_budget() -> None:
    # nginx rate=1r/s without burst: the second address gets 200, 429 -- its own budget of one, not shared.
    reading = per_ip_verdict([("127.0.0.2", [200, 429]), ("127.0.0.3", [200, 429])], 429, 0.05, TEN_PER_10S)
    assert reading.verdict is PerIp.SEPARATE and reading.served == 2 and reading.could_regain == 1


def test_a_fresh_address_refused_on_its_first_request_is_a_shared_budget() -> None:
    assert per_ip_verdict([("127.0.0.2", [429])], 429, 0.05, ONE_PER_S).verdict is PerIp.SHARED
    # A lucky token regained by the shared bucket does not hide it: the next fresh address is refused.
    reading = per_ip_verdict([("127.0.0.2", [200, 429]), ("127.0.0.3", [429])], 429, 0.05, ONE_PER_S)
    assert reading.verdict is PerIp.SHARED and reading.refused_first == "127.0.0.3"


def test_served_answers_a_shared_bucket_could_have_regained_are_inconclusive() -> None:
    # One address, one answer, and a shared bucket could have regained one token: no proof either way.
    assert per_ip_verdict([("127.0.0.2", [200])], 429, 0.05, ONE_PER_S).verdict is PerIp.INCONCLUSIVE
    # The probe took 3 s: a shared 1/s bucket could have handed out 4.
    slow = per_ip_verdict([("127.0.0.2", [200, 200, 200])], 429, 3.0, ONE_PER_S)
    assert slow.verdict is PerIp.INCONCLUSIVE and slow.could_regain == 4


def test_a_target_that_never_refuses_is_burst_at_once_per_run() -> None:
    probe, seen = _probe([200])
    budget = Budget(probe, RateLimitSection(requests=10), bound=15)
    assert budget.first().refusal is None
    for _ in range(4):  # the follow-up checks
        assert budget.spend().refusal is None
    assert len(seen) == 15 and budget.bursts == 1


def test_after_a_refusal_later_checks_top_the_budget_up_with_a_few_requests() -> None:
    answers = [200] * 10 + [429] + [429] + [200, 429] + [429]
    probe, seen = _probe(answers)
    budget = Budget(probe, RateLimitSection(requests=10), bound=15)
    assert budget.first().successes == 10 and len(seen) == 11
    assert budget.spend() is budget.first() and len(seen) == 11  # the first refusal, handed out once
    assert budget.spend().sent == 1 and len(seen) == 12  # topped up: refused at once
    assert budget.spend().sent == 2 and len(seen) == 14  # one token regained meanwhile


def test_a_top_up_may_meet_the_first_refusal_status_even_when_it_is_not_429() -> None:
    probe, seen = _probe([200, 403, 403])
    budget = Budget(probe, RateLimitSection(requests=1), bound=6)
    assert budget.first().refused_status == 403
    budget.spend()
    assert budget.spend().refused_status == 403 and len(seen) == 3


def test_several_alternate_sources_on_loopback() -> None:
    sources, reason = alternate_sources("https://127.0.0.1:8443")
    assert sources == ["127.0.0.2", "127.0.0.3"] and reason == ""
    assert alternate_sources("https://127.0.0.2:8443")[0] == ["127.0.0.3", "127.0.0.4"]
    assert alternate_sources("https://localhost:8443")[0] == []
