"""HttpProbe: transport failures become CouldNotCheck (outcome `error`), answers are kept as evidence."""

from __future__ import annotations

import httpx
import pytest

from stackcheck import CouldNotCheck
from stackcheck.probes import HttpProbe


def probe(handler: httpx.MockTransport) -> HttpProbe:
    return HttpProbe("http://127.0.0.1:9", transport=handler, timeout_s=2)


def test_answer_is_returned_with_status_and_timing() -> None:
    with probe(httpx.MockTransport(lambda request: httpx.Response(503))) as p:
        exchange = p.get("/ready")
    assert exchange.status == 503 and exchange.url == "http://127.0.0.1:9/ready" and exchange.elapsed_ms >= 0


def test_connection_refused_is_could_not_check_unreachable() -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("[Errno 111] Connection refused", request=request)

    with probe(httpx.MockTransport(refuse)) as p, pytest.raises(CouldNotCheck) as info:
        p.get("/health")
    assert info.value.reason == "unreachable"
    assert "connection refused" in str(info.value)


def test_timeout_is_could_not_check_timeout() -> None:
    def slow(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("timed out", request=request)

    with probe(httpx.MockTransport(slow)) as p, pytest.raises(CouldNotCheck) as info:
        p.get("/health")
    assert info.value.reason == "timeout"
    assert "target.timeout_s" in str(info.value)
