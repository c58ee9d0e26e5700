"""The Apache fixture: Debian's apache2 serves HTTPS with exactly the TLS versions and headers it was told.

Proven both ways on the real server: a header it was told to send is there (twice when told twice) and one it
was not told is absent; TLS 1.3 only refuses a TLS 1.2 handshake that TLS 1.2+1.3 accepts; ``ServerTokens``
decides whether the Server header names the version; stopping ends the process and removes the prefix.
"""

from __future__ import annotations

import socket
import ssl
from urllib.parse import urlsplit

import httpx
import pytest

from fixtures.apache import ApacheServer, apache_binary, tls_vhost

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(
        apache_binary() is None, reason="apache2 is not installed (apt-get install -y apache2)"
    ),
]
HSTS = 'Strict-Transport-Security "max-age=31536000"'


def _trust(server: ApacheServer) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=str(server.ca_file))


def _handshake(server: ApacheServer, version: ssl.TLSVersion) -> str:
    """The protocol a client limited to ``version`` negotiates, trusting the fixture's CA."""
    context = ssl.create_default_context(cafile=str(server.ca_file))
    context.minimum_version = context.maximum_version = version
    port = urlsplit(server.url).port or 443
    with (
        socket.create_connection(("127.0.0.1", port), timeout=10) as sock,
        context.wrap_socket(sock, server_hostname="127.0.0.1") as tls,
    ):
        return str(tls.version())


def test_serves_tls_with_the_headers_it_was_told() -> None:
    vhost = tls_vhost(headers=[HSTS, "X-Content-Type-Options nosniff"]) + f"\n    Header always add {HSTS}"
    with ApacheServer(vhost) as server:
        answer = httpx.get(server.url, verify=_trust(server), timeout=10)
        assert _handshake(server, ssl.TLSVersion.TLSv1_2) == "TLSv1.2"
        assert _handshake(server, ssl.TLSVersion.TLSv1_3) == "TLSv1.3"
        proc = server._proc
    assert answer.status_code == 200 and "apache under test" in answer.text
    assert answer.headers.get_list("strict-transport-security") == ["max-age=31536000"] * 2
    assert answer.headers["x-content-type-options"] == "nosniff"
    assert "content-security-policy" not in answer.headers
    assert answer.headers["server"] == "Apache"  # ServerTokens Prod
    assert proc is not None and proc.poll() is not None
    assert not server.prefix.exists()


def test_tls13_only_refuses_tls12_and_full_tokens_name_the_version() -> None:
    with ApacheServer(tls_vhost("-all +TLSv1.3"), server_tokens="Full") as server:
        answer = httpx.get(server.url, verify=_trust(server), timeout=10)
        assert _handshake(server, ssl.TLSVersion.TLSv1_3) == "TLSv1.3"
        with pytest.raises(ssl.SSLError):
            _handshake(server, ssl.TLSVersion.TLSv1_2)
    assert answer.headers["server"].startswith("Apache/2.4.")
    assert "strict-transport-security" not in answer.headers


def test_certificate_options_reach_the_server() -> None:
    with (
        ApacheServer(certificate={"hosts": ("other.example.com",)}) as server,
        pytest.raises(ssl.SSLCertVerificationError),
    ):
        _handshake(server, ssl.TLSVersion.TLSv1_3)
