"""secrets.logs against a real service: a planted canary in the Authorization/X-API-Key headers must not
reach the log file or the responses. Proven both ways: a masking service passes, a leaky one fails."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from conftest import DEMO_PROFILE, REPO_ROOT
from fixtures.refservice.runner import free_port
from stackcheck.catalog.secrets import LOGS
from stackcheck.wait import wait_until

pytestmark = pytest.mark.integration

SERVER = REPO_ROOT / "tests" / "data" / "scan" / "log_server.py"


@pytest.fixture
def log_service(tmp_path: Path) -> Iterator[Callable[[bool], tuple[str, Path]]]:
    procs: list[subprocess.Popen[bytes]] = []

    def start(leaky: bool) -> tuple[str, Path]:
        port, log = free_port(), tmp_path / f"service-{len(procs)}.log"
        cmd = [sys.executable, str(SERVER), str(port), str(log), *(["--leaky"] if leaky else [])]
        procs.append(subprocess.Popen(cmd))
        url = f"http://127.0.0.1:{port}"

        def up() -> bool:
            try:
                return httpx.get(url, timeout=1).status_code == 200
            except httpx.HTTPError:
                return False

        assert wait_until(up, 10, 0.05), f"log service did not start on {url}"
        return url, log

    yield start
    for proc in procs:
        proc.terminate()
        proc.wait(timeout=5)


def _verify(run_cli: Callable[..., Any], tmp_path: Path, url: str, log: Path) -> Any:
    profile = tmp_path / f"{log.stem}.yaml"
    profile.write_text(
        f"name: logs\nhealth: {{live: /health, ready: /ready}}\nscan: {{log_files: [{log}]}}\n"
    )
    return run_cli("verify", "--profile", str(profile), "--target", url, "--suite", "secrets")


def test_masking_service_passes_secrets_logs(
    log_service: Any, tmp_path: Path, run_cli: Callable[..., Any]
) -> None:
    url, log = log_service(False)
    run = _verify(run_cli, tmp_path, url, log)
    assert run.status_of(LOGS.id) == "passed", run.stdout + run.stderr
    assert "****" in log.read_text()


def test_leaky_service_fails_secrets_logs_without_repeating_the_canary(
    log_service: Any, tmp_path: Path, run_cli: Callable[..., Any]
) -> None:
    url, log = log_service(True)
    run = _verify(run_cli, tmp_path, url, log)
    assert run.status_of(LOGS.id) == "failed", run.stdout + run.stderr
    assert run.code == 1
    assert "sc-canary-" in log.read_text()  # the service really leaked it ...
    for path in run.report_dir.iterdir():  # ... and no artifact repeats it
        assert "sc-canary-" not in path.read_text(errors="replace"), path.name


@pytest.mark.parametrize(("defects", "status"), [([], "passed"), (["leaky-logs"], "failed")])
def test_reference_service_logs_pass_and_its_leaky_logs_defect_fails(
    tmp_path: Path, run_cli: Callable[..., Any], defects: list[str], status: str
) -> None:
    from fixtures.refservice import RefService

    log = tmp_path / "refservice.log"
    with RefService(DEMO_PROFILE, defects=defects, log_file=log) as service:
        run = _verify_demo(run_cli, tmp_path, service.url, log)
    assert run.status_of(LOGS.id) == status, run.stdout + run.stderr
    if status == "failed":
        assert "sc-canary-" in log.read_text()  # the defect really leaked it ...
        for path in run.report_dir.iterdir():  # ... and no artifact repeats it
            assert "sc-canary-" not in path.read_text(errors="replace"), path.name
    else:
        assert "sc-canary-" not in log.read_text()


def _verify_demo(run_cli: Callable[..., Any], tmp_path: Path, url: str, log: Path) -> Any:
    profile = tmp_path / "refservice-logs.yaml"
    profile.write_text(f"name: refservice-logs\nextends: {DEMO_PROFILE}\nscan: {{log_files: [{log}]}}\n")
    return run_cli("verify", "--profile", str(profile), "--target", url, "--suite", "secrets")
