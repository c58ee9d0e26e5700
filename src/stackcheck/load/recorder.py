"""What every Locust process records per request, and how the master merges it.

Pure Python (no Locust import): the locustfile feeds :meth:`Recorder.record` from Locust's ``request``
event, workers ship :meth:`Recorder.drain` to the master in their reports, and the master merges.
Two sets of per-second buckets, keyed by wall-clock second so that several processes' merge lines up:
by the second a request *finished* (the time series, throughput) and by the second it was *due* (its
scheduled send; the send itself in the closed model). The gated percentiles come from the due buckets of the
steady window only (:func:`stackcheck.load.stats.build_stats`): the ramp and the drain stay out, and so does
a request's own lateness, which is recorded per due second (generator lag: a send behind its schedule while
an in-flight slot was free, i.e. not the target's backlog).
"""

from __future__ import annotations

import time
from typing import TypedDict

from stackcheck.load.histogram import Histogram, HistogramData

__all__ = ["LATE_MS", "Due", "Recorder", "RecorderData"]

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
    # (epoch second due, answered requests, latency, service time, generator lag of the late sends)
    due: list[tuple[int, int, HistogramData, HistogramData, HistogramData]]
    names: dict[str, _NameData]
    errors: list[tuple[str, str, int]]  # (request name, error, occurrences)
    capped: int
    unanswered: int


class _Second:
    __slots__ = ("f", "h", "n")

    def __init__(self) -> None:
        self.n = 0
        self.f = 0
        self.h = Histogram()


class Due:
    """The requests due in one second: latency, service time, and the lag of the generator-late sends."""

    __slots__ = ("h", "late", "n", "s")

    def __init__(self) -> None:
        self.n = 0
        self.h = Histogram()
        self.s = Histogram()
        self.late = Histogram()  # generator lag (ms) of the sends at least LATE_MS behind schedule


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
        self.due: dict[int, Due] = {}
        self.names: dict[str, _Name] = {}
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
        *,
        due: float | None = None,
        capped: bool = False,
    ) -> None:
        """Account one finished request (``error`` is None when it succeeded; ``answered`` is False when no
        HTTP answer came back: it counts as a failure, not as a latency sample or a completed request).

        ``now``: when it finished, ``due``: when it was scheduled (epoch seconds; default ``now``);
        ``capped``: it waited for a free in-flight slot, so its lag is the target's backlog, not the
        generator's lateness.
        """
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
            due_sec = sec if due is None else int(due)
            bucket = self.due.get(due_sec)
            if bucket is None:
                bucket = self.due[due_sec] = Due()
            bucket.n += 1
            bucket.h.record(latency_ms)
            bucket.s.record(service_ms)
            if lag_ms >= LATE_MS and not capped:
                bucket.late.record(lag_ms)
        if capped:
            self.capped += 1
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

    def _merged(self, part: str) -> Histogram:
        hist = Histogram()
        for bucket in self.due.values():
            hist.merge(getattr(bucket, part))
        return hist

    @property
    def service(self) -> Histogram:
        """Service time (from the actual send) of every answered request."""
        return self._merged("s")

    @property
    def lag(self) -> Histogram:
        """Generator lag of every send at least LATE_MS behind its schedule (with a free in-flight slot)."""
        return self._merged("late")

    def drain(self) -> RecorderData:
        """Everything recorded since the last drain, as plain data; the recorder starts empty again."""
        data: RecorderData = {
            "seconds": [(sec, s.n, s.f, s.h.to_data()) for sec, s in sorted(self.seconds.items())],
            "names": {
                name: {"method": e.method, "n": e.n, "f": e.f, "h": e.h.to_data()}
                for name, e in self.names.items()
            },
            "due": [
                (sec, b.n, b.h.to_data(), b.s.to_data(), b.late.to_data())
                for sec, b in sorted(self.due.items())
            ],
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
        for sec, n, latency, service, late in data["due"]:
            bucket = self.due.get(sec)
            if bucket is None:
                bucket = self.due[sec] = Due()
            bucket.n += n
            bucket.h.merge(Histogram.from_data(latency))
            bucket.s.merge(Histogram.from_data(service))
            bucket.late.merge(Histogram.from_data(late))
        for name, error, n in data["errors"]:
            self.errors[(name, error)] = self.errors.get((name, error), 0) + n
        self.capped += data["capped"]
        self.unanswered += data.get("unanswered", 0)
        self.requests += data.get("unanswered", 0)  # answered ones are counted per name above
