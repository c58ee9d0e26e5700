"""`stackcheck load` refusals and could-not-check paths: decided before any load is sent."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from conftest import CliRun
from fixtures.refservice.runner import free_port

pytestmark = pytest.mark.integration


@pytest.fixture
def profile(tmp_path: Path) -> Path:
    path = tmp_path / "p.yaml"
    path.write_text(
        "name: p\nslo: {p95_ms: 200, rps: 10}\nload: {users: 2, spawn_rate: 2, duration_s: 3}\n",
        encoding="utf-8",
    )
    return path


def test_a_non_loopback_target_without_allow_remote_is_refused(
    profile: Path, run_cli: Callable[..., CliRun], tmp_path: Path
) -> None:
    run = run_cli(
        "load",
        "--profile",
        str(profile),
        "--target",
        "http://192.0.2.10:8080",
        "--report-dir",
        str(tmp_path / "r"),
        isolated=True,
    )
    assert run.code == 2
    assert run.stderr.strip().splitlines() == [
        "stackcheck: error: target host '192.0.2.10' is not a loopback address: load is sent only to "
        "127.0.0.0/8 or ::1 (pass --allow-remote if you mean to load-test that host)"
    ]
    assert not (tmp_path / "r").exists()  # nothing was prepared, nothing was sent


def test_a_non_loopback_master_address_is_refused_too(profile: Path, run_cli: Callable[..., CliRun]) -> None:
    run = run_cli(
        "load", "--profile", str(profile), "--target", "http://127.0.0.1:9", "--worker-of", "192.0.2.10:5557",
        isolated=True,
    )  # fmt: skip
    assert run.code == 2 and "master host '192.0.2.10' is not a loopback address" in run.stderr


def test_no_target_is_a_usage_error_naming_the_fix(profile: Path, run_cli: Callable[..., CliRun]) -> None:
    run = run_cli("load", "--profile", str(profile))
    assert run.code == 2 and "no target URL" in run.stderr and "--target URL" in run.stderr


def test_a_profile_without_slo_or_load_is_a_usage_error(
    tmp_path: Path, run_cli: Callable[..., CliRun]
) -> None:
    path = tmp_path / "bare.yaml"
    path.write_text("name: bare\n", encoding="utf-8")
    run = run_cli("load", "--profile", str(path), "--target", "http://127.0.0.1:9")
    assert run.code == 2 and "neither a load: nor an slo: section" in run.stderr
    assert "Traceback" not in run.stderr


def test_an_unreachable_target_is_could_not_check_with_a_report(
    profile: Path, run_cli: Callable[..., CliRun], tmp_path: Path
) -> None:
    report_dir = tmp_path / "unreachable"
    run = run_cli(
        "load",
        "--profile",
        str(profile),
        "--target",
        f"http://127.0.0.1:{free_port()}",
        "--report-dir",
        str(report_dir),
    )
    assert run.code == 3, run.stdout + run.stderr
    report = json.loads((report_dir / "report.json").read_text())
    by_id = {r["id"]: r for r in report["results"]}
    assert by_id["load.p95"]["status"] == "error" and "target unreachable" in by_id["load.p95"]["message"]
    assert by_id["load.throughput"]["status"] == "error" and by_id["load.p99"]["status"] == "skipped"
    assert report["load"] is None and report["summary"]["exit_code"] == 3
    # Could not check is never a verdict on a control: SOC 2 A1.1 (capacity) is incomplete, not met.
    a11 = next(c for c in report["controls"] if c["id"] == "SOC2:A1.1")
    assert a11["status"] == "incomplete" and "load.p95 could not be checked" in a11["message"]
