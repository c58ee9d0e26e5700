"""The command line as a user meets it: help, exit codes, one-line errors, report re-rendering."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from conftest import DEMO_PROFILE, REPO_ROOT, CliRun

pytestmark = pytest.mark.integration


def one_line_error(run: CliRun) -> str:
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1, run.stderr
    assert "Traceback" not in run.stderr
    return lines[0]


def test_help_teaches_commands_and_exit_codes(run_cli: Callable[..., CliRun]) -> None:
    run = run_cli("--help")
    assert run.code == 0
    for word in ("verify", "profile", "report", "exit codes", "examples"):
        assert word in run.stdout
    verify_help = run_cli("verify", "--help", report=False)
    for option in ("--profile", "--target", "--infra", "--suite", "--set", "--report-dir", "--allow-remote"):
        assert option in verify_help.stdout


def test_no_command_prints_help_and_exit_2(run_cli: Callable[..., CliRun]) -> None:
    assert run_cli().code == 2


MALFORMED = {
    "syntax.yaml": ("name: x\nhealth: {live: /a\n", "syntax.yaml:3:1: YAML syntax error"),
    "type.yaml": (
        "name: x\nhealth:\n  samples: many\n",
        "type.yaml:3:3 health.samples: must be a whole number",
    ),
    "unknown.yaml": ("name: x\nhelth: {}\n", "unknown.yaml:2:1 helth: unknown key"),
    "version.yaml": (
        "name: x\npostgres: {version: '>>16'}\n",
        "version.yaml:2:12 postgres.version: '>>16' is not",
    ),
    "extends.yaml": ("name: x\nextends: gone.yaml\n", "extends.yaml:2:1 extends: extends 'gone.yaml', but"),
    "cycle.yaml": ("name: x\nextends: cycle.yaml\n", "cycle.yaml:2:1 extends: `extends` cycle"),
    "empty.yaml": ("", "empty.yaml:1:1: the file is empty"),
    "list.yaml": ("- a\n- b\n", "list.yaml:1:1: the top level must be a mapping"),
    "negative.yaml": (
        "name: x\nrate_limit: {requests: -1}\n",
        "negative.yaml:2:14 rate_limit.requests: must be",
    ),
    "date.yaml": (
        "name: x\nwaivers: [{check: a.b, reason: r, owner: o, expires: soon}]\n",
        "date.yaml:2:45 waivers[0].expires: must be a date",
    ),
}


@pytest.mark.parametrize("name", sorted(MALFORMED))
def test_malformed_profile_exits_2_with_one_line(
    tmp_path: Path, run_cli: Callable[..., CliRun], name: str
) -> None:
    text, expected = MALFORMED[name]
    (tmp_path / name).write_text(text)
    for args in (
        ("profile", "validate", name),
        ("verify", "--profile", name, "--target", "http://127.0.0.1:9"),
    ):
        run = run_cli(*args, cwd=tmp_path, report=False)
        assert run.code == 2, run.stdout + run.stderr
        assert one_line_error(run).startswith(f"stackcheck: error: {expected}")


def test_bad_set_path_exits_2_naming_the_option(run_cli: Callable[..., CliRun]) -> None:
    run = run_cli("verify", "--profile", str(DEMO_PROFILE), "--set", "health.latency=5")
    assert run.code == 2
    assert one_line_error(run).startswith(
        "stackcheck: error: --set health.latency=5 health.latency: unknown key"
    )


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (("--suite", "nosuch"), "unknown suite 'nosuch' (choose from: health"),
        (("--target", "ftp://x"), "target 'ftp://x' is not an http(s) URL"),
        (("--profile", "missing.yaml"), "missing.yaml: file not found"),
    ],
)
def test_usage_mistakes_exit_2(run_cli: Callable[..., CliRun], args: tuple[str, ...], expected: str) -> None:
    base = ["verify", "--profile", str(DEMO_PROFILE), "--target", "http://127.0.0.1:9"]
    if args[0] == "--profile":
        base = ["verify", "--target", "http://127.0.0.1:9"]
    run = run_cli(*base, *args)
    assert run.code == 2
    assert expected in one_line_error(run)


def test_missing_target_exits_2_with_the_fix(tmp_path: Path, run_cli: Callable[..., CliRun]) -> None:
    (tmp_path / "p.yaml").write_text("name: p\nhealth: {}\n")
    run = run_cli("verify", "--profile", "p.yaml", cwd=tmp_path)
    assert run.code == 2
    assert "pass --target URL, or set target.base_url or service.command in p.yaml" in one_line_error(run)


def test_report_command_rerenders_and_returns_the_run_exit_code(
    tmp_path: Path, refservice: Callable[..., Any], run_cli: Callable[..., CliRun]
) -> None:
    service = refservice(defects=["missing=/freshness"])
    run = run_cli("verify", "--profile", str(DEMO_PROFILE), "--target", service.url)
    assert run.report_dir is not None
    (run.report_dir / "summary.md").unlink()
    again = run_cli("report", str(run.report_dir))
    assert again.code == 1
    assert (run.report_dir / "summary.md").is_file()
    assert "FAIL    health.extra[/freshness]" in again.stdout


def test_report_command_on_a_bad_folder_exits_2(tmp_path: Path, run_cli: Callable[..., CliRun]) -> None:
    assert "report.json not found" in one_line_error(run_cli("report", str(tmp_path)))
    (tmp_path / "report.json").write_text(json.dumps({"schema": "other"}))
    run = run_cli("report", str(tmp_path))
    assert run.code == 2 and "cannot be read as a stackcheck.report/v1 report" in one_line_error(run)


def test_schema_command_prints_the_committed_schema(run_cli: Callable[..., CliRun]) -> None:
    run = run_cli("profile", "schema")
    assert run.code == 0
    assert run.stdout == (REPO_ROOT / "policies" / "profile.schema.json").read_text()


def test_default_report_dir_is_under_reports_out_with_latest_link(
    tmp_path: Path, refservice: Callable[..., Any], run_cli: Callable[..., CliRun]
) -> None:
    service = refservice()
    shutil.copy(DEMO_PROFILE, tmp_path / "demo.yaml")
    run = run_cli(
        "verify",
        "--profile",
        "demo.yaml",
        "--target",
        service.url,
        "--suite",
        "health",
        cwd=tmp_path,
        report=False,
    )
    assert run.code == 0
    latest = tmp_path / "reports" / "out" / "latest"
    assert latest.is_symlink() and (latest / "report.json").is_file()
    # The process's own wall time is recorded beside the suites' and covers it (start-up included).
    run_info = json.loads((latest / "report.json").read_text())["run"]
    assert run_info["process_wall_s"] >= run_info["duration_s"] > 0


def test_waiver_for_an_unknown_check_is_a_configuration_error(
    tmp_path: Path, run_cli: Callable[..., CliRun]
) -> None:
    (tmp_path / "p.yaml").write_text(
        "name: p\nwaivers: [{check: headers.cps, reason: r, owner: o, expires: 2099-01-01}]\n"
    )
    for args in (("profile", "validate", "p.yaml"), ("verify", "--profile", "p.yaml")):
        run = run_cli(*args, cwd=tmp_path, report=False)
        assert run.code == 2
        assert "p.yaml waivers[0].check: unknown check id 'headers.cps'" in one_line_error(run)


def test_live_line_of_a_waived_failure_reads_waived(
    tmp_path: Path, refservice: Callable[..., Any], run_cli: Callable[..., CliRun]
) -> None:
    service = refservice(defects=["missing=/freshness"])
    profile = tmp_path / "p.yaml"
    profile.write_text(
        f"extends: {DEMO_PROFILE}\nname: waived\n"
        "waivers: [{check: health.extra, reason: migration, owner: ops, expires: 2099-01-01}]\n"
    )
    run = run_cli("verify", "--profile", str(profile), "--target", service.url, "--suite", "health")
    assert run.code == 0, run.stdout + run.stderr
    assert "  WAIVED  health.extra[/freshness]" in run.stdout
    assert "FAIL" not in run.stdout


@pytest.mark.parametrize("target", [[], ["--target", "http://127.0.0.1:9"]], ids=["launched", "target"])
def test_a_provider_problem_for_the_readiness_drill_is_exit_2_before_any_check(
    run_cli: Callable[..., CliRun], target: list[str]
) -> None:
    # The drill interrupts Postgres and Redis, so it needs them even when a target URL is given.
    stack = REPO_ROOT / "policies" / "profiles" / "reference-stack.yaml"
    args = ("verify", "--profile", str(stack), "--suite", "health", "--infra", "docker", *target)
    run = run_cli(*args, env={"DOCKER_HOST": "unix:///nonexistent/docker.sock"}, timeout=60)
    assert run.code == 2, run.stdout + run.stderr
    line = one_line_error(run)
    assert line.startswith("stackcheck: error: --infra docker: no Docker engine answered"), line
    assert "ensure-docker.sh" in line
    assert run.report_dir is not None and not run.report_dir.exists()  # nothing was checked
    assert "verifying" not in run.stdout
