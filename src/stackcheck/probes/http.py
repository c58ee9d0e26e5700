"""HTTP probe: one bounded exchange for every probe, and "could not reach" as :class:`CouldNotCheck`.

Whatever the target sends, an exchange is bounded:

- **bytes**: the body is streamed and read up to ``max_bytes`` (decoded bytes, so a gzip bomb stops at the
  same cap); the rest is not read, and the exchange says so (``truncated``) — evidence, not an error;
- **time**: a deadline per request (wall clock from the send to the last byte read, not per read), so a
  server that trickles headers or body one byte a second is cut off; an abandoned request is ``timeout``;
- **headers**: h11 refuses a header block larger than 16 KiB (an error, never a read without end);
- **retries**: once the target has failed at the transport level without ever answering in this run,
  later requests fail at once ("not retried") instead of each waiting its own timeout.

Over HTTPS the client accepts whatever protocol version and cipher suite the server offers (TLS 1.0 up,
CBC-SHA1, static RSA: OpenSSL security level 0), because the HTTP checks are about HTTP; the TLS verdicts
belong to the ``tls`` suite. The certificate is still verified as configured (chain against
``target.ca_bundle`` or the default store, host name); how strong its key and signature are is
``tls.certificate``'s verdict.
"""

from __future__ import annotations

import json
import os
import ssl
import threading
import time
import warnings
from dataclasses import dataclass
from types import TracebackType
from typing import TYPE_CHECKING, Any, Self
from urllib.parse import urlsplit

import httpx

from stackcheck._exceptions import CouldNotCheck, ErrorReason

__all__ = ["DEFAULT_MAX_BYTES", "Exchange", "HttpProbe", "client_tls_context"]

DEFAULT_MAX_BYTES = 1_000_000  # a page, a health answer, an error page: far more than any check reads
_CHUNK = 64 * 1024


def client_tls_context(verify: str | bool) -> ssl.SSLContext:
    """The TLS client of the HTTP probes: verification as ``verify`` says (as httpx: a CA file, the
    default store, or none), every protocol and suite the system OpenSSL can speak."""
    if isinstance(verify, str):
        folder = os.path.isdir(verify)
        context = ssl.create_default_context(
            cafile=None if folder else verify, capath=verify if folder else None
        )
    else:
        context = httpx.create_ssl_context(verify=verify)  # True: certifi's bundle, as httpx does
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # TLS 1.0/1.1 are deprecated: still read HTTP
        context.minimum_version = ssl.TLSVersion.TLSv1
    context.set_ciphers("ALL:@SECLEVEL=0")
    context.options |= getattr(ssl, "OP_LEGACY_SERVER_CONNECT", 0x4)  # servers without RFC 5746
    return context


@dataclass(frozen=True)
class Exchange:
    """One request and its answer, kept as evidence (what ``http.get()`` returns).

    ``status`` (also ``status_code``, httpx's spelling), ``headers`` (case-insensitive), ``body`` (also
    ``content``: the bytes read, at most the probe's cap), ``text``, ``json()``, ``url``, ``method``,
    ``elapsed_ms`` and ``truncated``. ``response`` is httpx's response (its stream is closed: read the body
    from ``body``/``text``). Any other attribute is an ``AttributeError`` that names these.
    """

    method: str
    url: str
    status: int
    elapsed_ms: float
    response: httpx.Response
    body: bytes = b""
    truncated: bool = False  # the answer was longer than the probe's cap; the rest was not read

    @property
    def status_code(self) -> int:
        """The HTTP status (``status``), as httpx and requests spell it."""
        return self.status

    @property
    def headers(self) -> httpx.Headers:
        """The answer's headers (case-insensitive; ``get_list(name)`` for repeated ones)."""
        return self.response.headers

    @property
    def content(self) -> bytes:
        """The body read (``body``), as httpx and requests spell it."""
        return self.body

    @property
    def text(self) -> str:
        """The body read, decoded with the answer's charset (UTF-8 by default), undecodable bytes replaced."""
        return self.body.decode(self.response.charset_encoding or "utf-8", errors="replace")

    def json(self) -> Any:
        """The body parsed as JSON; :class:`CouldNotCheck` when the body was cut at the probe's cap (the
        document is incomplete), ``ValueError`` when it is not JSON."""
        if self.truncated:
            raise CouldNotCheck(
                f"{self.method} {self.url}: the answer is longer than the probe reads ({len(self.body)} "
                "bytes, target.max_response_bytes): its JSON is incomplete",
                ErrorReason.UNEXPECTED_ANSWER,
            )
        try:
            return json.loads(self.body)
        except ValueError as exc:
            raise ValueError(f"{self.method} {self.url} did not answer JSON ({exc})") from None

    if not TYPE_CHECKING:  # at run time only: mypy keeps flagging a misspelt attribute

        def __getattr__(self, name: str) -> Any:
            if name.startswith("__"):
                raise AttributeError(name)
            raise AttributeError(
                f"an Exchange (what http.get() returns) has no attribute {name!r}; it has status "
                "(or status_code), headers, body (or content), text, json(), url, method, elapsed_ms, "
                "truncated and response (docs/team-checks.md)"
            )


