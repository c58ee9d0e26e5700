"""Which limits a run measures, with what, and which it cannot: the plan the ``ratelimit`` suite follows.

A profile may promise several limits (``rate_limit`` and ``rate_limit.also``). Each becomes a
:class:`LimitUnderTest`: the limit, the profile key it is written at (for messages that say what to
change), the test key values a keyed limit's probe sends, and — decided before any request — why it cannot
be measured, if it cannot:

* its burst would need more requests than ``max_requests`` allows
  (:func:`~stackcheck.probes.ratelimit.over_budget`);
* another limit on the same path and method refuses sooner: a burst for this one would meet that one's
  refusal first and prove nothing about this one.
"""

from __future__ import annotations

import secrets
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from stackcheck._exceptions import UsageError
from stackcheck.probes.ratelimit import over_budget, probe_bound
from stackcheck.profile.ratelimit import RateLimit, RateLimitSection
from stackcheck.redact import expand_references

__all__ = ["LimitUnderTest", "key_values", "masking_limit", "plan_limits"]


@dataclass(frozen=True)
class LimitUnderTest:
    """One limit of the profile as the suite measures it."""

    key: str  # rate_limit, rate_limit.also[0], ...
    limit: RateLimit
    key_values: tuple[str, ...] = ()  # scope header: the values the probe sends (first spends, second checks)
    skip: str | None = None  # why it cannot be measured (decided from the profile alone)

    @property
    def label(self) -> str:
        """The limit's subject: its ``name``, else its path."""
        return self.limit.label

    @property
    def bound(self) -> int:
        """Most requests one burst sends."""
        return probe_bound(self.limit)

    def headers(self, key: int = 0, extra: Mapping[str, str] | None = None) -> dict[str, str]:
        """The headers of one probe request: ``extra`` plus, for a keyed limit, key value number ``key``."""
        out = dict(extra or {})
        if self.limit.header is not None and self.key_values:
            out[self.limit.header] = self.key_values[key]
        return out

    def key_name(self, key: int) -> str:
        """How evidence names a key value without showing it: ``X-API-Key #2``."""
        return f"{self.limit.header} #{key + 1}"


def _generated(index: int) -> str:
    # Random per run: a budget spent by the previous run (within its window) is not this run's.
    return f"stackcheck-probe-{index + 1}-{secrets.token_hex(8)}"


def masking_limit(limit: RateLimit, others: Sequence[tuple[str, RateLimit]]) -> tuple[str, RateLimit] | None:
    """The limit among ``others`` on the same path and method that refuses before ``limit`` would, if any."""
    tighter = [
        (key, other)
        for key, other in others
        if other is not limit
        and other.path == limit.path
        and other.method == limit.method
        and other.requests < limit.requests
    ]
    return min(tighter, key=lambda item: item[1].requests, default=None)


def key_values(limit: RateLimit, key: str, environ: Mapping[str, str]) -> tuple[str, ...]:
    """The two values a keyed limit's probe sends: the profile's (``${VAR}`` read from ``environ``; one
    that is not set is a :class:`UsageError`), the missing ones generated."""
    given = []
    for value in limit.key_values:
        sent = expand_references(value, environ)
        if "${" in sent:
            raise UsageError(
                f"{key}.key_values uses an environment variable that is not set ({value[:40]!r})",
                "export it before running stackcheck, or write the test key itself",
            )
        given.append(sent)
    return tuple(given + [_generated(i) for i in range(len(given), 2)])


def plan_limits(section: RateLimitSection, environ: Mapping[str, str]) -> list[LimitUnderTest]:
    """Every limit of ``section``, in profile order, with its key values and its skip reason."""
    limits = section.limits()
    planned: list[LimitUnderTest] = []
    for key, limit in limits:
        values = key_values(limit, key, environ) if limit.scope == "header" else ()
        skip = over_budget(limit, key)
        masking = masking_limit(limit, limits)
        if skip is None and masking is not None:
            other_key, other = masking
            skip = (
                f"a burst on {limit.method} {limit.path} meets {other_key} ({other.describe()}) first, which "
                f"refuses after {other.requests} requests: {limit.requests} cannot be measured past it (give "
                "this limit an endpoint of its own, or verify it with a profile that omits the tighter one)"
            )
        planned.append(LimitUnderTest(key, limit, values, skip))
    return planned
