"""`stackcheck load` against Debian's nginx: verdicts on a server nobody here wrote.

nginx's ``limit_req`` with ``limit_req_status 444`` closes the connection without an answer once a client
is over its budget: the first requests (the preflight, one burst) are served, every later one gets no HTTP
answer at all — the shape of a target that goes dead under load. A percentile over answers that never came
is no evidence: the run must be `error`, never `passed` (before the fix: PASS load.p95 over the fast
resets, exit 0). The second test is the same nginx served over HTTPS with the profile's CA bundle, which
`stackcheck load` could not do before (every request died in its greenlet: "no request completed").
"""

from __future__ import annotations

import importlib.util
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from conftest import CliRun
from fixtures.nginx import NginxServer, NginxSite, nginx_binary

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(nginx_binary() is None, reason="nginx is not installed (apt-get install nginx)"),
    pytest.mark.skipif(importlib.util.find_spec("locust") is None, reason="locust is not installed"),
]


def _load(
    run_cli: Callable[..., CliRun],
    tmp_path: Path,
    srv: NginxServer,
    path: str,
    slo: dict[str, float] | None = None,
    url: str | None = None,
) -> tuple[CliRun, dict[str, Any]]:
    profile = tmp_path / "p.yaml"
    profile.write_text(
        yaml.safe_dump(
            {
                "name": "nginx-load",
                "target": {"ca_bundle": str(srv.ca_file)},
                "slo": slo or {"p95_ms": 200},  # the shipped djinn.yaml shape: p95 only
                "load": {"users": 2, "spawn_rate": 2, "duration_s": 3, "endpoints": [{"path": path}]},
            }
        )
    )
    report_dir = tmp_path / "report"
    target = url or srv.url
    run = run_cli("load", "--profile", str(profile), "--target", target, "--report-dir", str(report_dir))
    return run, json.loads((report_dir / "report.json").read_text())


def test_nginx_closing_every_request_after_the_first_is_an_error_not_a_pass(
    tmp_path: Path, run_cli: Callable[..., CliRun]
) -> None:
    site = NginxSite(limit_rate="1r/m", limit_burst=1, limit_status=444, retry_after_s=None)
    with NginxServer(site) as srv:
        run, report = _load(run_cli, tmp_path, srv, site.limit_path)
    p95 = next(r for r in report["results"] if r["id"] == "load.p95")
    assert p95["status"] == "error" and p95["error_reason"] == "unreachable", (p95, run.stdout)
    assert run.code == 3, run.stdout + run.stderr
    load = report["load"]
    # Only answers enter the latency: the connections nginx closed are counted apart, not as fast requests.
    assert load["unanswered"] * 2 > load["requests"], load
    assert load["latency_ms"]["count"] == load["requests"] - load["unanswered"], load


def test_the_same_nginx_on_a_path_without_the_limit_passes_over_https_with_the_profiles_ca(
    tmp_path: Path, run_cli: Callable[..., CliRun]
) -> None:
    site = NginxSite(limit_rate="1r/m", limit_burst=1, limit_status=444, retry_after_s=None)
    with NginxServer(site) as srv:
        run, report = _load(run_cli, tmp_path, srv, "/index.html")  # not rate-limited
    p95 = next(r for r in report["results"] if r["id"] == "load.p95")
    assert p95["status"] == "passed" and run.code == 0, (p95, run.stdout)
    assert report["load"]["unanswered"] == 0 and report["load"]["latency_ms"]["count"] > 0


def test_every_answer_a_redirect_says_what_was_received(
    tmp_path: Path, run_cli: Callable[..., CliRun]
) -> None:
    # nginx's plain-HTTP port answers every request with 301 to HTTPS; load never follows it. The failure
    # names the answer ("HTTP 301"), not "no request got an HTTP response".
    with NginxServer(NginxSite()) as srv:
        run, report = _load(run_cli, tmp_path, srv, "/", {"p95_ms": 200, "error_ratio": 0.01}, srv.http_url)
    ratio = next(r for r in report["results"] if r["id"] == "load.error_ratio")
    assert ratio["status"] == "failed" and "HTTP 301, expected 2xx" in ratio["message"], ratio
    assert "no request got an HTTP response" not in run.stdout and run.code == 1, run.stdout
    assert report["load"]["unanswered"] == 0
