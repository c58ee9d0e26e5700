"""The SIGTERM drill's probes: requests held in flight on a slow path, and new connections tried during the
drain (``drill.sigterm``, suites/drills/test_sigterm.py).

Requests use :mod:`http.client` rather than the HTTP probe: the drill must know that a request has been
*sent* before it signals the service, and a client that sends and reads in one call cannot say so. Every
request has a socket timeout, every thread is joined with a bound, and what a target sends back is read up
to a cap and summarised (status, byte count), never kept whole.
"""

from __future__ import annotations

import http.client
import ssl
import threading
import time
from collections import Counter
from dataclasses import dataclass, field

__all__ = ["Answer", "InFlight", "NewConnections", "connection_to"]

MAX_BODY = 1_000_000  # bytes read of an answer: enough for any slow endpoint's result, bounded
PROBE_TIMEOUT_S = 1.0  # a new connection during the drain: refused at once, or an answer within this


@dataclass
class Answer:
    """How one request ended: an HTTP status, or the transport error that cut it (``error``)."""

    status: int | None = None
    error: str | None = None
    done_at: float | None = None  # time.monotonic() when it ended

    @property
    def summary(self) -> str:
        """``200`` or ``RemoteDisconnected`` (bounded: the error's class, never the server's text)."""
        return str(self.status) if self.status is not None else (self.error or "no answer")


def connection_to(
    host: str, port: int, https: bool, context: ssl.SSLContext | None, timeout_s: float
) -> http.client.HTTPConnection:
    """A plain or TLS connection object to ``host:port`` (not yet connected)."""
    if https:
        return http.client.HTTPSConnection(host, port, timeout=timeout_s, context=context)
    return http.client.HTTPConnection(host, port, timeout=timeout_s)


@dataclass
class InFlight:
    """``count`` GET requests to ``path``, each on its own connection and thread, each sent before
    :meth:`start` returns; :meth:`finish` waits for the answers (each bounded by ``timeout_s``)."""

    host: str
    port: int
    path: str
    count: int
    timeout_s: float
    https: bool = False
    context: ssl.SSLContext | None = None
    answers: list[Answer] = field(default_factory=list)
    _threads: list[threading.Thread] = field(default_factory=list)

    def start(self, send_timeout_s: float = 10.0) -> int:
        """Open the connections and send the requests; returns how many were sent within
        ``send_timeout_s`` (a connection refused or reset counts as an answer with an error)."""
        sent = threading.Semaphore(0)
        for _ in range(self.count):
            answer = Answer()
            self.answers.append(answer)
            thread = threading.Thread(target=self._one, args=(answer, sent), daemon=True)
            self._threads.append(thread)
            thread.start()
        deadline = time.monotonic() + send_timeout_s
        return sum(sent.acquire(timeout=max(0.0, deadline - time.monotonic())) for _ in range(self.count))

    def _one(self, answer: Answer, sent: threading.Semaphore) -> None:
        conn = connection_to(self.host, self.port, self.https, self.context, self.timeout_s)
        try:
            conn.request("GET", self.path, headers={"Connection": "close"})
            sent.release()
            response = conn.getresponse()
            response.read(MAX_BODY)
            answer.status = response.status
        except (OSError, http.client.HTTPException) as exc:
            answer.error = type(exc).__name__
            sent.release()  # a failed send counts as settled: the drill does not wait on it
        finally:
            answer.done_at = time.monotonic()
            conn.close()

    def ended_before(self, instant: float) -> int:
        """How many requests had already ended at ``instant`` (they were not in flight at the signal)."""
        return sum(a.done_at is not None and a.done_at <= instant for a in self.answers)

    def finish(self) -> list[Answer]:
        """Wait for every request (each bounded by its socket timeout), and return how each ended."""
        deadline = time.monotonic() + self.timeout_s + 5
        for thread in self._threads:
            thread.join(timeout=max(0.0, deadline - time.monotonic()))
        for answer in self.answers:
            if answer.done_at is None:
                answer.error = answer.error or "no answer"
        return self.answers


@dataclass
class NewConnections:
    """New connections tried every ``interval_s`` (from a thread) while the service drains: each is refused,
    answered, or unanswered (accepted by the kernel, never served: what a closed listener's backlog gives).

    Bounded: at most ``max_probes`` connections, each ``PROBE_TIMEOUT_S`` long, until :meth:`stop`.
    """

    host: str
    port: int
    path: str
    interval_s: float = 0.25
    max_probes: int = 400
    https: bool = False
    context: ssl.SSLContext | None = None
    outcomes: Counter[str] = field(default_factory=Counter)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def start(self) -> None:
        """Begin probing in a thread of its own."""
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()

    def _run(self) -> None:
        for _ in range(self.max_probes):
            if self._stop.is_set():
                return
            self.outcomes[self._probe()] += 1
            if self._stop.wait(self.interval_s):
                return

    def _probe(self) -> str:
        conn = connection_to(self.host, self.port, self.https, self.context, PROBE_TIMEOUT_S)
        try:
            conn.request("GET", self.path, headers={"Connection": "close"})
            response = conn.getresponse()
            response.read(MAX_BODY)
            return str(response.status)
        except ConnectionRefusedError:
            return "refused"
        except (OSError, http.client.HTTPException):
            return "unanswered"  # reset, closed or timed out: not served
        finally:
            conn.close()

    def stop(self) -> Counter[str]:
        """Stop probing (waits for the probe under way) and return the outcomes by kind."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=PROBE_TIMEOUT_S * 3 + self.interval_s)
        return self.outcomes

    def served(self) -> dict[str, int]:
        """Outcomes that mean a new request was taken during the drain: any HTTP answer but 503."""
        return {k: n for k, n in self.outcomes.items() if k.isdigit() and k != "503"}
