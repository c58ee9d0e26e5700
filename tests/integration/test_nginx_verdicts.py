"""The HTTP and TLS suites against Debian's nginx, configured by the test: verdicts follow the config.

nginx is a server no one here wrote; each case states in nginx's own terms (ssl_protocols, add_header,
limit_req, realip, server_tokens...) what it does, and stackcheck must reach exactly the matching verdicts.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import pytest

from conftest import CliRun
from fixtures.nginx import NginxServer, NginxSite, nginx_binary
from fixtures.nginx.config import LEGACY_CIPHERS, WEAK_CIPHERS
from fixtures.refservice.runner import REPO_ROOT
from stackcheck.catalog import cors, exposure, headers, ratelimit, tls
from tests.integration.http_surface import expected, result

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(nginx_binary() is None, reason="nginx is not installed (apt-get install -y nginx)"),
]
PROFILE = REPO_ROOT / "fixtures" / "nginx" / "profile.yaml"
SUITES = ["ratelimit", "headers", "cors", "exposure", "tls"]
# A careful nginx: TLS 1.2+1.3 with Mozilla's intermediate suites, HSTS and security headers, 10 requests
# per 20 s per IP (a burst of 10, then one every 2 s: slow enough that a loaded machine cannot refill the
# budget while the probe spends it) with 429 + Retry-After 2, an origin allow-list, dotfiles hidden,
# server_tokens off, HTTP → HTTPS.
CAREFUL = NginxSite(limit_rate="30r/m", limit_burst=9, retry_after_s=2, cors="allowlist")


def verify(run_cli: Callable[..., CliRun], server: NginxServer, suites: list[str], *extra: str) -> CliRun:
    args = ["verify", "--profile", str(PROFILE), "--target", server.url]
    args += ["--set", f"target.ca_bundle={server.ca_file}", "--set", f"tls.http_port={server.ports.http}"]
    for suite in suites:
        args += ["--suite", suite]
    return run_cli(*args, *extra)


def test_careful_nginx_passes_every_http_and_tls_check(run_cli: Callable[..., CliRun]) -> None:
    with NginxServer(CAREFUL) as server:
        run = verify(run_cli, server, SUITES)
    assert run.code == 0, run.stdout + run.stderr
    assert run.statuses() == expected(SUITES)
    assert result(run, ratelimit.ENFORCED)["evidence"]["observed"] == 10
    assert result(run, tls.PROTOCOLS)["evidence"]["details"]["accepted"] == ["TLS 1.2", "TLS 1.3"]


@pytest.mark.parametrize(
    ("protocols", "tls_status"),
    [(("TLSv1.2", "TLSv1.3"), "failed"), (("TLSv1.3",), "passed")],
    ids=["tls12+13-fails-1.3-only-promise", "tls13-only-passes"],
)
def test_tls13_only_promise_matches_ssl_protocols(
    run_cli: Callable[..., CliRun], protocols: tuple[str, ...], tls_status: str
) -> None:
    with NginxServer(replace(CAREFUL, protocols=protocols)) as server:
        run = verify(run_cli, server, ["tls"], "--set", "tls.min_version=1.3")
    assert run.statuses() == expected(["tls"], {tls.PROTOCOLS: tls_status})


def test_careless_nginx_fails_exactly_what_its_config_gets_wrong(run_cli: Callable[..., CliRun]) -> None:
    careless = replace(
        CAREFUL,
        hsts_max_age=None,
        server_tokens=True,
        cors="reflect",
        deny_dotfiles=False,
        http_redirect=False,
    )
    suites = ["headers", "cors", "exposure", "tls"]
    with NginxServer(careless) as server:
        run = verify(run_cli, server, suites)
    assert run.code == 1
    assert run.statuses() == expected(
        suites,
        {
            headers.HSTS: "failed",  # no Strict-Transport-Security
            headers.SERVER_BANNER: "failed",  # server_tokens on: Server: nginx/1.22.1
            exposure.ERROR_LEAK: "failed",  # ...and the version on its error pages
            exposure.SENSITIVE_PATHS: "failed",  # /.env and /.git/config under the root are served
            cors.FOREIGN_ORIGIN: "failed",  # Access-Control-Allow-Origin $http_origin
            cors.CREDENTIALS: "failed",  # ...with Access-Control-Allow-Credentials true for everyone
            tls.REDIRECT: "failed",  # the plain port serves the site
        },
    )
    assert sorted(result(run, exposure.SENSITIVE_PATHS)["evidence"]["details"]["served"]) == [
        "/.env",
        "/.git/config",
    ]


@pytest.mark.parametrize(
    ("site", "changed"),
    [
        (
            replace(CAREFUL, limit_rate=None),
            {
                ratelimit.ENFORCED: "failed",
                **dict.fromkeys(
                    [
                        ratelimit.RETRY_AFTER,
                        ratelimit.PER_IP,
                        ratelimit.SPOOFING,
                        ratelimit.RECOVERY,
                    ],
                    "skipped",
                ),
            },
        ),
        (
            replace(CAREFUL, limit_status=503, retry_after_s=None),  # nginx's defaults
            # No Retry-After: recovery would wait the 20 s window, more than max_wait_s (4 s) → skipped.
            {ratelimit.ENFORCED: "failed", ratelimit.RETRY_AFTER: "failed", ratelimit.RECOVERY: "skipped"},
        ),
        (replace(CAREFUL, limit_key="$server_name"), {ratelimit.PER_IP: "failed"}),
        (replace(CAREFUL, trust_forwarded_for=True), {ratelimit.SPOOFING: "failed"}),
    ],
    ids=["no-limit_req", "default-503-no-retry-after", "one-zone-key-for-all", "realip-trusts-anyone"],
)
def test_rate_limit_verdicts_follow_limit_req(
    run_cli: Callable[..., CliRun], site: NginxSite, changed: dict[str, str]
) -> None:
    with NginxServer(site) as server:
        run = verify(run_cli, server, ["ratelimit"])
    assert run.statuses() == expected(["ratelimit"], changed)


def test_legacy_tls_is_seen_with_its_weak_suites(run_cli: Callable[..., CliRun]) -> None:
    legacy = replace(
        CAREFUL,
        protocols=("TLSv1", "TLSv1.1", "TLSv1.2", "TLSv1.3"),
        ciphers=f"{WEAK_CIPHERS}:{LEGACY_CIPHERS}",
    )
    with NginxServer(legacy) as server:
        run = verify(run_cli, server, ["tls"])
    assert run.statuses() == expected(["tls"], {tls.PROTOCOLS: "failed", tls.CIPHERS: "failed"})
    weak = result(run, tls.CIPHERS)["evidence"]["details"]["weak"]
    assert any("TLS_RSA_WITH_AES_128_CBC_SHA" in name for name in weak)


@pytest.mark.parametrize("verify_client", [False, True], ids=["no-client-cert", "ssl-verify-client-on"])
def test_a_required_client_certificate_makes_headers_error_not_a_verdict(
    run_cli: Callable[..., CliRun], verify_client: bool
) -> None:
    # ssl_verify_client on: nginx completes the handshake and answers "400 No required SSL certificate was
    # sent", with the `always` headers on that page. They were judged (6 passed, 2 failed here at once).
    with NginxServer(replace(CAREFUL, verify_client=verify_client)) as server:
        run = verify(run_cli, server, ["headers"])
    statuses = set(run.statuses().values())
    if not verify_client:
        assert statuses == {"passed"}, run.stdout
        return
    assert statuses == {"error"}, run.stdout
    hsts = result(run, headers.HSTS)
    assert hsts["error_reason"] == "access_denied", hsts
    assert "answered 400" in hsts["message"], hsts


@pytest.mark.parametrize(
    ("verify_client", "deny_dotfiles", "sensitive", "leak"),
    [
        (False, False, "failed", "passed"),
        (False, True, "passed", "passed"),
        (True, False, "error", "error"),
    ],
    ids=["dotfiles-served", "dotfiles-denied", "client-cert-required"],
)
def test_exposure_behind_a_required_client_certificate_is_error_not_none_served(
    run_cli: Callable[..., CliRun], verify_client: bool, deny_dotfiles: bool, sensitive: str, leak: str
) -> None:
    # /.env and /.git/config are served to a client with a certificate; without one nginx answers 400 to
    # every path, which passed as "21 sensitive paths probed, none served" before.
    site = replace(CAREFUL, verify_client=verify_client, deny_dotfiles=deny_dotfiles)
    with NginxServer(site) as server:
        run = verify(run_cli, server, ["exposure"])
    assert run.statuses() == {
        "exposure.sensitive_paths": sensitive,
        "exposure.error_leak": leak,
        "exposure.closed_ports": "skipped",  # the nginx profile names no port
    }, run.stdout
    if verify_client:
        refused = result(run, exposure.SENSITIVE_PATHS)
        assert refused["error_reason"] == "access_denied", refused
        assert refused["evidence"]["observed"] is None, refused["evidence"]


@pytest.mark.parametrize(
    ("value", "status", "message"),
    [
        ('max-age="31536000"; INCLUDESUBDOMAINS', "passed", "Strict-Transport-Security: max-age="),
        ("max-age=60; max-age=31536000; includeSubDomains", "failed", "'max-age' appears more than once"),
        ("max-age=31536000, includeSubDomains", "failed", "a ',' is not allowed in the value"),
    ],
    ids=["quoted-uppercase-valid", "max-age-twice", "comma-separated"],
)
def test_hsts_that_browsers_ignore_fails(
    run_cli: Callable[..., CliRun], value: str, status: str, message: str
) -> None:
    # RFC 6797 6.1: each directive at most once; a header breaking the syntax is ignored by browsers.
    # `max-age=60; max-age=31536000` passed (the last max-age was read); a single header with a comma was
    # reported as "sent more than once".
    with NginxServer(replace(CAREFUL, hsts_value=value)) as server:
        run = verify(run_cli, server, ["headers"])
    hsts = result(run, headers.HSTS)
    assert hsts["status"] == status, run.stdout
    assert message in str(hsts["message"]), hsts["message"]


@pytest.mark.parametrize(
    ("frame_options", "status"),
    [(("DENY", "SAMEORIGIN"), "passed"), (("ALLOWALL",), "failed"), (("DENY", "DENY"), "passed")],
    ids=["deny-and-sameorigin", "allowall", "deny-twice"],
)
def test_conflicting_x_frame_options_block_framing_as_browsers_do(
    run_cli: Callable[..., CliRun], frame_options: tuple[str, ...], status: str
) -> None:
    # Two add_header lines (an app and its proxy): HTML's processing falls back to deny for conflicting
    # values. 'DENY, SAMEORIGIN' failed as "not DENY or SAMEORIGIN" (frameable) before.
    no_ancestors = "default-src 'self'; object-src 'none'"  # framing is X-Frame-Options' alone
    site = replace(CAREFUL, frame_options=frame_options, csp=no_ancestors)
    with NginxServer(site) as server:
        run = verify(run_cli, server, ["headers"])
    framing = result(run, headers.FRAMING)
    assert framing["status"] == status, run.stdout


def test_the_rate_limit_is_measured_from_both_addresses_on_a_legacy_only_server(
    run_cli: Callable[..., CliRun],
) -> None:
    # Static-RSA CBC-SHA1 only: the second source address (ratelimit.per_ip) talks through the same TLS client
    # as every HTTP probe; with Python's default context it could not, and per_ip was an error.
    site = replace(CAREFUL, protocols=("TLSv1.2",), ciphers="AES128-SHA:@SECLEVEL=0")
    with NginxServer(site) as server:
        run = verify(run_cli, server, ["ratelimit"])
    assert run.statuses() == expected(["ratelimit"]), run.stdout
