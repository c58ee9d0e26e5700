"""`stackcheck load` on write endpoints: POST with a body, opt-in, against the reference service and nginx.

Both ways on each: a create endpoint that answers 201 fast passes load.p95 and load.error_ratio; one that
answers 500 (the reference service's ``failing=`` defect, or nginx configured to) or slowly (``slow=``)
fails. The reference service counts what it created, so the tests see the body arrive and be judged by the
target (a body without the field it requires is 422, a failed request), and nginx checks the bearer token a
``${VAR}`` header expands to.
"""

from __future__ import annotations

import importlib.util
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from conftest import CliRun
from fixtures.nginx import NginxServer, NginxSite, nginx_binary
from fixtures.refservice.app import ITEMS_PATH
from stackcheck.catalog import load as load_checks

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(importlib.util.find_spec("locust") is None, reason="locust is not installed"),
]

ITEM = {"path": ITEMS_PATH, "method": "POST", "body": {"name": "widget"}, "expect_status": [201]}
TOKEN = "load-token-0123456789abcdef"


def _profile(tmp_path: Path, endpoint: dict[str, Any], *, allow_writes: bool = True, **extra: Any) -> Path:
    load = {"users": 4, "spawn_rate": 4, "duration_s": 3, "processes": 0, "endpoints": [endpoint]}
    if allow_writes:
        load["allow_writes"] = True
    data = {"name": "writes", "slo": {"p95_ms": 1500, "error_ratio": 0.01}, "load": load, **extra}
    path = tmp_path / "writes.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    return path


def _load(
    run_cli: Callable[..., CliRun], profile: Path, target: str, env: dict[str, str] | None = None
) -> tuple[CliRun, dict[str, dict[str, Any]], dict[str, Any]]:
    report_dir = profile.parent / "report"
    run = run_cli(
        "load", "--profile", str(profile), "--target", target, "--report-dir", str(report_dir), env=env
    )
    report = (
        json.loads((report_dir / "report.json").read_text()) if (report_dir / "report.json").exists() else {}
    )
    return run, {r["id"]: r for r in report.get("results", [])}, report


def _created(url: str) -> int:
    return int(httpx.get(f"{url}{ITEMS_PATH}", timeout=5).json()["count"])


def test_a_create_endpoint_answering_201_fast_passes_and_every_request_created_an_item(
    tmp_path: Path, run_cli: Callable[..., CliRun], refservice: Callable[..., Any]
) -> None:
    svc = refservice()
    run, results, report = _load(run_cli, _profile(tmp_path, ITEM), svc.url)
    assert run.code == 0, run.stdout + run.stderr
    assert results["load.p95"]["status"] == "passed" and results["load.error_ratio"]["status"] == "passed"
    assert [e["name"] for e in report["load"]["endpoints"]] == ["POST /api/v1/items"]
    # Every request of the run plus the one sent before it reached the service as a valid item.
    assert _created(svc.url) == report["load"]["requests"] + 1 > 1


def test_a_create_endpoint_answering_500_fails_the_error_ratio(
    tmp_path: Path, run_cli: Callable[..., CliRun], refservice: Callable[..., Any]
) -> None:
    defect = f"failing={ITEMS_PATH}"
    assert defect in load_checks.ERROR_RATIO.examples("defect")
    svc = refservice(defects=[defect])
    run, results, _ = _load(run_cli, _profile(tmp_path, ITEM), svc.url)
    assert run.code == 1, run.stdout + run.stderr
    ratio = results["load.error_ratio"]
    assert ratio["status"] == "failed" and ratio["evidence"]["observed"] == 1.0, ratio
    assert "HTTP 500, expected 201" in ratio["message"]


def test_a_slow_create_endpoint_fails_the_p95_while_its_answers_count_as_success(
    tmp_path: Path, run_cli: Callable[..., CliRun], refservice: Callable[..., Any]
) -> None:
    defect = f"slow={ITEMS_PATH}:2500"
    assert defect in load_checks.P95.examples("defect")
    svc = refservice(defects=[defect])
    run, results, _ = _load(run_cli, _profile(tmp_path, ITEM), svc.url)
    assert run.code == 1, run.stdout + run.stderr
    assert results["load.p95"]["status"] == "failed" and results["load.p95"]["evidence"]["observed"] >= 2500
    assert results["load.error_ratio"]["status"] == "passed"


def test_the_body_is_what_the_target_judges_a_body_it_refuses_is_a_failed_request(
    tmp_path: Path, run_cli: Callable[..., CliRun], refservice: Callable[..., Any]
) -> None:
    svc = refservice()
    run, results, _ = _load(run_cli, _profile(tmp_path, {**ITEM, "body": {"title": "no name"}}), svc.url)
    assert run.code == 1, run.stdout + run.stderr
    ratio = results["load.error_ratio"]
    assert ratio["status"] == "failed" and "HTTP 422, expected 201" in ratio["message"], ratio
    assert _created(svc.url) == 0


def test_a_body_from_a_file_next_to_the_profile_is_sent(
    tmp_path: Path, run_cli: Callable[..., CliRun], refservice: Callable[..., Any]
) -> None:
    (tmp_path / "item.json").write_text('{"name": "from a file"}', encoding="utf-8")
    svc = refservice()
    endpoint = {"path": ITEMS_PATH, "method": "POST", "body_file": "item.json", "expect_status": [201]}
    run, results, report = _load(run_cli, _profile(tmp_path, endpoint), svc.url)
    assert run.code == 0 and results["load.error_ratio"]["status"] == "passed", run.stdout + run.stderr
    assert _created(svc.url) == report["load"]["requests"] + 1


