"""Configuration mistakes are exit 2 with one line naming the key, wherever they are found: before any
check runs (URLs, ports, files the profile names) or while a check reads the profile (a unit typo)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from conftest import DEMO_PROFILE, CliRun
from stackcheck.catalog import postgres
from tests.integration.conftest import verify

pytestmark = pytest.mark.integration


@pytest.mark.parametrize(
    ("target", "needle"),
    [
        ("http://[::1", "is not a valid URL"),
        ("http://127.0.0.1:99999", "Port out of range"),
        ("http://127.0.0.1:-1", "is not a valid URL"),
        ("http://127.0.0.1:%2f", "is not a valid URL"),
        ("http://%2f", "is not a host name or IP address"),
        ("http://127.0.0.1:0", "port 0"),
        ("ftp://127.0.0.1", "is not an http(s) URL"),
    ],
)
@pytest.mark.parametrize("stage", ["verify", "load"])
def test_a_malformed_target_is_one_line_and_exit_2(
    run_cli: Callable[..., CliRun], target: str, needle: str, stage: str
) -> None:
    run = run_cli(stage, "--profile", str(DEMO_PROFILE), "--target", target, report=False, timeout=60)
    assert run.code == 2, run.stdout + run.stderr
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1 and needle in lines[0] and "--target" in lines[0], run.stderr


def test_a_password_in_a_refused_target_is_not_repeated(run_cli: Callable[..., CliRun]) -> None:
    run = run_cli("verify", "--profile", str(DEMO_PROFILE), "--target", "http://u:hunter2@127.0.0.1:0")
    assert run.code == 2 and "hunter2" not in run.stderr + run.stdout and "u:***@" in run.stderr


def test_a_missing_ca_bundle_names_the_key(run_cli: Callable[..., CliRun], tmp_path: Path) -> None:
    run = run_cli(
        "verify", "--profile", str(DEMO_PROFILE), "--set", f"target.ca_bundle={tmp_path / 'nope.pem'}"
    )
    assert run.code == 2 and "target.ca_bundle" in run.stderr and "is not a file" in run.stderr, run.stderr


@pytest.mark.docker
def test_a_unit_typo_met_by_a_check_is_exit_2_naming_the_key(tmp_path: Path) -> None:
    run = verify(
        "pg-compliant.yaml",
        "--suite",
        "postgres",
        "--infra",
        "docker",
        "--set",
        "postgres.settings.work_mem=16mb",  # PostgreSQL's units are case-sensitive: 16MB
        report_dir=tmp_path,
    )
    assert run.code == 2, (run.statuses(), run.stderr)
    assert "postgres.settings.work_mem" in run.stderr.strip().splitlines()[-1]
    typo = run.results(postgres.SETTINGS.id)
    assert any(r["status"] == "error" and r["error_reason"] == "misconfigured" for r in typo)
