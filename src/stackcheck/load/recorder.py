"""What every Locust process records per request, and how the master merges it.

Pure Python (no Locust import): the locustfile feeds :meth:`Recorder.record` from Locust's ``request``
event, workers ship :meth:`Recorder.drain` to the master in their reports, and the master merges.
Per-second buckets are keyed by wall-clock second, so a time series merged from several processes
lines up.
"""

from __future__ import annotations

import time
from typing import TypedDict

from stackcheck.load.histogram import Histogram, HistogramData

__all__ = ["LATE_MS", "Recorder", "RecorderData"]

# A request sent at least this long after its scheduled time counts as "late" (generator lag).
LATE_MS = 1.0
_MAX_ERROR_KINDS = 50


class _NameData(TypedDict):
    method: str
    n: int
    f: int
    h: HistogramData


class RecorderData(TypedDict):
    """A recorder's content as plain data (what a worker sends to the master)."""

    seconds: list[tuple[int, int, int, HistogramData]]  # (epoch second, requests, failures, latency)
    names: dict[str, _NameData]
    service: HistogramData
    lag: HistogramData
    errors: list[tuple[str, str, int]]  # (request name, error, occurrences)
    capped: int
    unanswered: int


class _Second:
    __slots__ = ("f", "h", "n")

    def __init__(self) -> None:
        self.n = 0
        self.f = 0
        self.h = Histogram()


class _Name:
    __slots__ = ("f", "h", "method", "n")

    def __init__(self, method: str) -> None:
        self.method = method
        self.n = 0
        self.f = 0
        self.h = Histogram()


class Recorder:
    """Latency (from the scheduled send time), service time (from the actual send), lag and failures."""

    def __init__(self) -> None:
        self._reset()

    def _reset(self) -> None:
        self.seconds: dict[int, _Second] = {}
        self.names: dict[str, _Name] = {}
        self.service = Histogram()
        self.lag = Histogram()  # only sends at least LATE_MS behind schedule
        self.errors: dict[tuple[str, str], int] = {}
        self.requests = 0
        self.capped = 0  # paced sends that had to wait for a free in-flight slot
        # Requests that got no HTTP answer at all (refused, reset, timed out): failures, but no evidence of
        # latency or throughput; they enter neither.
        self.unanswered = 0

    def record(
        self,
        name: str,
        method: str,
        latency_ms: float,
        service_ms: float,
        lag_ms: float,
        error: str | None,
        now: float | None = None,
        answered: bool = True,
    ) -> None:
        """Account one finished request (``error`` is None when it succeeded; ``answered`` is False when no
        HTTP answer came back: it counts as a failure, not as a latency sample or a completed request)."""
        sec = int(time.time() if now is None else now)
        second = self.seconds.get(sec)
        if second is None:
            second = self.seconds[sec] = _Second()
        entry = self.names.get(name)
        if entry is None:
            entry = self.names[name] = _Name(method)
        self.requests += 1
        if not answered:
            self.unanswered += 1
            error = error or "no HTTP answer"
        else:
            second.n += 1
            second.h.record(latency_ms)
            entry.n += 1
            entry.h.record(latency_ms)
            self.service.record(service_ms)
            if lag_ms >= LATE_MS:
                self.lag.record(lag_ms)
        if error is not None:
            if answered:  # per-second and per-endpoint rows count answered requests and their failures
                second.f += 1
                entry.f += 1
            key = (name, error[:300])
            if key in self.errors or len(self.errors) < _MAX_ERROR_KINDS:
                self.errors[key] = self.errors.get(key, 0) + 1

    @property
    def failures(self) -> int:
        """Failed requests recorded so far (unanswered ones included)."""
        return sum(e.f for e in self.names.values()) + self.unanswered

    def total(self) -> Histogram:
        """Latency of every request, all endpoints together."""
        hist = Histogram()
        for entry in self.names.values():
            hist.merge(entry.h)
        return hist

    def drain(self) -> RecorderData:
        """Everything recorded since the last drain, as plain data; the recorder starts empty again."""
        data: RecorderData = {
            "seconds": [(sec, s.n, s.f, s.h.to_data()) for sec, s in sorted(self.seconds.items())],
            "names": {
                name: {"method": e.method, "n": e.n, "f": e.f, "h": e.h.to_data()}
                for name, e in self.names.items()
            },
            "service": self.service.to_data(),
            "lag": self.lag.to_data(),
            "errors": [(name, error, n) for (name, error), n in self.errors.items()],
            "capped": self.capped,
            "unanswered": self.unanswered,
        }
        self._reset()
        return data

    def merge(self, data: RecorderData) -> None:
        """Add a drained recorder's content (from this or another process)."""
        for sec, n, f, hist in data["seconds"]:
            second = self.seconds.get(sec)
            if second is None:
                second = self.seconds[sec] = _Second()
            second.n += n
            second.f += f
            second.h.merge(Histogram.from_data(hist))
        for name, item in data["names"].items():
            entry = self.names.get(name)
            if entry is None:
                entry = self.names[name] = _Name(item["method"])
            entry.n += item["n"]
            entry.f += item["f"]
            entry.h.merge(Histogram.from_data(item["h"]))
            self.requests += item["n"]
        self.service.merge(Histogram.from_data(data["service"]))
        self.lag.merge(Histogram.from_data(data["lag"]))
        for name, error, n in data["errors"]:
            self.errors[(name, error)] = self.errors.get((name, error), 0) + n
        self.capped += data["capped"]
        self.unanswered += data.get("unanswered", 0)
        self.requests += data.get("unanswered", 0)  # answered ones are counted per name above
