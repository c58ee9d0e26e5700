"""`stackcheck load` against a server that logs its own service times: the normal case still passes and fails
as before, and a generator that sends late — here stalled at the seam before each send — gets no verdict.

Real ``python -m stackcheck load`` subprocesses (Locust in processes of its own) against
``fixtures/truth_server.py`` (lognormal service times, median 30 ms); small and bounded (5 s each).
"""

from __future__ import annotations

import importlib.util
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from conftest import CliRun
from fixtures.truth_server import TruthServer

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(importlib.util.find_spec("locust") is None, reason="locust is not installed"),
]


@pytest.fixture
def truth() -> Iterator[TruthServer]:
    with TruthServer(median_ms=30, sigma=0.6, seed=7) as server:
        yield server


def load(
    run_cli: Callable[..., CliRun], tmp: Path, name: str, url: str, p95_ms: float, **env: str
) -> tuple[CliRun, dict[str, Any]]:
    profile = tmp / f"{name}.yaml"
    shape = {"users": 5, "spawn_rate": 5, "duration_s": 5, "target_rps": 50, "endpoints": [{"path": "/api"}]}
    profile.write_text(yaml.safe_dump({"name": name, "slo": {"p95_ms": p95_ms}, "load": shape}))
    report_dir = tmp / f"report-{name}"
    run = run_cli(
        "load", "--profile", str(profile), "--target", url, "--report-dir", str(report_dir),
        "--processes", "0", env=env,
    )  # fmt: skip
    return run, json.loads((report_dir / "report.json").read_text())


def p95(report: dict[str, Any]) -> dict[str, Any]:
    return next(r for r in report["results"] if r["id"] == "load.p95")


def test_an_on_time_generator_passes_a_compliant_server_and_fails_a_tight_bound(
    tmp_path: Path, run_cli: Callable[..., CliRun], truth: TruthServer
) -> None:
    # The true p95 of this lognormal is about 80 ms: 1,000 ms passes, 20 ms fails.
    run, report = load(run_cli, tmp_path, "generous", truth.url, 1000)
    assert run.code == 0, run.stdout + run.stderr
    window = report["load"]["window"]
    assert window["basis"] == "steady" and window["requests"] > 0 and window["excluded"] > 0
    assert p95(report)["evidence"]["details"]["window"]["requests"] == window["requests"]
    served = truth.truth()
    assert len(served) >= report["load"]["requests"] - 5  # the server logged what the generator sent
    run, report = load(run_cli, tmp_path, "tight", truth.url, 20)
    assert run.code == 1, run.stdout + run.stderr
    assert p95(report)["status"] == "failed"


def test_a_generator_that_sends_late_gets_no_verdict_pass_or_fail(
    tmp_path: Path, run_cli: Callable[..., CliRun], truth: TruthServer
) -> None:
    # Every send stalls 40 ms in the generator (the test seam) before it goes out: whatever the bound,
    # the offered load was not the profile's, so neither a pass nor a failure is evidence.
    for name, bound in (("late-generous", 1000.0), ("late-tight", 20.0)):
        run, report = load(run_cli, tmp_path, name, truth.url, bound, STACKCHECK_LOAD_STALL_S="0.04")
        assert run.code == 3, run.stdout + run.stderr
        result = p95(report)
        assert result["status"] == "error" and result["error_reason"] == "inconclusive"
        assert "fell behind its schedule" in result["message"]
        window = report["load"]["window"]
        assert window["late_share"] > 0.5 and window["lateness_ms"] >= 30
