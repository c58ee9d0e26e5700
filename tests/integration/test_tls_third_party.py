"""The tls suite, and the headers suite over TLS, against HAProxy and nginx configured by the test.

Each case says in the server's own terms what it does; stackcheck must reach the matching verdict, and
"could not check" must stay `error`: a HAProxy that rejects bursts of connections, or answers old
ClientHellos with an alert sslyze does not know, is never `failed` for want of a protocol, nor `passed`
because the probes that could have failed it errored.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import replace
from typing import Any

import pytest

from conftest import CliRun
from fixtures.haproxy import HAProxyServer, haproxy_binary
from fixtures.nginx import NginxServer, NginxSite, nginx_binary
from fixtures.nginx.config import MOZILLA_INTERMEDIATE_CIPHERS
from fixtures.refservice.runner import REPO_ROOT
from stackcheck.catalog import CheckSpec, headers, tls
from tests.integration.http_surface import expected, result

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(haproxy_binary() is None, reason="haproxy is not installed (apt-get install haproxy)"),
    pytest.mark.skipif(nginx_binary() is None, reason="nginx is not installed (apt-get install -y nginx)"),
]
PROFILE = REPO_ROOT / "fixtures" / "nginx" / "profile.yaml"  # TLS 1.2 minimum, 14 days
OK = 'http-request return status 200 content-type text/plain string "ok\\n"'
INTERMEDIATE_BIND = (
    f"bind 127.0.0.1:{{port}} ssl crt {{pem}} ssl-min-ver TLSv1.2 ciphers {MOZILLA_INTERMEDIATE_CIPHERS}"
)
# More than 20 connections in 10 s from one address are closed at accept: sslyze's probes burst.
BURST_REJECT = """
    stick-table type ip size 1k expire 30s store conn_rate(10s)
    tcp-request connection track-sc0 src
    tcp-request connection reject if {{ sc0_conn_rate gt 20 }}
"""
# A TCP front that answers a ClientHello below FLOOR with a TLS alert of an unknown code (255), which
# sslyze's probe cannot interpret (it errors), and passes every other hello to the TLS terminator.
ALERTING_FRONT = """    mode tcp
    bind 127.0.0.1:{port}
    tcp-request inspect-delay 5s
    tcp-request content use-service lua.alert if {{ req.ssl_hello_type 1 }} {{ req.ssl_ver lt FLOOR }}
    tcp-request content accept if {{ req.ssl_hello_type 1 }}
    default_backend terminator

backend terminator
    mode tcp
    server terminator 127.0.0.1:{http_port}

frontend terminator
    mode http
    bind 127.0.0.1:{http_port} ssl crt {pem} ssl-min-ver MIN_VER ciphers CIPHERS
    OK
"""
ALERT_LUA = """core.register_service("alert", "tcp", function(applet)
  local hello = applet:receive(11)  -- record header, handshake header, client_version
  applet:send("\\21" .. string.sub(hello, 10, 11) .. "\\0\\2\\2\\255")
end)
"""


def verify(
    run_cli: Callable[..., CliRun], url: str, ca_file: object, suites: list[str], *extra: str
) -> CliRun:
    args = ["verify", "--profile", str(PROFILE), "--target", url, "--set", f"target.ca_bundle={ca_file}"]
    for suite in suites:
        args += ["--suite", suite]
    return run_cli(*args, *extra)


def tls_expected(changed: Mapping[CheckSpec, str] | None = None) -> dict[str, str]:
    """The tls suite's statuses on a compliant server without a plain-HTTP port (tls.redirect skipped)."""
    return expected(["tls"], {tls.REDIRECT: "skipped", **(changed or {})})


def alerting_haproxy(floor: str, min_ver: str, ciphers: str) -> HAProxyServer:
    front = ALERTING_FRONT.replace("FLOOR", floor).replace("MIN_VER", min_ver)
    front = front.replace("CIPHERS", ciphers).replace("    OK", f"    {OK}")
    server = HAProxyServer(front, global_extra="lua-load {prefix}/alert.lua")
    (server.prefix / "alert.lua").write_text(ALERT_LUA)
    return server


def test_haproxy_rejecting_connection_bursts_is_error_never_failed(run_cli: Callable[..., CliRun]) -> None:
    with HAProxyServer(f"    {INTERMEDIATE_BIND}\n    {OK}") as server:
        calm = verify(run_cli, server.url, server.ca_file, ["tls"])
    assert calm.statuses() == tls_expected(), calm.stdout
    with HAProxyServer(f"    {INTERMEDIATE_BIND}\n{BURST_REJECT}    {OK}") as server:
        run = verify(run_cli, server.url, server.ca_file, ["tls"])
    statuses = run.statuses()
    assert statuses["tls.protocols"] == "error" and statuses["tls.ciphers"] == "error", run.stdout
    assert statuses["tls.certificate"] in ("error", "passed")  # its few handshakes may fit in the budget
    assert run.code == 3
    protocols = result(run, tls.PROTOCOLS)
    assert protocols["error_reason"] == "unreachable"
    assert "ServerRejectedConnection" in str(protocols["message"])
    assert "no protocol at or above" not in str(protocols["message"])


