"""Every artifact and every console line of a real CLI run is safe to publish (issue 10).

Credentials are planted in every form a run meets them — URL userinfo in ``--target`` and in a ``--set``
base URL, ``?password=`` query parameters and libpq ``key=value`` DSNs (through ``${VAR}``), a literal one
refused by the profile guard, scanner output quoting a password with an apostrophe — and then every file
of the report folder and the console output are searched for them: zero hits. A target answering control
characters, escape sequences, markup and table pipes leaves artifacts that parse and render inert.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from stackcheck.probes.loopback import free_port
from tests.artifact_checks import assert_artifacts_inert, occurrences
from tests.data.hostile_text import hostile_text_server
from tests.integration.scan_helpers import tool

pytestmark = pytest.mark.integration

# Planted at run time, distinct per form, so a hit names the form that leaked.
URL_PW = "urlPw-" + "3d1e0b7a"
SET_PW = "setPw-" + "9c4f2e11"
QUERY_PW = "qryPw-" + "77ab05cd"
KEYVALUE_PW = "kvPw-" + "5e90d2f3"
REDIS_PW = "rdsPw-" + "a1b2c3d4"
LITERAL_PW = "litPw-" + "0f0e0d0c"
BANDIT_PW = "it's-" + "bandit-Pw-6a5b"  # an apostrophe inside: once masked only up to it

HTTP_PROFILE = """\
name: planted
health: {live: /health/live, ready: /health/ready, max_latency_ms: 2000, samples: 2}
metrics: {path: /metrics, required: [up]}
headers: {hsts_min_age_s: 100, required: [content-security-policy]}
waivers:
  - {check: headers.csp, owner: "ops | <b>web</b>", reason: "legacy | reason <script>x</script>",
     expires: 2099-01-01}
claims:
  - {id: c1, text: "Banner | <script>alert(2)</script> \\x1b[31m `code`", source: "adr.md:1 | <i>x</i>",
     verified_by: [headers]}
