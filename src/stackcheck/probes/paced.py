"""A light paced load: one GET every 1/rate seconds, each on a new connection, every answer recorded.

For drills that change what serves a URL while requests keep coming (the blue-green switch): each request
runs in a thread of a small bounded pool, so a slow answer does not hold back the pace, and the load stops
at its request cap, at its time cap or when told to, whichever comes first.
"""

from __future__ import annotations

import http.client
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass

__all__ = ["Answer", "PacedLoad"]

MAX_WORKERS = 16  # requests in flight at once: a healthy answer takes milliseconds, 16 covers slow ones
BODY_LIMIT = 65536


@dataclass(frozen=True)
class Answer:
    """One request of the load: when it was sent and ended (monotonic), its status (``None``: no answer),
    the server that answered (a header the proxy sets) and, without an answer, why."""

    sent_at: float
    done_at: float
    status: int | None
    server: str | None
    error: str | None = None

    def summary(self) -> str:
        """``200``, ``503`` or the error's name."""
        return str(self.status) if self.status is not None else (self.error or "no answer")


class PacedLoad:
    """``load = PacedLoad(port, path, rate, cap, cap_s).start(); ...; answers = load.stop()``."""

    def __init__(
        self,
        port: int,
        path: str,
        rate_per_s: float,
        max_requests: int,
        max_s: float,
        server_header: str,
        timeout_s: float = 10.0,
    ) -> None:
        self.port = port
        self.path = path
        self.interval_s = 1.0 / rate_per_s
        self.max_requests = max_requests
        self.max_s = max_s
        self.server_header = server_header
        self.timeout_s = timeout_s
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._answers: list[Answer] = []
        self._sent = 0
        self._thread = threading.Thread(target=self._run, name="stackcheck-paced-load", daemon=True)

    def start(self) -> PacedLoad:
        """Begin sending."""
        self._thread.start()
        return self

    def _run(self) -> None:
        started = time.monotonic()
        futures: list[Future[None]] = []
        with ThreadPoolExecutor(MAX_WORKERS, thread_name_prefix="stackcheck-paced") as pool:
            while self._sent < self.max_requests and not self._stop.is_set():
                due = started + self._sent * self.interval_s
                if due - started > self.max_s:
                    break
                if self._stop.wait(max(0.0, due - time.monotonic())):
                    break
                futures.append(pool.submit(self._one))
                with self._lock:
                    self._sent += 1
            for future in futures:
                future.result()

    def _one(self) -> None:
        sent_at = time.monotonic()
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=self.timeout_s)
        try:
            conn.request("GET", self.path, headers={"Connection": "close"})
            response = conn.getresponse()
            response.read(BODY_LIMIT)
            answer = Answer(
                sent_at, time.monotonic(), response.status, response.getheader(self.server_header)
            )
        except (OSError, http.client.HTTPException) as exc:
            answer = Answer(sent_at, time.monotonic(), None, None, type(exc).__name__)
        finally:
            conn.close()
        with self._lock:
            self._answers.append(answer)

    def answered(self, since: float = 0.0) -> int:
        """How many requests sent at or after ``since`` have ended so far."""
        with self._lock:
            return sum(a.sent_at >= since for a in self._answers)

    def running(self) -> bool:
        """Whether the load is still sending (not at a cap, not stopped)."""
        return self._thread.is_alive() and not self._stop.is_set()

    def stop(self) -> list[Answer]:
        """Stop sending, wait for the requests in flight and return every answer, in the order sent."""
        self._stop.set()
        self._thread.join(self.timeout_s + 5)
        with self._lock:
            return sorted(self._answers, key=lambda a: a.sent_at)
