"""A latency histogram with bounded relative error, small enough to ship between Locust processes.

Values are kept at three significant digits (relative error at most 0.5 %), so a percentile read from
the histogram is within 0.5 % of the value actually observed — unlike Locust's own statistics, which round
to 10 ms above 100 ms and to 100 ms above 1 s. Histograms of several processes merge exactly.
"""

from __future__ import annotations

import math
from typing import TypedDict

__all__ = ["Histogram", "HistogramData", "bucket"]


class HistogramData(TypedDict):
    """A histogram as plain data: msgpack (between Locust processes) and JSON friendly."""

    counts: list[list[float]]  # [[value_ms, count], ...] sorted by value
    count: int
    total: float
    max: float


def bucket(ms: float) -> float:
    """``ms`` rounded to three significant digits (0 for values below 1 µs)."""
    if ms < 0.001:
        return 0.0
    return float(f"{ms:.3g}")


class Histogram:
    """Counts of values (ms) by :func:`bucket`; exact count, sum and maximum."""

    __slots__ = ("count", "counts", "max", "total")

    def __init__(self) -> None:
        self.counts: dict[float, int] = {}
        self.count = 0
        self.total = 0.0
        self.max = 0.0

    def record(self, ms: float) -> None:
        """Add one value."""
        key = bucket(ms)
        self.counts[key] = self.counts.get(key, 0) + 1
        self.count += 1
        self.total += ms
        if ms > self.max:
            self.max = ms

    def merge(self, other: Histogram) -> None:
        """Add every value of ``other``."""
        for key, n in other.counts.items():
            self.counts[key] = self.counts.get(key, 0) + n
        self.count += other.count
        self.total += other.total
        self.max = max(self.max, other.max)

    def percentile(self, pct: float) -> float | None:
        """The ``pct``-th percentile by the nearest-rank method; ``None`` when empty."""
        if not 0 < pct <= 100:
            raise ValueError(f"percentile must be in (0, 100], got {pct}")
        if not self.count:
            return None
        rank = max(math.ceil(pct / 100 * self.count), 1)
        seen = 0
        for key in sorted(self.counts):
            seen += self.counts[key]
            if seen >= rank:
                return min(key, self.max) if pct == 100 else key
        return self.max

    @property
    def mean(self) -> float | None:
        """Arithmetic mean of the values; ``None`` when empty."""
        return self.total / self.count if self.count else None

    def log_bins(self, per_decade: int = 10) -> list[dict[str, float]]:
        """Counts in logarithmic bins (``per_decade`` per factor of ten): ``[{"le": ms, "count": n}]``.

        Empty bins between the first and the last non-empty one are kept, so a chart can draw them.
        """
        if not self.count:
            return []
        bins: dict[int, int] = {}
        for key, n in self.counts.items():
            index = math.ceil(math.log10(key) * per_decade) if key > 0 else -3 * per_decade
            bins[index] = bins.get(index, 0) + n
        low, high = min(bins), max(bins)
        return [
            {"le": float(f"{10 ** (i / per_decade):.3g}"), "count": bins.get(i, 0)}
            for i in range(low, high + 1)
        ]

    def to_data(self) -> HistogramData:
        """A plain-data form (for messages between processes and for JSON)."""
        return {
            "counts": [[k, n] for k, n in sorted(self.counts.items())],
            "count": self.count,
            "total": self.total,
            "max": self.max,
        }

    @classmethod
    def from_data(cls, data: HistogramData) -> Histogram:
        """Inverse of :meth:`to_data`."""
        hist = cls()
        for key, n in data["counts"]:
            hist.counts[float(key)] = hist.counts.get(float(key), 0) + int(n)
        hist.count = int(data["count"])
        hist.total = float(data["total"])
        hist.max = float(data["max"])
        return hist
