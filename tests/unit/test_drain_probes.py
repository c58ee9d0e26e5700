"""The SIGTERM drill's probes against a real loopback HTTP server (the seam: no service, no signal)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from stackcheck.probes.drain import InFlight, NewConnections
from stackcheck.probes.loopback import free_port
from stackcheck.wait import wait_until


class _Slow(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        if self.path == "/slow":
            time.sleep(0.5)
        status = 503 if self.path == "/draining" else 200
        self.send_response(status)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, format: str, *args: object) -> None:
        return


@pytest.fixture
def server() -> Iterator[ThreadingHTTPServer]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Slow)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield httpd
    finally:
        httpd.shutdown()
        httpd.server_close()


def test_requests_are_sent_before_start_returns_and_answered_after(server: ThreadingHTTPServer) -> None:
    held = InFlight("127.0.0.1", server.server_address[1], "/slow", 3, timeout_s=5)
    assert held.start() == 3
    sent_at = time.monotonic()
    assert held.ended_before(sent_at) == 0  # each takes 0.5 s: all still in flight
    answers = held.finish()
    assert [a.summary for a in answers] == ["200", "200", "200"]
    assert all(a.done_at is not None and a.done_at > sent_at for a in answers)


def test_a_refused_connection_is_an_answer_with_an_error() -> None:
    held = InFlight("127.0.0.1", free_port(), "/slow", 2, timeout_s=2)
    assert held.start() == 2
    assert {a.summary for a in held.finish()} == {"ConnectionRefusedError"}


def _counted(probes: NewConnections, n: int) -> Callable[[], bool]:
    return lambda: sum(probes.outcomes.values()) >= n


def test_new_connections_tell_refused_503_and_served_apart(server: ThreadingHTTPServer) -> None:
    port = server.server_address[1]
    for path, kind in (("/draining", "503"), ("/", "200")):
        probes = NewConnections("127.0.0.1", port, path, interval_s=0.05, max_probes=3)
        probes.start()
        assert wait_until(_counted(probes, 3), 10, 0.05)
        assert dict(probes.stop()) == {kind: 3}
        assert probes.served() == ({} if kind == "503" else {"200": 3})
    closed = NewConnections("127.0.0.1", free_port(), "/", interval_s=0.05, max_probes=2)
    closed.start()
    assert wait_until(_counted(closed, 2), 10, 0.05)
    assert dict(closed.stop()) == {"refused": 2} and closed.served() == {}
