"""The lean request path inside a Locust process: one prebuilt request, one pooled connection, one read.

Locust stays the engine (users, spawning, pacing, master and workers), but a request no longer goes through
``FastHttpSession`` (URL parsing, header merging, a cookie jar, a response context manager) nor through
Locust's ``request`` event and its own statistics: stackcheck's :class:`~stackcheck.load.recorder.Recorder`
is the only bookkeeping. Measured with cProfile (docs/benchmarks.md, load section), that path cost about
twice the CPU of the exchange itself. Here each endpoint's request head (and body) is built once, as bytes,
when the process starts (:func:`stackcheck.load.request.build_request`); a send is ``sendall`` on a
kept-alive socket of geventhttpclient's connection pool, and its C (llhttp) parser reads the answer.

Only this module and the locustfile import geventhttpclient (gevent): never stackcheck's own process.
No redirect is followed (it could lead off loopback), no cookie is kept (each request is the endpoint's
own), and a body is read only up to the plan's bound: a longer answer's connection is dropped, not reused.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from geventhttpclient import HTTPClient
from geventhttpclient.response import HTTPConnectionClosed, HTTPSocketPoolResponse

from stackcheck.load.request import WireRequest

__all__ = ["Answer", "Wire"]

READ_CHUNK = 64 * 1024
# Methods a request may be sent again for when a kept-alive connection turned out closed before any answer
# (the server's idle timeout): as geventhttpclient itself does, never a POST or PATCH.
_RETRYABLE = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE", "TRACE"})


@dataclass(frozen=True)
class Answer:
    """What came back: status (0 when no HTTP answer), the body's first bytes, raw bytes read, the error."""

    status: int
    body: bytes
    raw_read: int
    error: BaseException | None = None


class Wire:
    """A user's connections to the target (at most ``concurrency`` at once) and its exchange."""

    def __init__(
        self,
        target: str,
        *,
        concurrency: int,
        timeout_s: float,
        ssl_context_factory: Callable[..., Any] | None = None,
    ) -> None:
        parts = urlsplit(target)
        https = parts.scheme == "https"
        client = HTTPClient(
            parts.hostname or "127.0.0.1",
            parts.port or (443 if https else 80),
            concurrency=concurrency,
            connection_timeout=timeout_s,
            network_timeout=timeout_s,
            ssl=https,
            ssl_context_factory=ssl_context_factory,
            insecure=False,
        )
        self._client = client
        self._pool = client._connection_pool  # the pool alone: the client's request building is the cost

    def close(self) -> None:
        """Close every connection."""
        self._client.close()

    def exchange(self, request: WireRequest, cap: int) -> Answer:
        """Send ``request``; read the answer's body up to ``cap`` bytes. Never raises for network trouble."""
        attempts = 2 if request.method in _RETRYABLE else 1
        while True:
            attempts -= 1
            try:
                sock = self._pool.get_socket()
            except Exception as exc:  # refused, timed out, TLS handshake: no HTTP answer
                return Answer(0, b"", 0, exc)
            try:
                sock.sendall(request.data)
            except OSError as exc:  # reset or broken pipe: a kept-alive connection the server had closed
                self._pool.release_socket(sock)
                if attempts > 0:
                    continue
                return Answer(0, b"", 0, exc)
            try:
                # On any failure the response itself has closed the socket and freed its pool slot.
                resp = HTTPSocketPoolResponse(sock, self._pool, block_size=READ_CHUNK, method=request.method)
            except HTTPConnectionClosed as exc:  # closed before the first byte of an answer
                if attempts > 0:
                    continue
                return Answer(0, b"", 0, exc)
            except Exception as exc:  # timed out, reset, unparseable: no HTTP answer
                return Answer(0, b"", 0, exc)
            return _read(resp, cap)


def _read(resp: HTTPSocketPoolResponse, cap: int) -> Answer:
    """The first ``cap`` bytes of the body (decompressed, bounded too); an unfinished answer's socket is
    closed rather than put back (a target sending an endless answer costs at most ``cap`` bytes)."""
    chunks: list[bytes] = []
    raw_read = 0
    try:
        while raw_read < cap:
            chunk = resp.read(min(READ_CHUNK, cap - raw_read))
            if not chunk:
                break
            raw_read += len(chunk)
            chunks.append(chunk)
    except (OSError, ValueError):
        pass  # a connection lost mid-body: what arrived is what there is
    if not resp.message_complete:
        pool, sock = resp._pool, resp._sock
        resp._pool = resp._sock = None
        if sock is not None and pool is not None:
            pool.release_socket(sock)  # closes it and frees its slot
    else:
        resp.release()
    raw = chunks[0] if len(chunks) == 1 else b"".join(chunks)
    encoding = resp.get("content-encoding")
    if isinstance(encoding, str) and encoding.lower() in ("gzip", "deflate"):
        wbits = 16 + zlib.MAX_WBITS if encoding.lower() == "gzip" else zlib.MAX_WBITS
        try:
            raw = zlib.decompressobj(wbits).decompress(raw, cap)
        except zlib.error:
            raw = b""
    return Answer(resp.status_code, raw, raw_read)
