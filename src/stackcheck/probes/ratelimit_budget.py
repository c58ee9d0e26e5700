"""One observation of the rate limit per run, shared by the suite's checks, and the per-IP rule.

The first burst decides what the target does with excess requests: refuse them, hold them back, or serve
them all. Every later check starts from that observation instead of bursting again: when nothing was refused
they end at once (skipped, with the reason) without sending a request; when something was, they only top the
budget up again (a burst that meets the refusal after the few tokens regained meanwhile).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum

from stackcheck.probes.http import HttpProbe
from stackcheck.probes.ratelimit import Burst, burst, refill_allowance
from stackcheck.profile.ratelimit import RateLimit

__all__ = ["Budget", "PerIp", "PerIpVerdict", "per_ip_verdict"]


class Budget:
    """The run's rate-limit observation: ``first()`` bursts once; ``spend()`` makes sure it is spent now."""

    def __init__(
        self, probe: HttpProbe, limit: RateLimit, bound: int, headers: Mapping[str, str] | None = None
    ) -> None:
        self.probe = probe
        self.limit = limit
        self.bound = bound
        self.headers = dict(headers or {})  # sent on every request (a keyed limit's key header)
        self._first: Burst | None = None
        self._fresh = False  # the last burst's refusal has not been handed to a check by spend() yet
        self.bursts = 0
        self.sent = 0  # requests all bursts of this run sent (evidence of the load put on the target)

    def first(self) -> Burst:
        """The first burst of the run (sent on the first call only)."""
        if self._first is None:
            self._first = self._burst()
        return self._first

    def spend(self) -> Burst:
        """A burst that ended in a refusal just now, or the first burst when that one met none.

        A target that never refused (or held answers back) is not burst at again: its verdict is decided.
        The first burst's refusal serves the first check that asks; later ones top the budget up again.
        """
        first = self.first()
        if first.refusal is None:
            return first
        if self._fresh:
            self._fresh = False
            return first
        self._fresh = False
        return self._burst(top_up=True)

    def _burst(self, *, top_up: bool = False) -> Burst:
        # A top-up burst may meet the first burst's refusal status (even a 403) on its first request.
        known = self._first.refused_status if self._first is not None else None
        refusals = (429, 503) if known is None else (429, 503, known)
        headers = self.headers
        result = burst(
            self.probe, self.limit, self.bound, (lambda _: headers) if headers else None, refusals=refusals
        )
        self.bursts += 1
        self.sent += result.sent
        self._fresh = not top_up
        return result


class PerIp(StrEnum):
    """What the second-address probe shows."""

    SEPARATE = "separate"
    SHARED = "shared"
    INCONCLUSIVE = "inconclusive"


@dataclass(frozen=True)
class PerIpVerdict:
    """The reading of the answers fresh addresses got right after the first address was refused."""

    verdict: PerIp
    served: int  # answers served in the interval, every address counted
    could_regain: int  # what one shared bucket could have handed out in that interval
    refused_first: str | None = None  # the fresh address refused on its very first request


def per_ip_verdict(
    rounds: Sequence[tuple[str, Sequence[int]]],
    control: int,
    elapsed_s: float,
    limit: RateLimit,
) -> PerIpVerdict:
    """Read ``rounds`` (fresh source address, statuses in order) sent after the first address was refused.

    - A fresh address refused on its very first request shares the budget that was just spent: ``shared``.
      (Its own budget, however small, would have served that request.)
    - Otherwise, a shared bucket refused at the start could have served at most
      :func:`refill_allowance` (``elapsed_s``) requests in all; more served (every address, and the first
      one's ``control`` request, counted) proves budgets of their own: ``separate``. A second address served
      once and then refused (``200, 429``) is a small budget of its own, not a shared one.
    - Neither (everything served, but no more than a shared bucket could have regained): ``inconclusive``.
    """
    served = sum(200 <= s < 300 for _, statuses in rounds for s in statuses) + (200 <= control < 300)
    could_regain = refill_allowance(elapsed_s, limit)
    for source, statuses in rounds:
        if statuses and not 200 <= statuses[0] < 300:
            return PerIpVerdict(PerIp.SHARED, served, could_regain, source)
    if served > could_regain:
        return PerIpVerdict(PerIp.SEPARATE, served, could_regain)
    return PerIpVerdict(PerIp.INCONCLUSIVE, served, could_regain)
