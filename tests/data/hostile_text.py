"""A loopback HTTP server whose answers are hostile *text*: what the sanitising layer must make inert.

Every answer carries control characters (NUL, BEL, ESC), ANSI colour and OSC title sequences, a C1 CSI,
a bidirectional override, raw HTML with a script, Markdown table pipes and a newline that would forge a
console line, in the ``Server`` header and in a ``/metrics`` body that does not parse (its offending line
is quoted by the check), plus one 100 KB line. Run in a thread of the test process:
``with hostile_text_server() as url: ...``. (Huge or slow bodies are ``fixtures/hostile``'s business.)
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

__all__ = ["HOSTILE", "LONG_LINE", "hostile_text_server"]

# What a target may say, in one string: every class of hostile text the sanitiser handles.
HOSTILE = (
    "evil\x00nul\x07bel \x1b[31mred\x1b[0m \x1b]0;pwned-title\x07 \x9b2J csi \u202eesrever "
    "<script>alert(1)</script> <img src=x onerror=alert(2)> | col | col \\| `tick` [link](http://x)"
)
LONG_LINE = "A" * 100_000
# Header values are bytes on the wire: latin-1 reaches the client as the same code points (no newline,
# no NUL: HTTP itself forbids those there).
_HEADER = HOSTILE.replace("\x00", "").replace("\u202e", "").encode("latin-1")


class _Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        if self.path.startswith("/metrics"):
            body = (
                "# HELP up fine\n# TYPE up gauge\nup 1\n"
                f"{HOSTILE} {LONG_LINE}\nsecond\x1b[2Kline | x\n".encode()
            )
            status, ctype = 200, b"text/plain; version=0.0.4"
        else:
            body = f"ok {HOSTILE}\n".encode()
            status, ctype = 200, b"text/plain"
        self.wfile.write(f"HTTP/1.1 {status} OK\r\n".encode())
        self.wfile.write(b"Server: " + _HEADER + b"\r\n")
        self.wfile.write(b"Content-Type: " + ctype + b"\r\n")
        self.wfile.write(b"Content-Length: " + str(len(body)).encode() + b"\r\n")
        self.wfile.write(b"Connection: close\r\n\r\n" + body)

    def log_message(self, format: str, *args: object) -> None:
        """Quiet: the test reads the report, not the server's log."""


@contextmanager
def hostile_text_server() -> Iterator[str]:
    """Serve on a free loopback port in a daemon thread; yield the base URL, stop on exit."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
