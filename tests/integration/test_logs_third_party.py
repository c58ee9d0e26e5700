"""The ``logs`` suite on services whose logging nobody here wrote (fixtures/logging_apps): Flask served by
gunicorn, every line formatted by python-json-logger through gunicorn's own ``logconfig_dict``; and a
Starlette app served by uvicorn, every line (uvicorn's own too) rendered by structlog.

stackcheck launches it itself (``service:``) and reads its stdout, or the file it logs to (``logs.file``),
or what ``tail -F`` prints of that file (``logs.command``). The JSON configuration passes every check; each
configuration mistake a team could make fails exactly the check that claims it.
"""

from __future__ import annotations

import importlib.util
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from conftest import REPO_ROOT
from stackcheck.catalog.logs import CORRELATION, LEVEL, PII, STRUCTURED

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(
        any(
            importlib.util.find_spec(m) is None
            for m in ("flask", "gunicorn", "pythonjsonlogger", "structlog", "uvicorn")
        ),
        reason="the third-party logging apps need their libraries (dependency group fixtures)",
    ),
]

CONF = REPO_ROOT / "fixtures" / "logging_apps" / "gunicorn_conf.py"
APP = "fixtures.logging_apps.flask_app:app"
COMMANDS = {
    "gunicorn": ["{python}", "-m", "gunicorn", "-c", str(CONF), "--bind", "127.0.0.1:{port}", APP],
    "structlog": ["{python}", "-m", "fixtures.logging_apps.structlog_app", "{port}"],
}
ALL = (STRUCTURED.id, CORRELATION.id, PII.id, LEVEL.id)
# The forms planted values take (logs.probes.plant): none may reach any artifact of a run.
PLANTED = re.compile(r"sc\.[0-9a-f]{10}(@|%40)example\.com|sckey_[0-9a-f]{32}|400000\d{10}|7700900\d{3}")


def _verify(
    run_cli: Callable[..., Any],
    tmp_path: Path,
    env: dict[str, str],
    logs: dict[str, Any] | None = None,
    app: str = "gunicorn",
) -> Any:
    profile = tmp_path / f"gunicorn-{len(list(tmp_path.glob('*.yaml')))}.yaml"
    data = {
        "name": f"third-party-logs-{app}",
        "health": {"live": "/health"},
        "service": {
            "command": COMMANDS[app],
            "cwd": str(REPO_ROOT),
            "env": env,
        },
        "logs": {
            "correlation_header": "X-Correlation-ID",
            "min_level": "info",
            "required_fields": ["timestamp", "level", "message", "correlation_id"],
            **(logs or {}),
        },
    }
    profile.write_text(json.dumps(data))  # JSON is YAML
    return run_cli("verify", "--profile", str(profile), "--suite", "logs")


def _result(run: Any, check: str) -> dict[str, Any]:
    return next(r for r in run.report["results"] if r["id"] == check)


def _no_planted_value_in_artifacts(run: Any) -> None:
    for path in run.report_dir.iterdir():
        text = path.read_text(errors="replace")
        assert not PLANTED.search(text), f"{path.name} repeats a planted value"
    assert not PLANTED.search(run.stdout + run.stderr)


@pytest.mark.parametrize("app", sorted(COMMANDS))
def test_json_logging_config_passes_every_logs_check(
    tmp_path: Path, run_cli: Callable[..., Any], app: str
) -> None:
    run = _verify(run_cli, tmp_path, {}, app=app)
    assert {c: run.status_of(c) for c in ALL} == dict.fromkeys(ALL, "passed"), run.stdout + run.stderr
    assert run.code == 0
    evidence = _result(run, STRUCTURED.id)["evidence"]
    assert evidence["details"]["log_lines"] >= 4  # the server's own start-up lines and the requests'