class HttpProbe:
    """Send bounded requests to one base URL.

    ``transport`` is the seam for unit tests (``httpx.MockTransport``); real runs use the network.
    """

    def __init__(
        self,
        base_url: str,
        *,
        timeout_s: float = 5.0,
        verify: str | bool = True,
        transport: httpx.BaseTransport | None = None,
        max_bytes: int = DEFAULT_MAX_BYTES,
        deadline_s: float | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.host = urlsplit(self.base_url).netloc or self.base_url
        self.timeout_s = timeout_s
        self.max_bytes = max_bytes
        # A request may take a few reads' worth of time, never more: a trickling server is cut off.
        self.deadline_s = deadline_s if deadline_s is not None else 3 * timeout_s
        self._verify = verify
        self._given_transport = transport
        self._answered = False  # the target answered at least once in this run
        self._dead: CouldNotCheck | None = None
        self._client = self._new_client()

    @property
    def verify(self) -> str | bool:
        """How the certificate is verified: a CA file or folder, the default store (``True``) or not."""
        return self._verify

    def _new_client(self) -> httpx.Client:
        transport = self._given_transport or httpx.HTTPTransport(verify=client_tls_context(self._verify))
        return httpx.Client(
            base_url=self.base_url,
            timeout=self.timeout_s,
            follow_redirects=False,
            transport=transport,
            headers={"User-Agent": "stackcheck"},
        )

    def request(self, method: str, path: str, **kwargs: object) -> Exchange:
        """Send one request and read at most ``max_bytes=`` (a keyword; default: the probe's cap) of the
        answer; raise :class:`CouldNotCheck` if no HTTP answer came back within the deadline."""
        if self._dead is not None:
            raise CouldNotCheck(f"{self._dead} (not retried)", self._dead.reason)
        limit = kwargs.pop("max_bytes", None)
        cap = limit if isinstance(limit, int) else self.max_bytes
        url = f"{self.base_url}{path}"
        start = time.perf_counter()
        expired = threading.Event()
        client = self._client

        def abandon() -> None:  # closing the pool makes the blocked read return at once
            expired.set()
            client.close()

        timer = threading.Timer(self.deadline_s, abandon)
        timer.daemon = True
        timer.start()
        try:
            body, truncated, response = self._read(client, method, path, cap, kwargs)
        except httpx.HTTPError as exc:
            raise self._failure(exc, method, url, expired.is_set()) from exc
        except RuntimeError as exc:  # the client was closed under a request by the deadline
            if not expired.is_set():
                raise
            raise self._failure(httpx.ReadTimeout(str(exc)), method, url, True) from exc
        finally:
            timer.cancel()
            if expired.is_set():
                self._client = self._new_client()
        self._answered = True
        elapsed_ms = (time.perf_counter() - start) * 1000
        return Exchange(method, url, response.status_code, elapsed_ms, response, body, truncated)

    @staticmethod
    def _read(
        client: httpx.Client, method: str, path: str, cap: int, kwargs: dict[str, object]
    ) -> tuple[bytes, bool, httpx.Response]:
        chunks: list[bytes] = []
        size = 0
        truncated = False
        # httpx reads "//x" relative to the base URL as a host ("network-path reference"), then drops it:
        # the request would go to "/". An absolute URL keeps the path as written.
        where = f"{client.base_url}".rstrip("/") + path if path.startswith("//") else path
        with client.stream(method, where, **kwargs) as response:  # type: ignore[arg-type]
            for chunk in response.iter_bytes(_CHUNK):
                room = cap - size
                if len(chunk) > room:
                    chunks.append(chunk[:room])
                    truncated = True
                    break
                chunks.append(chunk)
                size += len(chunk)
        return b"".join(chunks), truncated, response

    def _failure(self, exc: httpx.HTTPError, method: str, url: str, expired: bool) -> CouldNotCheck:
        if expired:
            failure = CouldNotCheck(
                f"{method} {url} did not complete within {self.deadline_s:g} s (the target trickled its "
                "answer; a request is bounded at 3 x target.timeout_s)",
                ErrorReason.TIMEOUT,
            )
        elif isinstance(exc, httpx.ConnectError):
            failure = CouldNotCheck(f"cannot connect to {self.host}: {_reason(exc)}", ErrorReason.UNREACHABLE)
        elif isinstance(exc, httpx.TimeoutException):
            failure = CouldNotCheck(
                f"{method} {url} got no answer within {self.timeout_s:g} s (target.timeout_s)",
                ErrorReason.TIMEOUT,
            )
        else:
            failure = CouldNotCheck(f"{method} {url} failed: {_reason(exc)}", ErrorReason.UNREACHABLE)
        if not self._answered and (expired or isinstance(exc, httpx.ConnectError | httpx.TimeoutException)):
            self._dead = failure  # never answered in this run: the next checks do not wait again
        return failure

    def get(self, path: str, **kwargs: object) -> Exchange:
        """``GET path``."""
        return self.request("GET", path, **kwargs)

    def close(self) -> None:
        """Close connections."""
        self._client.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


def _reason(exc: Exception) -> str:
    text = str(exc) or exc.__class__.__name__
    if "Connection refused" in text or "Errno 111" in text:
        return "connection refused (is the service running on that port?)"
    return text.splitlines()[0]