def test_probes_erroring_below_the_minimum_leave_the_verdict_open(run_cli: Callable[..., CliRun]) -> None:
    """SSL 3.0 to TLS 1.1 probes error, TLS 1.2/1.3 are accepted: this used to pass a 1.2 minimum."""
    with alerting_haproxy("3.0", "TLSv1.2", MOZILLA_INTERMEDIATE_CIPHERS) as server:  # no hello below 3.0
        passthrough = verify(run_cli, server.url, server.ca_file, ["tls"])
    assert passthrough.statuses() == tls_expected(), passthrough.stdout
    with alerting_haproxy("3.3", "TLSv1.2", MOZILLA_INTERMEDIATE_CIPHERS) as server:
        run = verify(run_cli, server.url, server.ca_file, ["tls"])
    assert run.statuses() == tls_expected({tls.PROTOCOLS: "error", tls.CIPHERS: "error"}), run.stdout
    evidence = result(run, tls.PROTOCOLS)["evidence"]["details"]
    assert evidence["accepted"] == ["TLS 1.2", "TLS 1.3"]
    assert sorted(evidence["errored"]) == ["SSL 3.0", "TLS 1.0", "TLS 1.1"]
    assert result(run, tls.PROTOCOLS)["error_reason"] == "tool_failed"


def test_a_completed_probe_of_a_forbidden_protocol_decides_whatever_errored(
    run_cli: Callable[..., CliRun],
) -> None:
    legacy = "ECDHE-RSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-SHA:@SECLEVEL=0"
    with alerting_haproxy("3.2", "TLSv1.1", legacy) as server:  # SSL 3.0, TLS 1.0 error; TLS 1.1 accepted
        run = verify(run_cli, server.url, server.ca_file, ["tls"])
    assert run.statuses()["tls.protocols"] == "failed", run.stdout
    assert "TLS 1.1 is accepted" in str(result(run, tls.PROTOCOLS)["message"])
    assert run.statuses()["tls.ciphers"] == "error"  # no weak suite seen, two protocols unknown


# nginx serving certificates of fixtures.certs; @SECLEVEL=0 lets it load a 1024-bit or SHA-1 certificate.
CERT_CASES: list[tuple[str, dict[str, Any], str, str, object, object]] = [
    ("expiring", {"days": 5}, "days_left", "expires in 5 days, fewer than 14", 14, 5.0),
    ("expired", {"expired": True}, "days_left", "expired 1 day(s) ago", 14, -1.0),
    (
        "self-signed",
        {"self_signed": True},
        "chain",
        "not trusted: self-signed (CN=localhost signed",
        None,
        None,
    ),
    (
        "wrong-host",
        {"hosts": ("example.com",)},
        "host",
        "not issued for 127.0.0.1 (subjectAltName: example.com)",
        None,
        None,
    ),
    ("rsa1024", {"key": "rsa1024"}, "key", "1024-bit RSA key, below 2048 bits", 2048, 1024),
    (
        "intermediate-not-sent",
        {"intermediate": "missing"},
        "chain",
        "not trusted: incomplete chain or unknown CA: the server sent only its own certificate, issued by "
        "CN=stackcheck local test intermediate CA",
        None,
        None,
    ),
    ("sha1", {"signature_hash": "sha1"}, "chain", "not trusted: signed with ecdsa-with-SHA1", None, None),
]
SECLEVEL0 = replace(NginxSite(), ciphers=f"{MOZILLA_INTERMEDIATE_CIPHERS}:@SECLEVEL=0")


@pytest.mark.parametrize(
    ("certificate", "failing", "message", "exp", "obs"),
    [case[1:] for case in CERT_CASES],
    ids=[case[0] for case in CERT_CASES],
)
def test_certificate_failures_say_what_failed(
    run_cli: Callable[..., CliRun],
    certificate: Mapping[str, Any],
    failing: str,
    message: str,
    exp: object,
    obs: object,
) -> None:
    with NginxServer(SECLEVEL0, certificate=certificate) as server:
        run = verify(run_cli, server.url, server.ca_file, ["tls"])
    assert run.statuses()["tls.certificate"] == "failed", run.stdout
    found = result(run, tls.CERTIFICATE)
    text = str(found["message"])
    assert message in text, text
    assert "{" not in text and "keyUsage" not in text  # no debug dump, no hint that does not apply
    evidence = found["evidence"]
    assert list(evidence["details"]["problems"]) == [failing]  # one property failed, and it is named
    if exp is not None:  # expected/observed are that property, not the days left
        assert evidence["expected"] == exp and evidence["observed"] == pytest.approx(obs, abs=0.2)
    else:
        assert evidence["expected"] != 14