@pytest.mark.parametrize(("app", "text"), [("gunicorn", "[INFO] gunicorn.error"), ("structlog", "[info")])
def test_plain_text_formatter_fails_logs_structured(
    tmp_path: Path, run_cli: Callable[..., Any], app: str, text: str
) -> None:
    run = _verify(run_cli, tmp_path, {"LOGS_FORMAT": "plain"}, app=app)
    assert run.status_of(STRUCTURED.id) == "failed", run.stdout + run.stderr
    assert run.status_of(PII.id) == "passed"
    assert run.status_of(LEVEL.id) == "passed"  # `[INFO]`, `[info  ]` are read from a text line too
    details = _result(run, STRUCTURED.id)["evidence"]["details"]
    assert details["non_json_lines"] == details["log_lines"]
    assert any(text in line for line in details["non_json_sample"])
    _no_planted_value_in_artifacts(run)


@pytest.mark.parametrize(
    ("app", "env", "leaked"),
    [
        ("gunicorn", {"LOGS_EMAIL": "1"}, ["email"]),  # the app logs the e-mail parameter as a field
        ("structlog", {"LOGS_EMAIL": "1"}, ["email"]),
        ("gunicorn", {"LOGS_ACCESS": "full"}, ["card", "email", "phone"]),  # the request line, query too
    ],
    ids=["gunicorn-app-logs-email", "structlog-app-logs-email", "gunicorn-access-log-query-string"],
)
def test_logging_the_email_fails_logs_pii_naming_the_kind_only(
    tmp_path: Path, run_cli: Callable[..., Any], app: str, env: dict[str, str], leaked: list[str]
) -> None:
    run = _verify(run_cli, tmp_path, env, app=app)
    assert run.status_of(PII.id) == "failed", run.stdout + run.stderr
    assert run.status_of(STRUCTURED.id) == "passed"
    evidence = _result(run, PII.id)["evidence"]
    assert evidence["observed"] == leaked
    assert set(evidence["details"]["found_in"]) == set(leaked)
    _no_planted_value_in_artifacts(run)


@pytest.mark.parametrize("app", sorted(COMMANDS))
def test_debug_level_fails_logs_level(tmp_path: Path, run_cli: Callable[..., Any], app: str) -> None:
    run = _verify(run_cli, tmp_path, {"LOGS_LEVEL": "debug"}, app=app)
    assert run.status_of(LEVEL.id) == "failed", run.stdout + run.stderr
    assert run.status_of(STRUCTURED.id) == "passed"
    details = _result(run, LEVEL.id)["evidence"]["details"]
    assert details["lines_by_level"]["debug"] >= 1
    _no_planted_value_in_artifacts(run)


def test_a_service_ignoring_the_correlation_header_fails_logs_correlation(
    tmp_path: Path, run_cli: Callable[..., Any]
) -> None:
    run = _verify(run_cli, tmp_path, {"LOGS_CORRELATION": "off"})
    assert run.status_of(CORRELATION.id) == "failed", run.stdout + run.stderr
    assert run.status_of(STRUCTURED.id) == "passed"  # every line still carries a (placeholder) id


@pytest.mark.parametrize("source", ["file", "command"])
def test_a_log_file_and_a_log_command_are_read_like_the_launched_output(
    tmp_path: Path, run_cli: Callable[..., Any], source: str
) -> None:
    log = tmp_path / "app.log"
    logs: dict[str, Any] = (
        {"file": str(log)} if source == "file" else {"command": ["tail", "-n", "0", "-F", str(log)]}
    )
    run = _verify(run_cli, tmp_path, {"LOGS_FILE": str(log)}, logs)
    assert {c: run.status_of(c) for c in ALL} == dict.fromkeys(ALL, "passed"), run.stdout + run.stderr
    bad = _verify(run_cli, tmp_path, {"LOGS_FILE": str(log), "LOGS_EMAIL": "1"}, logs)
    assert bad.status_of(PII.id) == "failed", bad.stdout + bad.stderr


def test_no_log_captured_is_an_error_not_a_verdict(tmp_path: Path, run_cli: Callable[..., Any]) -> None:
    silent = tmp_path / "silent.log"
    silent.touch()  # the service logs to stdout: nothing ever reaches this file
    run = _verify(run_cli, tmp_path, {}, {"file": str(silent), "settle_s": 1})
    assert {c: run.status_of(c) for c in ALL} == dict.fromkeys(ALL, "error"), run.stdout + run.stderr
    assert run.code == 3
    assert "no log line captured" in _result(run, STRUCTURED.id)["message"]