"""
DATA_PROFILE = """\
name: planted-data
postgres: {dsn: "${SC_PLANTED_DSN}", version: ">=15"}
redis: {version: ">=7"}
"""


def _run(run_cli: Callable[..., Any], profile: Path, *args: str, env: dict[str, str] | None = None) -> Any:
    return run_cli("verify", "--profile", str(profile), *args, env=env, timeout=240)


def _assert_no_hit(run: Any, *secrets: str) -> None:
    __tracebackhide__ = True
    assert run.report_dir is not None and (run.report_dir / "report.json").is_file(), run.stderr
    counts = occurrences(run.report_dir, list(secrets), run.stdout + run.stderr)
    assert set(counts) >= {"report.json", "junit.xml", "summary.md", "results.sarif", "index.html"}
    assert all(n == 0 for n in counts.values()), f"planted credentials found: {counts}"


def test_userinfo_in_the_target_and_in_a_set_base_url_reaches_no_artifact_and_no_console_line(
    tmp_path: Path, run_cli: Callable[..., Any]
) -> None:
    profile = tmp_path / "planted.yaml"
    profile.write_text(HTTP_PROFILE)
    suites = ["--suite", "health", "--suite", "metrics", "--suite", "headers"]
    with hostile_text_server() as url:
        port = url.rsplit(":", 1)[1]
        by_target = _run(run_cli, profile, "--target", f"http://user:{URL_PW}@127.0.0.1:{port}", *suites)
        by_set = _run(
            run_cli, profile, "--set", f"target.base_url=http://user:{SET_PW}@127.0.0.1:{port}", *suites
        )
    for run, secret in ((by_target, URL_PW), (by_set, SET_PW)):
        assert run.code == 1, run.stdout + run.stderr  # the hostile target fails checks: every artifact
        _assert_no_hit(run, secret)
        assert run.report["target"] == f"http://user:***@127.0.0.1:{port}"  # masked, not dropped
        assert "http://user:***@127.0.0.1" in run.stdout


def test_a_target_answering_hostile_text_leaves_artifacts_that_parse_and_render_inert(
    tmp_path: Path, run_cli: Callable[..., Any]
) -> None:
    profile = tmp_path / "hostile.yaml"
    profile.write_text(HTTP_PROFILE)
    with hostile_text_server() as url:
        run = _run(run_cli, profile, "--target", url, "--suite", "metrics", "--suite", "headers")
    assert run.code == 1, run.stdout + run.stderr
    shape = assert_artifacts_inert(run.report_dir, run.stdout + run.stderr)
    # Every table keeps its columns (a claim's own | and markup included): failures and errors, what to
    # change, claims, controls (asvs, soc2), passed, skipped (in <details>), waivers.
    assert [cells for _, cells in shape] == [5, 3, 4, 5, 5, 5, 2, 5]
    messages = {r["id"]: r["message"] for r in run.report["results"]}
    # What the target said is still there to read, as visible escapes, and one 100 KB line is capped.
    assert "\\x1b[31mred" in messages["headers.server_banner"]
    assert "<script>alert(1)</script>" in messages["headers.server_banner"]  # text in JSON, escaped in HTML
    assert all(len(m) <= 2000 for m in messages.values())
    # The 100 KB exposition line is quoted only in part (the metrics rule shortens what it quotes), escaped.
    exposition = messages["metrics.exposition"]
    assert len(exposition) < 1000 and "evil\\x00nul\\x07bel \\x1b[31mred" in exposition, exposition
    summary = (run.report_dir / "summary.md").read_text()
    assert "legacy \\| reason" in summary  # the waiver reason keeps its column


@pytest.mark.parametrize(
    ("dsn", "secret"),
    [
        (f"postgresql://app@127.0.0.1:{{port}}/app?password={QUERY_PW}&sslmode=disable", QUERY_PW),
        (f"host=127.0.0.1 port={{port}} user=app password={KEYVALUE_PW} dbname=app", KEYVALUE_PW),
    ],
    ids=["query-parameter", "key-value"],
)
def test_a_dsn_password_from_the_environment_reaches_no_artifact(
    tmp_path: Path, run_cli: Callable[..., Any], dsn: str, secret: str
) -> None:
    profile = tmp_path / "data.yaml"
    profile.write_text(DATA_PROFILE)
    closed = free_port()  # nothing listens: every check is "could not check", so every artifact has it
    env = {"SC_PLANTED_DSN": dsn.format(port=closed), "SC_PLANTED_REDIS": f"redis://127.0.0.1:{closed}/0"}
    env["SC_PLANTED_REDIS"] += f"?password={REDIS_PW}"
    run = _run(
        run_cli,
        profile,
        "--infra",
        "external",
        "--suite",
        "postgres",
        "--suite",
        "redis",
        "--set",
        "redis.url=${SC_PLANTED_REDIS}",  # a --set value, expanded from the environment
        env=env,
    )
    assert run.code == 3, run.stdout + run.stderr
    _assert_no_hit(run, secret, REDIS_PW)
    assert "***" in json.dumps(run.report["results"])


@pytest.mark.parametrize(
    "option",
    [
        f"postgres.dsn=postgresql://app:{LITERAL_PW}@127.0.0.1:5432/app",
        f"postgres.dsn=postgresql://app@127.0.0.1:5432/app?password={LITERAL_PW}",
        f"postgres.dsn=host=127.0.0.1 password={LITERAL_PW}",
        f"redis.url=redis://127.0.0.1:6379/0?PASSWORD={LITERAL_PW}",
    ],
    ids=["userinfo", "query", "key-value", "redis-query"],
)
def test_a_refused_literal_password_is_not_repeated_by_the_refusal(
    tmp_path: Path, run_cli: Callable[..., Any], option: str
) -> None:
    profile = tmp_path / "data.yaml"
    profile.write_text("name: p\npostgres: {version: '>=15'}\nredis: {version: '>=7'}\n")
    for args in (("verify", "--profile", str(profile)), ("profile", "validate", str(profile))):
        run = run_cli(*args, "--set", option, report=False)
        assert run.code == 2 and "literal password" in run.stderr, run.stdout + run.stderr
        assert LITERAL_PW not in run.stdout + run.stderr


def test_scanner_output_quoting_passwords_with_apostrophes_reaches_no_artifact(
    tmp_path: Path, run_cli: Callable[..., Any]
) -> None:
    for name in ("bandit", "detect-secrets"):
        tool(name)
    app = tmp_path / "repo" / "app"
    app.mkdir(parents=True)
    dictionary_pw = "postgres"  # a 12-hex SHA-1 prefix of this is reversed by a lookup table
    (app / "settings.py").write_text(
        f'password = "{BANDIT_PW}"\n'
        f"db_password = {dictionary_pw!r}\n"
        f'DATABASE_URL = "postgresql://app:{BANDIT_PW}@db:5432/app"\n'
    )
    profile = tmp_path / "scan.yaml"
    profile.write_text(f"name: planted-scan\nscan:\n  code_paths: [{app}]\n  secret_paths: [{app}]\n")
    out = tmp_path / "out"
    run = run_cli("scan", "--profile", str(profile), "--report-dir", str(out), timeout=240)
    assert run.code == 1, run.stdout + run.stderr
    findings = json.loads((out / "report.json").read_text())["findings"]
    rules = {(f["tool"], f["rule_id"]) for f in findings}
    assert ("bandit", "B105") in rules and any(tool == "detect-secrets" for tool, _ in rules), rules
    hashes = [hashlib.sha1(s.encode()).hexdigest()[:12] for s in (BANDIT_PW, dictionary_pw)]
    counts = occurrences(out, [BANDIT_PW, "s-bandit-Pw", *hashes], run.stdout + run.stderr)
    assert all(n == 0 for n in counts.values()), f"planted secrets or their SHA-1 prefixes found: {counts}"
