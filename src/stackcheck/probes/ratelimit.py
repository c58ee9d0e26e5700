"""Bounded bursts against a rate-limited endpoint, and how to read what came back.

A burst sends requests one after another until the first refusal (any non-2xx answer) or until the bound
(``requests`` plus a small margin), never more. A token bucket refills while the burst runs, so a compliant
server may let through a few more than ``requests``: :func:`refill_allowance` is that tolerance.

Some limiters hold excess requests back instead of refusing them (nginx ``limit_req burst=N`` without
``nodelay``): every answer then arrives about one refill interval after the previous one. A burst
recognises that (:data:`HELD_BACK_RUN` answers in a row held back, see :func:`held_back`) and stops early:
the observation is "delayed", not "refills faster than the probe can spend it".
"""

from __future__ import annotations

import datetime as dt
import math
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime

from stackcheck._exceptions import CouldNotCheck, ErrorReason
from stackcheck.probes.http import Exchange, HttpProbe
from stackcheck.profile.ratelimit import HARD_CAP, RateLimit
from stackcheck.wait import wait_until

__all__ = [
    "HARD_CAP",
    "HELD_BACK_RUN",
    "SPOOF_HEADERS",
    "Burst",
    "burst",
    "delayed_run",
    "held_back",
    "over_budget",
    "parse_retry_after",
    "probe_bound",
    "refill_allowance",
    "send",
    "spoofed_headers",
    "wait_seconds",
]

HELD_BACK_RUN = 4  # answers in a row held back that make a burst "delayed" (and stop it)
_DELTA_SECONDS = re.compile(r"[0-9]+", re.ASCII)  # RFC 9110: delta-seconds = 1*DIGIT (ASCII digits only)
_MAX_DIGITS = 12  # more digits than this is longer than any window (31,000 years): no need to convert
SPOOF_HEADERS = ("X-Forwarded-For", "X-Real-IP", "True-Client-IP", "CF-Connecting-IP", "X-Client-IP")


