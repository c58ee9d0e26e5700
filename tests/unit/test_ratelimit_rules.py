"""Rate-limit probe rules: Retry-After parsing, the request bound, the refill tolerance, bursts."""

from __future__ import annotations

import datetime as dt

import httpx
import pytest

from stackcheck import CouldNotCheck, UsageError
from stackcheck.probes.http import HttpProbe
from stackcheck.probes.loopback import is_loopback_host, require_loopback
from stackcheck.probes.ratelimit import (
    burst,
    parse_retry_after,
    probe_bound,
    refill_allowance,
    spoofed_headers,
)
from stackcheck.probes.source import alternate_source
from stackcheck.profile.models import RateLimitSection

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
    ],
)
def test_retry_after_is_delta_seconds_or_http_date(value: str | None, seconds: float | None) -> None:
    assert parse_retry_after(value, NOW) == seconds


def test_bound_is_the_limit_plus_a_small_margin() -> None:
    assert probe_bound(RateLimitSection(requests=10)) == 15
    assert probe_bound(RateLimitSection(requests=100)) == 110
    assert probe_bound(RateLimitSection(requests=10, margin=2)) == 12
    with pytest.raises(UsageError, match="bound of 5000"):
        probe_bound(RateLimitSection(requests=6000))


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