@pytest.mark.parametrize("certificate", [{}, {"intermediate": "sent"}], ids=["root-issued", "chain-sent"])
def test_the_same_nginx_with_a_good_certificate_passes(
    run_cli: Callable[..., CliRun], certificate: Mapping[str, Any]
) -> None:
    with NginxServer(SECLEVEL0, certificate=certificate) as server:
        run = verify(run_cli, server.url, server.ca_file, ["tls"])
    assert run.statuses()["tls.certificate"] == "passed", run.stdout
    evidence = result(run, tls.CERTIFICATE)["evidence"]
    assert evidence["expected"] == 14 and 89 <= evidence["observed"] <= 90 and evidence["unit"] == "days"


LEGACY_ONLY = replace(NginxSite(), protocols=("TLSv1.2",), ciphers="AES128-SHA:@SECLEVEL=0")


def test_headers_are_read_from_a_legacy_only_server_and_its_ciphers_fail(
    run_cli: Callable[..., CliRun],
) -> None:
    """Static RSA CBC-SHA1 only: Python's default client refuses it; curl and testssl.sh read the headers."""
    with NginxServer(LEGACY_ONLY) as server:
        run = verify(run_cli, server.url, server.ca_file, ["headers", "tls"])
    assert run.statuses() == expected(["headers", "tls"], {tls.CIPHERS: "failed", tls.REDIRECT: "skipped"})
    assert "TLS_RSA_WITH_AES_128_CBC_SHA" in str(result(run, tls.CIPHERS)["message"])


def test_headers_still_verify_the_certificate_on_a_legacy_only_server(run_cli: Callable[..., CliRun]) -> None:
    with NginxServer(LEGACY_ONLY, certificate={"self_signed": True}) as server:
        run = verify(run_cli, server.url, server.ca_file, ["headers"])
    assert set(run.statuses().values()) == {"error"}, run.stdout
    assert "CERTIFICATE_VERIFY_FAILED" in str(result(run, headers.HSTS)["message"])


CBC_SHA1_WITH_FS = f"{MOZILLA_INTERMEDIATE_CIPHERS}:ECDHE-RSA-AES128-SHA:ECDHE-RSA-AES256-SHA"


@pytest.mark.parametrize(
    ("ciphers", "policy", "changed"),
    [
        (MOZILLA_INTERMEDIATE_CIPHERS, "mozilla-intermediate", {}),
        (MOZILLA_INTERMEDIATE_CIPHERS, "mozilla-modern", {tls.PROTOCOLS: "failed", tls.CIPHERS: "failed"}),
        (CBC_SHA1_WITH_FS, "mozilla-intermediate", {tls.CIPHERS: "failed"}),
        (CBC_SHA1_WITH_FS, None, {}),  # the built-in rules allow CBC-SHA1 with forward secrecy
    ],
    ids=[
        "intermediate-passes-intermediate",
        "intermediate-fails-modern",
        "cbc-sha1-fails-intermediate",
        "cbc-sha1",
    ],
)
def test_tls_policy_judges_against_mozilla_configurations(
    run_cli: Callable[..., CliRun], ciphers: str, policy: str | None, changed: dict[CheckSpec, str]
) -> None:
    extra = ["--set", f"tls.policy={policy}"] if policy else []
    with NginxServer(replace(NginxSite(), ciphers=ciphers)) as server:
        run = verify(run_cli, server.url, server.ca_file, ["tls"], *extra)
    assert run.statuses() == tls_expected(changed), run.stdout
    if tls.CIPHERS in changed:
        assert f"outside {policy}" in str(result(run, tls.CIPHERS)["message"])


@pytest.mark.parametrize(
    ("second", "status"),
    [("max-age=31536000", "passed"), ("max-age=300", "failed")],
    ids=["identical-copies-judged-by-the-first", "differing-copies-fail"],
)
def test_duplicated_hsts_on_haproxy(run_cli: Callable[..., CliRun], second: str, status: str) -> None:
    front = (
        f"    {INTERMEDIATE_BIND}\n"
        '    http-after-response add-header Strict-Transport-Security "max-age=31536000"\n'
        f'    http-after-response add-header Strict-Transport-Security "{second}"\n'
        f"    {OK}"
    )
    with HAProxyServer(front) as server:
        run = verify(run_cli, server.url, server.ca_file, ["headers"])
    assert run.statuses()["headers.hsts"] == status, run.stdout
    if status == "failed":
        assert "different values" in str(result(run, headers.HSTS)["message"])
    else:
        assert result(run, headers.HSTS)["evidence"]["details"]["copies"] == 2
