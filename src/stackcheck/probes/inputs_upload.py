"""The upload probe's bodies: a small file, and one over the limit streamed from a bounded generator.

The over-limit body is never held in memory: it is produced in 64 KiB chunks (one buffer, reused) with an
honest ``Content-Length``. :func:`send_streamed` writes it on a socket of its own and looks for an answer
between chunks: a server that refuses on the Content-Length is not sent the rest, and the evidence says how
much it took before answering. (An HTTP client library sends the whole body before reading any answer.)
"""

from __future__ import annotations

import re
import secrets
import select
import socket
import ssl
import time
from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import urlsplit

from stackcheck._exceptions import CouldNotCheck, ErrorReason
from stackcheck.probes.http import client_tls_context
from stackcheck.profile.inputs import UploadEndpoint

__all__ = ["OVER_BY", "Streamed", "StreamedAnswer", "send_streamed", "small_body", "streamed_body"]

OVER_BY = 64 * 1024  # the over-limit file is this much larger than the limit
_CHUNK = 64 * 1024
_PDF_HEAD = b"%PDF-1.4\n% stackcheck upload probe\n"
_PDF_TAIL = b"\n%%EOF\n"


def _framing(upload: UploadEndpoint) -> tuple[bytes, bytes, str]:
    """The multipart head and tail around the file, and the request's content type."""
    if upload.field is None:
        return b"", b"", upload.content_type
    boundary = f"stackcheck{secrets.token_hex(8)}"
    head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="{upload.field}"; '
        f'filename="{upload.filename}"\r\nContent-Type: {upload.content_type}\r\n\r\n'
    ).encode()
    tail = f"\r\n--{boundary}--\r\n".encode()
    return head, tail, f"multipart/form-data; boundary={boundary}"


def small_body(upload: UploadEndpoint, size: int = 1024) -> tuple[bytes, dict[str, str]]:
    """A small file (a PDF header, padding, the trailer) and the request headers: must be accepted."""
    head, tail, content_type = _framing(upload)
    size = min(size, upload.max_bytes)
    pad = max(0, size - len(_PDF_HEAD) - len(_PDF_TAIL))
    file = (_PDF_HEAD + b" " * pad + _PDF_TAIL)[: max(size, 1)]
    return head + file + tail, {**upload.headers, "Content-Type": content_type}


class Streamed:
    """A body of ``upload.max_bytes + OVER_BY`` file bytes, produced lazily; ``sent`` counts the bytes
    handed to the connection so far."""

    def __init__(self, upload: UploadEndpoint) -> None:
        self.head, self.tail, self.content_type = _framing(upload)
        self.file_bytes = upload.max_bytes + OVER_BY
        self.total = len(self.head) + self.file_bytes + len(self.tail)
        self.sent = 0

    def __iter__(self) -> Iterator[bytes]:
        yield from self._count(self.head + _PDF_HEAD)
        left = self.file_bytes - len(_PDF_HEAD)
        block = b"0" * _CHUNK
        while left > 0:
            piece = block if left >= _CHUNK else block[:left]
            left -= len(piece)
            yield from self._count(piece)
        yield from self._count(self.tail)

    def _count(self, data: bytes) -> Iterator[bytes]:
        self.sent += len(data)
        yield data


def streamed_body(upload: UploadEndpoint) -> tuple[Streamed, dict[str, str]]:
    """The over-limit body and its headers (an honest Content-Length: the server may refuse on it alone)."""
    body = Streamed(upload)
    headers = {**upload.headers, "Content-Type": body.content_type, "Content-Length": str(body.total)}
    return body, headers


@dataclass(frozen=True)
class StreamedAnswer:
    """What the over-limit upload got: the status (``None``: the connection closed without one), the bytes
    sent before the answer came (or the connection closed), and the body's full size."""

    status: int | None
    sent: int
    total: int

    @property
    def stopped_early(self) -> bool:
        """Whether the server answered (or closed) before taking the whole body."""
        return self.sent < self.total


def send_streamed(
    base_url: str,
    method: str,
    path: str,
    body: Streamed,
    headers: dict[str, str],
    *,
    verify: str | bool,
    timeout_s: float,
    deadline_s: float,
) -> StreamedAnswer:
    """Send ``body`` chunk by chunk, watching for an answer between chunks: once the server answers (a 413
    on the Content-Length alone), the rest is not sent. At most 16 KiB of the answer is read; the whole
    exchange ends by ``deadline_s``. :class:`CouldNotCheck` when no connection can be made."""
    parts = urlsplit(base_url)
    host = parts.hostname or "127.0.0.1"
    port = parts.port or (443 if parts.scheme == "https" else 80)
    until = time.monotonic() + deadline_s
    try:
        raw = socket.create_connection((host, port), timeout=timeout_s)
    except OSError as exc:
        raise CouldNotCheck(f"cannot connect to {host}:{port}: {exc}", ErrorReason.UNREACHABLE) from None
    sock: socket.socket = raw
    try:
        if parts.scheme == "https":
            sock = client_tls_context(verify).wrap_socket(raw, server_hostname=host)
        lines = [f"{method} {path} HTTP/1.1", f"Host: {parts.netloc}", "User-Agent: stackcheck"]
        lines += ["Connection: close", *(f"{k}: {v}" for k, v in headers.items())]
        sock.sendall(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1"))
        for chunk in body:
            if time.monotonic() > until or _answer_waiting(sock):
                break
            try:
                sock.sendall(chunk)
            except (BrokenPipeError, ConnectionResetError, TimeoutError, ssl.SSLError):
                break  # the server stopped reading: its answer (if any) is waiting
        return StreamedAnswer(_read_status(sock, until), body.sent, body.total)
    finally:
        sock.close()


def _answer_waiting(sock: socket.socket) -> bool:
    if isinstance(sock, ssl.SSLSocket) and sock.pending():
        return True
    readable, _, _ = select.select([sock], [], [], 0)
    return bool(readable)


def _read_status(sock: socket.socket, until: float) -> int | None:
    """The status of the answer on ``sock`` (reading at most 16 KiB), or ``None`` when there is none."""
    data = b""
    while b"\r\n" not in data and len(data) < 16384:
        left = until - time.monotonic()
        if left <= 0:
            return None
        sock.settimeout(left)
        try:
            piece = sock.recv(4096)
        except (OSError, ssl.SSLError):
            break
        if not piece:
            break
        data += piece
    match = re.match(rb"HTTP/1\.[01] (\d{3})", data)
    return int(match.group(1)) if match else None