@dataclass(frozen=True)
class Burst:
    """What one burst observed."""

    sent: int
    successes: int
    refusal: Exchange | None
    elapsed_s: float
    statuses: dict[int, int] = field(default_factory=dict)
    latencies_ms: tuple[float, ...] = ()
    delayed: bool = False  # no refusal: the last HELD_BACK_RUN answers were held back (see held_back)
    ended_at: float = 0.0  # time.perf_counter() when the last answer arrived

    @property
    def refused_status(self) -> int | None:
        """Status of the first refusal, if the burst met one."""
        return self.refusal.status if self.refusal is not None else None

    @property
    def first_ms(self) -> float:
        """Latency of the fastest answer (the reference an answer held back is compared with)."""
        return min(self.latencies_ms, default=0.0)

    @property
    def held_ms(self) -> float:
        """Median latency of the last HELD_BACK_RUN answers."""
        tail = sorted(self.latencies_ms[-HELD_BACK_RUN:])
        return tail[len(tail) // 2] if tail else 0.0


def probe_bound(limit: RateLimit) -> int:
    """Requests one burst of ``limit`` sends at most: ``requests`` plus the margin (5, or 10 % when larger).

    Whether that is allowed is :func:`over_budget`'s question (``max_requests``, at most :data:`HARD_CAP`).
    """
    margin = limit.margin if limit.margin is not None else max(5, math.ceil(limit.requests * 0.1))
    return limit.requests + margin


def over_budget(limit: RateLimit, key: str) -> str | None:
    """Why a burst of ``limit`` (written at profile key ``key``) may not be sent, or ``None`` when it may."""
    bound = probe_bound(limit)
    if bound <= limit.max_requests:
        return None
    if bound > HARD_CAP:
        return (
            f"measuring {limit.requests} per {limit.per_seconds} s takes bursts of {bound} requests, above "
            f"stackcheck's bound of {HARD_CAP}: verify such a limit with a dedicated load test"
        )
    return (
        f"measuring {limit.requests} per {limit.per_seconds} s takes bursts of up to {bound} requests, "
        f"more than {key}.max_requests={limit.max_requests}: raise it to {bound} to send them"
    )


def refill_allowance(elapsed_s: float, limit: RateLimit) -> int:
    """Tokens a bucket may regain while a probe of ``elapsed_s`` runs (plus one partly refilled token)."""
    return math.floor(elapsed_s * limit.requests / limit.per_seconds) + 1


def send(probe: HttpProbe, limit: RateLimit, headers: dict[str, str] | None = None) -> Exchange:
    """One probe request to the limited endpoint."""
    kwargs: dict[str, object] = {"headers": headers} if headers else {}
    if limit.method == "POST":
        kwargs["json"] = {}
    return probe.request(limit.method, limit.path, **kwargs)


def held_back(latency_ms: float, fastest_ms: float, limit: RateLimit) -> bool:
    """Whether an answer was held back by a pacing limiter rather than merely slow.

    Held back: it took at least half a refill interval (``per_seconds / requests``) and at least three times
    the fastest answer of the burst. A server that is slow because the machine is loaded is slow on every
    answer alike, so the second condition keeps it from looking like a limiter that delays.
    """
    interval_ms = 1000 * limit.per_seconds / limit.requests
    return latency_ms >= 0.5 * interval_ms and latency_ms >= 3 * fastest_ms


def delayed_run(latencies_ms: Sequence[float], limit: RateLimit) -> bool:
    """Whether the last :data:`HELD_BACK_RUN` answers (of more) were all held back (:func:`held_back`)."""
    if len(latencies_ms) <= HELD_BACK_RUN:
        return False
    fastest = min(latencies_ms)
    return all(held_back(ms, fastest, limit) for ms in latencies_ms[-HELD_BACK_RUN:])


def burst(
    probe: HttpProbe,
    limit: RateLimit,
    bound: int,
    headers_for: Callable[[int], dict[str, str]] | None = None,
    *,
    refusals: tuple[int, ...] = (429, 503),
) -> Burst:
    """Send up to ``bound`` requests, stopping at the first non-2xx answer, or once answers are held back.

    A first answer that is neither 2xx nor one of ``refusals`` (404, a redirect) means the profile points at
    the wrong endpoint: that is :class:`CouldNotCheck`, not a verdict.
    """
    statuses: dict[int, int] = {}
    latencies: list[float] = []
    successes = 0
    start = time.perf_counter()
    for i in range(bound):
        exchange = send(probe, limit, headers_for(i) if headers_for else None)
        statuses[exchange.status] = statuses.get(exchange.status, 0) + 1
        latencies.append(round(exchange.elapsed_ms, 2))
        now = time.perf_counter()
        if 200 <= exchange.status < 300:
            successes += 1
            if delayed_run(latencies, limit):
                return Burst(i + 1, successes, None, now - start, statuses, tuple(latencies), True, now)
            continue
        if i == 0 and exchange.status not in refusals:
            keyed = (
                f" to a request carrying {limit.header} (if the service refuses the key, give one it "
                "accepts in key_values)"
                if limit.header
                else ""
            )
            raise CouldNotCheck(
                f"{limit.method} {limit.path} answered {exchange.status}{keyed} before any limit applied: "
                "the limit's path must name an endpoint that answers 2xx",
                ErrorReason.MISCONFIGURED,
            )
        return Burst(i + 1, successes, exchange, now - start, statuses, tuple(latencies), False, now)
    now = time.perf_counter()
    return Burst(bound, successes, None, now - start, statuses, tuple(latencies), False, now)


def spoofed_headers(i: int) -> dict[str, str]:
    """Client-address headers naming a different documentation address (RFC 5737) on every request."""
    address = f"203.0.113.{(i % 250) + 1}"
    headers = {name: address for name in SPOOF_HEADERS}
    headers["Forwarded"] = f"for={address}"
    return headers


def parse_retry_after(value: str | None, now: dt.datetime | None = None) -> float | None:
    """Seconds a ``Retry-After`` value asks to wait (delta-seconds or HTTP-date), ``None`` if invalid.

    RFC 9110 §10.2.3: delta-seconds (``1*DIGIT``: ASCII digits only, not the Arabic-Indic or superscript
    digits :meth:`str.isdigit` accepts), or an HTTP-date; anything else (``1.5``, ``-1``, ``soon``) is
    invalid. A date in the past means 0; a delta of more than :data:`_MAX_DIGITS` digits is infinite.
    """
    if value is None:
        return None
    text = value.strip(" \t")
    if _DELTA_SECONDS.fullmatch(text):
        return math.inf if len(text.lstrip("0")) > _MAX_DIGITS else float(int(text))
    if not text.isascii() or not any(c.isalpha() for c in text):
        return None  # an HTTP-date names a day or a month; bare numbers and signs are not dates
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    return max(0.0, (when - (now or dt.datetime.now(dt.UTC))).total_seconds())


def wait_seconds(seconds: float) -> None:
    """Let ``seconds`` pass without sending anything (honouring Retry-After), via the one waiting helper."""
    deadline = time.monotonic() + seconds
    wait_until(
        lambda: time.monotonic() >= deadline,
        timeout=seconds + 1,
        interval=min(0.2, max(seconds, 0.01)),
        what=f"the rate limit's Retry-After ({seconds:.0f} s) before probing again",
    )
