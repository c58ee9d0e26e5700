"""Reading a circuit breaker from outside: what a sequence of timed answers says about its state.

A drill calls the endpoint that uses the dependency while toxiproxy delays or swallows the dependency's
bytes. An answer is **fast** when it comes in under half the service's dependency timeout: the service did
not wait on the dependency (its breaker is open). Once the breaker has opened, a call **waited** when it took
about as long as the failing calls did (:func:`waited_threshold_ms`): on a busy machine a refused call can
take far more than its usual few milliseconds, but not as long as a call that waited for the dependency's
timeout. The phases here take the call as a function, so that they are pure of the network (unit tests
feed them recorded answers).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from stackcheck._exceptions import CouldNotCheck, ErrorReason
from stackcheck.probes.http import HttpProbe
from stackcheck.wait import wait_until

__all__ = [
    "CONFIRM",
    "Answer",
    "Fault",
    "count_until_open",
    "fault_latency_ms",
    "timed_get",
    "wait_for_success",
    "wait_for_trial",
    "waited_threshold_ms",
]

CONFIRM = 3  # answers that must agree after a state change (open stays open, closed stays closed)


@dataclass(frozen=True)
class Answer:
    """One call: its status (``None``: no answer within the client's bound), how long it took, when."""

    status: int | None
    elapsed_ms: float
    started: float  # time.monotonic() at the send
    ended: float

    @property
    def ok(self) -> bool:
        """A 2xx answer."""
        return self.status is not None and 200 <= self.status < 300

    def fast(self, timeout_ms: float) -> bool:
        """An answer in under half the dependency timeout: the service did not wait on the dependency."""
        return self.status is not None and self.elapsed_ms < timeout_ms / 2

    def waited(self, threshold_ms: float) -> bool:
        """A call that took as long as the failing ones (or got no answer): it reached the dependency."""
        return self.status is None or self.elapsed_ms >= threshold_ms


def waited_threshold_ms(failures: list[Answer], timeout_ms: float) -> float:
    """How long a call that went to the faulted dependency takes: 0.8 x the shortest failing call, and at
    least half the timeout (what "fast" stays under)."""
    shortest = min((a.elapsed_ms for a in failures), default=timeout_ms)
    return max(timeout_ms / 2, 0.8 * shortest)


Fetch = Callable[[], Answer]
Fault = Literal["latency", "hang", "down"]  # what toxiproxy does to the dependency (resilience.fault)


def fault_latency_ms(timeout_ms: float) -> float:
    """The latency injected: well beyond the service's timeout (3x it, and at least 2 s more)."""
    return max(3 * timeout_ms, timeout_ms + 2000)


def timed_get(http: HttpProbe, path: str) -> Answer:
    """``GET path``; a request the probe gave up on (no answer in its bound) is an answer with no status."""
    started = time.monotonic()
    try:
        exchange = http.get(path)
    except CouldNotCheck as exc:
        if exc.reason is not ErrorReason.TIMEOUT:
            raise
        ended = time.monotonic()
        return Answer(None, (ended - started) * 1000, started, ended)
    return Answer(exchange.status, exchange.elapsed_ms, started, time.monotonic())


def count_until_open(
    fetch: Fetch, timeout_ms: float, limit: int, what: str
) -> tuple[list[Answer], Answer | None]:
    """Call until an answer is fast (the breaker opened), at most ``limit`` times: the slow failures before
    it and that first fast answer (``None``: every call waited). A 2xx under the fault, or a fast answer
    before any failure, means the endpoint does not wait on the dependency: :class:`CouldNotCheck`."""
    failures: list[Answer] = []
    for _ in range(limit):
        answer = fetch()
        if answer.ok:
            raise CouldNotCheck(
                f"{what} answered {answer.status} while the dependency was faulted: it does not use the "
                "dependency (set resilience.path to an endpoint that does)",
                ErrorReason.UNEXPECTED_ANSWER,
            )
        if answer.fast(timeout_ms):
            if not failures:
                raise CouldNotCheck(
                    f"{what} answered {answer.status} in {answer.elapsed_ms:.0f} ms before any call "
                    "waited on the faulted dependency: it does not wait on it (set resilience.path to an "
                    "endpoint that queries it)",
                    ErrorReason.UNEXPECTED_ANSWER,
                )
            return failures, answer
        failures.append(answer)
    return failures, None


def wait_for_trial(
    fetch: Fetch, threshold_ms: float, bound_s: float, interval_s: float
) -> tuple[Answer | None, list[Answer]]:
    """Poll while the breaker is open and the fault is still on: the first call that waited again
    (``threshold_ms``; the half-open trial, ``None`` if none came within ``bound_s``) and the refused
    answers before it."""
    refused: list[Answer] = []

    def trial() -> Answer | None:
        answer = fetch()
        if answer.waited(threshold_ms):
            return answer
        refused.append(answer)
        return None

    return wait_until(trial, bound_s, interval_s), refused


def wait_for_success(fetch: Fetch, bound_s: float, interval_s: float) -> tuple[Answer | None, list[Answer]]:
    """Poll (fault removed) until a 2xx answer (``None`` if none within ``bound_s``), then ``CONFIRM`` more
    calls: the first success and the confirmations (all 2xx when the breaker closed)."""
    first = wait_until(lambda: a if (a := fetch()).ok else None, bound_s, interval_s)
    if first is None:
        return None, []
    return first, [fetch() for _ in range(CONFIRM)]
