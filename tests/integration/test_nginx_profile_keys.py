"""The profile keys that say what ADRs say (headers.values/paths, cors.allow_credentials,
tls.allowed_ciphers, metrics.public/base_url), against Debian's nginx configured by the test.

Each case states in nginx's own terms (add_header and its inheritance, a credentials map, ssl_ciphers,
proxy_pass of /metrics) what the server does; the verdict must follow the configuration both ways.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import pytest
import yaml

from conftest import CliRun
from fixtures.exposition import LibraryApp
from fixtures.nginx import NginxServer, NginxSite, nginx_binary
from fixtures.nginx.config import MOZILLA_INTERMEDIATE_CIPHERS
from fixtures.refservice.runner import REPO_ROOT
from stackcheck.catalog import CheckSpec, cors, headers, metrics, tls
from tests.integration.http_surface import expected, result

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(nginx_binary() is None, reason="nginx is not installed (apt-get install -y nginx)"),
]
PROFILE = REPO_ROOT / "fixtures" / "nginx" / "profile.yaml"
CAREFUL = NginxSite(cors="allowlist")
PAGES = ["/", "/api/v1/ping"]
TLS13 = ["TLS_AES_256_GCM_SHA384", "TLS_CHACHA20_POLY1305_SHA256", "TLS_AES_128_GCM_SHA256"]
INTERMEDIATE = MOZILLA_INTERMEDIATE_CIPHERS.split(":")  # OpenSSL names, as nginx's ssl_ciphers has them
CBC_SHA1_WITH_FS = f"{MOZILLA_INTERMEDIATE_CIPHERS}:ECDHE-RSA-AES128-SHA:ECDHE-RSA-AES256-SHA"


def verify(run_cli: Callable[..., CliRun], server: NginxServer, suites: list[str], *extra: str) -> CliRun:
    args = ["verify", "--profile", str(PROFILE), "--target", server.url]
    args += ["--set", f"target.ca_bundle={server.ca_file}"]
    for suite in suites:
        args += ["--suite", suite]
    return run_cli(*args, *extra)


@pytest.mark.parametrize(
    ("frame_options", "status", "message"),
    [
        (("DENY",), "passed", None),
        (("SAMEORIGIN",), "failed", "x-frame-options is 'SAMEORIGIN', not 'DENY'"),
        (("DENY", "DENY"), "failed", "x-frame-options is sent 2 times ('DENY' | 'DENY')"),
        (("deny",), "failed", "only the letter case differs"),
    ],
    ids=["deny", "sameorigin", "deny-twice", "lower-case"],
)
def test_exact_header_values_follow_add_header(
    run_cli: Callable[..., CliRun], frame_options: tuple[str, ...], status: str, message: str | None
) -> None:
    # Each of these is framing protection (headers.framing passes): only the exact-value promise breaks.
    with NginxServer(replace(CAREFUL, frame_options=frame_options)) as server:
        run = verify(run_cli, server, ["headers"])
    assert run.statuses() == expected(["headers"], {headers.VALUES: status}), run.stdout
    if message is not None:
        assert message in str(result(run, headers.VALUES)["message"])


def by_page(changed: dict[str, dict[CheckSpec, str]]) -> dict[str, str]:
    return {
        f"{check}[{page}]": status
        for page in PAGES
        for check, status in expected(["headers"], changed.get(page)).items()
    }


@pytest.mark.parametrize("repeated", [False, True], ids=["inherits-nothing", "repeats-the-headers"])
def test_a_location_with_add_header_of_its_own_loses_the_inherited_headers(
    run_cli: Callable[..., CliRun], repeated: bool
) -> None:
    # nginx: add_header lines are inherited from the server level only by a location that has none itself.
    site = replace(CAREFUL, api_headers=("Cache-Control no-store",), api_repeats_headers=repeated)
    with NginxServer(site) as server:
        run = verify(run_cli, server, ["headers"], "--set", f"headers.paths=[{', '.join(PAGES)}]")
        assert "add_header Cache-Control no-store always;" in server.config_text()
    dropped = {spec: "failed" for spec in headers.CHECKS if spec is not headers.SERVER_BANNER}
    assert run.statuses() == by_page({} if repeated else {"/api/v1/ping": dropped}), run.stdout


@pytest.mark.parametrize(
    ("credentials", "allow", "status"),
    [
        (True, "true", "passed"),
        (False, "true", "failed"),
        (False, "false", "passed"),
        (True, "false", "failed"),
    ],
    ids=["granted-as-promised", "promised-not-granted", "none-as-promised", "granted-not-promised"],
)
def test_credentials_follow_the_credentials_map(
    run_cli: Callable[..., CliRun], credentials: bool, allow: str, status: str
) -> None:
    with NginxServer(replace(CAREFUL, cors_credentials=credentials)) as server:
        run = verify(run_cli, server, ["cors"], "--set", f"cors.allow_credentials={allow}")
    assert run.statuses() == expected(["cors"], {cors.CREDENTIALS: status}), run.stdout
    found = result(run, cors.CREDENTIALS)
    assert found["evidence"]["observed"] == (["https://app.example.com"] if credentials else [])
    if status == "failed" and credentials:
        assert "GET from https://app.example.com is granted credentials" in str(found["message"])
    elif status == "failed":
        assert "Access-Control-Allow-Credentials is absent, not true" in str(found["message"])


@pytest.mark.parametrize(
    ("ciphers", "allowed", "status", "named"),
    [
        (MOZILLA_INTERMEDIATE_CIPHERS, [*INTERMEDIATE, *TLS13], "passed", None),
        (
            CBC_SHA1_WITH_FS,
            [*INTERMEDIATE, *TLS13],
            "failed",
            "TLS 1.2 TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA (ECDHE-RSA-AES128-SHA)",
        ),
        (
            CBC_SHA1_WITH_FS,
            [*INTERMEDIATE, *TLS13, "ECDHE-RSA-AES128-SHA", "TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA"],
            "passed",
            None,
        ),
        (MOZILLA_INTERMEDIATE_CIPHERS, INTERMEDIATE, "failed", "TLS 1.3 TLS_AES_256_GCM_SHA384"),
    ],
    ids=["listed", "cbc-suites-unlisted", "cbc-suites-listed", "tls13-unlisted"],
)
def test_allowed_ciphers_follow_ssl_ciphers(
    run_cli: Callable[..., CliRun], ciphers: str, allowed: list[str], status: str, named: str | None
) -> None:
    with NginxServer(replace(CAREFUL, ciphers=ciphers)) as server:
        run = verify(run_cli, server, ["tls"], "--set", f"tls.allowed_ciphers=[{', '.join(allowed)}]")
    assert run.statuses() == expected(["tls"], {tls.CIPHERS: status, tls.REDIRECT: "skipped"}), run.stdout
    if named is not None:
        message = str(result(run, tls.CIPHERS)["message"])
        assert message.startswith("suites outside tls.allowed_ciphers accepted: ") and named in message


def test_allowed_ciphers_and_a_policy_together_are_a_usage_error(run_cli: Callable[..., CliRun]) -> None:
    run = run_cli(
        "verify",
        "--profile",
        str(PROFILE),
        "--set",
        "tls.policy=mozilla-intermediate",
        "--set",
        "tls.allowed_ciphers=[TLS_AES_128_GCM_SHA256]",
        "--suite",
        "tls",
        report=False,
    )
    assert run.code == 2, run.stdout + run.stderr
    assert "tls.allowed_ciphers and tls.policy (mozilla-intermediate) are mutually exclusive" in run.stderr
    assert "Traceback" not in run.stderr and len(run.stderr.strip().splitlines()) == 1, run.stderr


def metrics_profile(tmp_path: Path, base_url: str) -> Path:
    profile = {
        "name": "nginx-metrics",
        "target": {"timeout_s": 5},
        "metrics": {
            "path": "/metrics",
            "required": ["app_requests_total"],
            "public": False,
            "base_url": base_url,
        },
        "slo": {"p95_ms": 200},
    }
    path = tmp_path / "profile.yaml"
    path.write_text(yaml.safe_dump(profile))
    return path


@pytest.mark.parametrize(
    ("front", "status", "served"),
    [
        ({}, "passed", []),  # a static site: /metrics is not a file
        ({"metrics_upstream": "APP"}, "failed", ["//metrics", "/metrics"]),  # = /metrics (slashes merged)
        (
            {"app_upstream": "APP"},
            "failed",
            ["//metrics", "/metrics", "/metrics/"],
        ),  # everything proxied to the app
        ({"app_upstream": "APP", "metrics_block": "exact"}, "failed", ["/metrics/"]),  # = /metrics only
        ({"app_upstream": "APP", "metrics_block": "prefix"}, "passed", []),  # location /metrics: all of it
    ],
    ids=["static", "proxied", "app-proxied", "exact-block-bypassed", "prefix-block"],
)
def test_metrics_behind_nginx_are_public_only_when_proxied(
    run_cli: Callable[..., CliRun], tmp_path: Path, front: dict[str, str], status: str, served: list[str]
) -> None:
    # The app is prometheus_client's own exporter, which answers the exposition at every path.
    with LibraryApp() as app:
        site = replace(NginxSite(), **{k: app.url if v == "APP" else v for k, v in front.items()})
        with NginxServer(site) as server:
            args = ["verify", "--profile", str(metrics_profile(tmp_path, app.url)), "--target", server.url]
            run = run_cli(*args, "--set", f"target.ca_bundle={server.ca_file}", "--suite", "metrics")
    assert run.statuses() == expected(["metrics"], {metrics.NOT_PUBLIC: status}), run.stdout
    found = result(run, metrics.NOT_PUBLIC)
    assert sorted(found["evidence"]["details"]["served"]) == served, found
    for path in served:
        assert f"GET {path} -> 200" in str(found["message"])
