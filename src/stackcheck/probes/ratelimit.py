"""Bounded bursts against a rate-limited endpoint, and how to read what came back.

A burst sends requests one after another until the first refusal (any non-2xx answer) or until the bound
(``requests`` plus a small margin), never more. A token bucket refills while the burst runs, so a compliant
server may let through a few more than ``requests``: :func:`refill_allowance` is that tolerance.
"""

from __future__ import annotations

import datetime as dt
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime

from stackcheck._exceptions import CouldNotCheck, ErrorReason, UsageError
from stackcheck.probes.http import Exchange, HttpProbe
from stackcheck.profile.models import RateLimitSection
from stackcheck.wait import wait_until

__all__ = [
    "HARD_CAP",
    "SPOOF_HEADERS",
    "Burst",
    "burst",
    "parse_retry_after",
    "probe_bound",
    "refill_allowance",
    "send",
    "spoofed_headers",
    "wait_seconds",
]

HARD_CAP = 5000  # no probe sends more requests than this, whatever the profile says
SPOOF_HEADERS = ("X-Forwarded-For", "X-Real-IP", "True-Client-IP", "CF-Connecting-IP", "X-Client-IP")


@dataclass(frozen=True)
class Burst:
    """What one burst observed."""

    sent: int
    successes: int
    refusal: Exchange | None
    elapsed_s: float
    statuses: dict[int, int] = field(default_factory=dict)

    @property
    def refused_status(self) -> int | None:
        """Status of the first refusal, if the burst met one."""
        return self.refusal.status if self.refusal is not None else None


def probe_bound(limit: RateLimitSection) -> int:
    """Most requests one burst may send: ``requests`` plus the margin (5, or 10 % when larger)."""
    margin = limit.margin if limit.margin is not None else max(5, math.ceil(limit.requests * 0.1))
    bound = limit.requests + margin
    if bound > HARD_CAP:
        raise UsageError(
            f"rate_limit.requests={limit.requests} needs bursts of {bound} requests, above stackcheck's "
            f"bound of {HARD_CAP}",
            "verify such a limit with a dedicated load test",
        )
    return bound


def refill_allowance(elapsed_s: float, limit: RateLimitSection) -> int:
    """Tokens a bucket may regain while a probe of ``elapsed_s`` runs (plus one partly refilled token)."""
    return math.floor(elapsed_s * limit.requests / limit.per_seconds) + 1


def send(probe: HttpProbe, limit: RateLimitSection, headers: dict[str, str] | None = None) -> Exchange:
    """One probe request to the limited endpoint."""
    kwargs: dict[str, object] = {"headers": headers} if headers else {}
    if limit.method == "POST":
        kwargs["json"] = {}
    return probe.request(limit.method, limit.path, **kwargs)


def burst(
    probe: HttpProbe,
    limit: RateLimitSection,
    bound: int,
    headers_for: Callable[[int], dict[str, str]] | None = None,
) -> Burst:
    """Send up to ``bound`` requests, stopping at the first non-2xx answer.

    A first answer that is neither 2xx nor a refusal (404, a redirect) means the profile points at the wrong
    endpoint: that is :class:`CouldNotCheck`, not a verdict.
    """
    statuses: dict[int, int] = {}
    successes = 0
    start = time.perf_counter()
    for i in range(bound):
        exchange = send(probe, limit, headers_for(i) if headers_for else None)
        statuses[exchange.status] = statuses.get(exchange.status, 0) + 1
        if 200 <= exchange.status < 300:
            successes += 1
            continue
        if i == 0 and exchange.status not in (429, 503):
            raise CouldNotCheck(
                f"{limit.method} {limit.path} answered {exchange.status} before any limit applied: "
                "rate_limit.path must name an endpoint that answers 2xx",
                ErrorReason.MISCONFIGURED,
            )
        return Burst(i + 1, successes, exchange, time.perf_counter() - start, statuses)
    return Burst(bound, successes, None, time.perf_counter() - start, statuses)


def spoofed_headers(i: int) -> dict[str, str]:
    """Client-address headers naming a different documentation address (RFC 5737) on every request."""
    address = f"203.0.113.{(i % 250) + 1}"
    headers = {name: address for name in SPOOF_HEADERS}
    headers["Forwarded"] = f"for={address}"
    return headers


def parse_retry_after(value: str | None, now: dt.datetime | None = None) -> float | None:
    """Seconds a ``Retry-After`` value asks to wait (delta-seconds or HTTP-date), ``None`` if invalid.

    RFC 9110 §10.2.3: a non-negative integer, or an IMF-fixdate; anything else (``1.5``, ``-1``, ``soon``)
    is invalid. A date in the past means 0.
    """
    if value is None:
        return None
    text = value.strip()
    if text.isdigit():
        return float(int(text))
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    return max(0.0, (when - (now or dt.datetime.now(dt.UTC))).total_seconds())


def wait_seconds(seconds: float) -> None:
    """Let ``seconds`` pass without sending anything (honouring Retry-After), via the one waiting helper."""
    deadline = time.monotonic() + seconds
    wait_until(
        lambda: time.monotonic() >= deadline, timeout=seconds + 1, interval=min(0.2, max(seconds, 0.01))
    )