def test_a_write_endpoint_without_the_opt_in_is_refused_before_anything_is_sent(
    tmp_path: Path, run_cli: Callable[..., CliRun], refservice: Callable[..., Any]
) -> None:
    svc = refservice()
    run, _, _ = _load(run_cli, _profile(tmp_path, ITEM, allow_writes=False), svc.url)
    assert run.code == 2, run.stdout + run.stderr
    (line,) = run.stderr.strip().splitlines()
    assert "load.endpoints: POST /api/v1/items (endpoints[0]) changes data" in line
    assert "`load.allow_writes: true`" in line and "Traceback" not in run.stderr
    assert _created(svc.url) == 0 and not (tmp_path / "report").exists()


pytestmark_nginx = pytest.mark.skipif(nginx_binary() is None, reason="nginx is not installed")


def _nginx_profile(tmp_path: Path, srv: NginxServer) -> Path:
    endpoint = {
        **ITEM,
        "headers": {"Authorization": "Bearer ${WRITE_TOKEN}", "X-Request-Source": "stackcheck-load"},
    }
    return _profile(tmp_path, endpoint, target={"ca_bundle": str(srv.ca_file)})


@pytestmark_nginx
def test_nginx_answering_201_to_the_authorised_post_passes_and_the_token_is_in_no_artifact(
    tmp_path: Path, run_cli: Callable[..., CliRun]
) -> None:
    with NginxServer(NginxSite(write_path=ITEMS_PATH, write_token=TOKEN)) as srv:
        profile = _nginx_profile(tmp_path, srv)
        run, results, report = _load(run_cli, profile, srv.url, env={"WRITE_TOKEN": TOKEN})
    assert run.code == 0, run.stdout + run.stderr
    assert results["load.p95"]["status"] == "passed" and results["load.error_ratio"]["status"] == "passed"
    assert report["load"]["failures"] == 0 and report["load"]["requests"] > 0
    leaked = [
        p for p in (tmp_path / "report").rglob("*") if p.is_file() and TOKEN in p.read_text(errors="replace")
    ]
    assert not leaked and TOKEN not in run.stdout + run.stderr


@pytestmark_nginx
def test_nginx_refusing_the_token_or_answering_500_fails_the_error_ratio(
    tmp_path: Path, run_cli: Callable[..., CliRun]
) -> None:
    with NginxServer(NginxSite(write_path=ITEMS_PATH, write_token=TOKEN, write_status=500)) as srv:
        profile = _nginx_profile(tmp_path, srv)
        run, results, _ = _load(run_cli, profile, srv.url, env={"WRITE_TOKEN": TOKEN})
        assert run.code == 1 and "HTTP 500, expected 201" in results["load.error_ratio"]["message"], (
            run.stdout
        )
        wrong, results, _ = _load(run_cli, profile, srv.url, env={"WRITE_TOKEN": "not-the-token"})
    assert wrong.code == 1 and "HTTP 401, expected 201" in results["load.error_ratio"]["message"], (
        wrong.stdout
    )


@pytestmark_nginx
def test_a_header_variable_that_is_not_set_is_a_usage_error_and_nothing_is_sent(
    tmp_path: Path, run_cli: Callable[..., CliRun]
) -> None:
    with NginxServer(NginxSite(write_path=ITEMS_PATH, write_token=TOKEN, access_log=True)) as srv:
        run, _, _ = _load(run_cli, _nginx_profile(tmp_path, srv), srv.url, env={"WRITE_TOKEN": ""})
        log = srv.prefix / "access.log"
        sent = log.read_text() if log.exists() else ""
    assert run.code == 2 and run.stderr.strip().splitlines() == [
        "stackcheck: error: load.endpoints[0].headers.Authorization uses ${WRITE_TOKEN}, which is not set in "
        "the environment (export it before the run; its value is redacted in every artifact)"
    ]
    assert ITEMS_PATH not in sent and not (tmp_path / "report").exists()


@pytestmark_nginx
def test_a_header_variable_with_a_line_break_is_a_usage_error_and_nothing_is_sent(
    tmp_path: Path, run_cli: Callable[..., CliRun]
) -> None:
    # Every Locust process builds the request bytes at its start; the CLI builds them first, so a value
    # that would inject a header is one line naming the key (not the value), before any request.
    injected = "Bearer x\r\nX-Injected: 1"
    with NginxServer(NginxSite(write_path=ITEMS_PATH, write_token=TOKEN, access_log=True)) as srv:
        run, _, _ = _load(run_cli, _nginx_profile(tmp_path, srv), srv.url, env={"WRITE_TOKEN": injected})
        log = srv.prefix / "access.log"
        sent = log.read_text() if log.exists() else ""
    lines = run.stderr.strip().splitlines()
    assert run.code == 2 and len(lines) == 1, run.stderr
    assert lines[0].startswith(
        "stackcheck: error: load.endpoints[0]: header Authorization contains a line break"
    )
    assert "X-Injected" not in run.stderr + run.stdout
    assert ITEMS_PATH not in sent and not (tmp_path / "report").exists()
