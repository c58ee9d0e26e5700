"""HttpProbe: transport failures become CouldNotCheck (outcome `error`), answers are kept as evidence."""

from __future__ import annotations

import ssl
from pathlib import Path

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


def test_an_exchange_answers_the_spellings_of_httpx_and_requests() -> None:
    answer = httpx.Response(201, json={"status": "UP"}, headers={"X-Request-Id": "r1"})
    with probe(httpx.MockTransport(lambda request: answer)) as p:
        exchange = p.get("/live")
    assert exchange.status_code == exchange.status == 201
    assert exchange.headers["x-request-id"] == "r1" and exchange.content == exchange.body
    assert exchange.json() == {"status": "UP"} and exchange.text == '{"status":"UP"}'


def test_a_misspelt_attribute_names_the_ones_an_exchange_has() -> None:
    with probe(httpx.MockTransport(lambda request: httpx.Response(200))) as p:
        exchange = p.get("/live")
    with pytest.raises(AttributeError, match=r"no attribute 'status_cod'; it has status \(or status_code\)"):
        getattr(exchange, "status_cod")  # noqa: B009 (mypy flags the spelling itself; this is run time)


def test_json_of_a_cut_answer_is_could_not_check_and_of_text_a_value_error() -> None:
    cut = HttpProbe(
        "http://127.0.0.1:9",
        transport=httpx.MockTransport(lambda request: httpx.Response(200, text="[1, 2, 3]")),
        max_bytes=4,
    )
    with cut as p, pytest.raises(CouldNotCheck, match="JSON is incomplete") as raised:
        p.get("/list").json()
    assert raised.value.reason == "unexpected_answer"
    page = probe(httpx.MockTransport(lambda request: httpx.Response(200, text="<html>")))
    with page as p, pytest.raises(ValueError, match=r"GET http://127\.0\.0\.1:9/page did not answer JSON"):
        p.get("/page").json()


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


def test_an_answer_longer_than_the_cap_is_read_up_to_it_and_marked_truncated() -> None:
    body = b"x" * 5000
    with HttpProbe(
        "http://127.0.0.1:9",
        transport=httpx.MockTransport(lambda r: httpx.Response(200, content=body)),
        max_bytes=1024,
    ) as p:
        capped = p.get("/")
        whole = p.get("/", max_bytes=10_000)
    assert (len(capped.body), capped.truncated) == (1024, True) and capped.text == "x" * 1024
    assert (whole.body, whole.truncated) == (body, False)


def test_a_gzip_answer_is_capped_after_decompression() -> None:
    import gzip

    packed = gzip.compress(bytes(1_000_000))
    answer = httpx.Response(200, content=packed, headers={"content-encoding": "gzip"})
    with HttpProbe(
        "http://127.0.0.1:9", transport=httpx.MockTransport(lambda r: answer), max_bytes=4096
    ) as p:
        exchange = p.get("/")
    assert len(exchange.body) == 4096 and exchange.truncated


def test_a_target_that_never_answered_is_not_retried() -> None:
    calls = []

    def refuse(request: httpx.Request) -> httpx.Response:
        calls.append(request.url.path)
        raise httpx.ConnectError("[Errno 111] Connection refused", request=request)

    with probe(httpx.MockTransport(refuse)) as p:
        for path in ("/a", "/b", "/c"):
            with pytest.raises(CouldNotCheck) as info:
                p.get(path)
    assert calls == ["/a"] and "(not retried)" in str(info.value) and info.value.reason == "unreachable"


def test_a_target_that_answered_once_is_tried_again_after_a_timeout() -> None:
    calls = []

    def flaky(request: httpx.Request) -> httpx.Response:
        calls.append(request.url.path)
        if request.url.path == "/slow":
            raise httpx.ReadTimeout("timed out", request=request)
        return httpx.Response(200)

    with probe(httpx.MockTransport(flaky)) as p:
        p.get("/ok")
        with pytest.raises(CouldNotCheck):
            p.get("/slow")
        assert p.get("/ok").status == 200
    assert calls == ["/ok", "/slow", "/ok"]


def test_the_tls_client_accepts_legacy_suites_but_still_verifies(tmp_path: Path) -> None:
    """Headers are about HTTP: any protocol and suite the server offers, the certificate verified as set."""
    from fixtures.certs import issue_set
    from stackcheck.probes.http import client_tls_context

    ca_file = issue_set(tmp_path).ca_file
    context = client_tls_context(str(ca_file))
    assert context.verify_mode == ssl.CERT_REQUIRED and context.check_hostname
    assert context.minimum_version == ssl.TLSVersion.TLSv1
    names = {c["name"] for c in context.get_ciphers()}
    assert {"AES128-SHA", "ECDHE-RSA-AES128-SHA", "ECDHE-RSA-AES128-GCM-SHA256"} <= names
    assert len(context.get_ca_certs()) == 1  # the CA file given, not the default store
    assert client_tls_context(False).verify_mode == ssl.CERT_NONE
