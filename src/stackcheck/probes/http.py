"""HTTP probe: a thin httpx client that turns "could not reach" into :class:`CouldNotCheck`."""

from __future__ import annotations

import time
from dataclasses import dataclass
from types import TracebackType
from typing import Self
from urllib.parse import urlsplit

import httpx

from stackcheck._exceptions import CouldNotCheck, ErrorReason

__all__ = ["Exchange", "HttpProbe"]


@dataclass(frozen=True)
class Exchange:
    """One request and its answer, kept as evidence."""

    method: str
    url: str
    status: int
    elapsed_ms: float
    response: httpx.Response


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
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.host = urlsplit(self.base_url).netloc or self.base_url
        self._client = httpx.Client(
            base_url=self.base_url,
            timeout=timeout_s,
            verify=verify,
            follow_redirects=False,
            transport=transport,
            headers={"User-Agent": "stackcheck"},
        )
        self.timeout_s = timeout_s

    def request(self, method: str, path: str, **kwargs: object) -> Exchange:
        """Send one request; raise :class:`CouldNotCheck` if no HTTP answer came back."""
        url = f"{self.base_url}{path}"
        start = time.perf_counter()
        try:
            response = self._client.request(method, path, **kwargs)  # type: ignore[arg-type]
        except httpx.ConnectError as exc:
            raise CouldNotCheck(
                f"cannot connect to {self.host}: {_reason(exc)}", ErrorReason.UNREACHABLE
            ) from exc
        except httpx.TimeoutException as exc:
            raise CouldNotCheck(
                f"{method} {url} got no answer within {self.timeout_s:g} s (target.timeout_s)",
                ErrorReason.TIMEOUT,
            ) from exc
        except httpx.HTTPError as exc:
            raise CouldNotCheck(f"{method} {url} failed: {_reason(exc)}", ErrorReason.UNREACHABLE) from exc
        elapsed_ms = (time.perf_counter() - start) * 1000
        return Exchange(method, url, response.status_code, elapsed_ms, response)

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
