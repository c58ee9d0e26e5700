"""The wheel carries everything the code reads at run time, under ``stackcheck/_data/``; installed with the
core alone into a fresh venv outside the repository, it verifies an HTTP surface, scans with the custom
policies, and names the extra to install when a suite or the load stage needs what is absent."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from stackcheck.extras import EXTRAS, missing_message
from tests.integration.scan_helpers import tool

REPO = Path(__file__).resolve().parents[2]
# The optional packages (stackcheck.extras), as distributions: none may come with the core install.
HEAVY = sorted(EXTRAS)

pytestmark = pytest.mark.integration

# Each entry: a file that must be in the wheel (what resources.data_path(...) looks up from an install).
PACKAGED = [
    "suites/pytest.ini",
    "suites/conftest.py",
    "suites/health/test_health.py",
    "loadtests/locustfile.py",
    "policies/checkov/terraform_region_allowed.py",
    "policies/checkov/stackcheck_stages.py",
    "tools/trivy/go.mod",
    "tools/trivy/go.sum",
    "tools/trivydb/main.go",
    "tools/toxiproxy/go.mod",
    "tools/toxiproxy/go.sum",
    "suites/drills/test_breaker.py",
    "fixtures/vulndb/advisories/debian.yaml",
]


@pytest.fixture(scope="module")
def wheel_files(built_wheel: Path) -> set[str]:
    with zipfile.ZipFile(built_wheel) as archive:
        return set(archive.namelist())


@pytest.mark.parametrize("relative", PACKAGED)
def test_the_wheel_carries_packaged_data(wheel_files: set[str], relative: str) -> None:
    assert f"stackcheck/_data/{relative}" in wheel_files


def test_every_suite_folder_and_checkov_policy_is_packaged(wheel_files: set[str]) -> None:
    suites = [p for p in (REPO / "suites").iterdir() if p.is_dir() and not p.name.startswith("__")]
    policies = [p for p in (REPO / "policies" / "checkov").iterdir() if p.suffix in (".py", ".yaml")]
    expected = [f"suites/{p.name}/{t.name}" for p in suites for t in p.glob("*.py")]
    expected += [f"policies/checkov/{p.name}" for p in policies]
    missing = [e for e in expected if f"stackcheck/_data/{e}" not in wheel_files]
    assert missing == [], f"not in the wheel: {missing}"
    assert not [f for f in wheel_files if "__pycache__" in f or f.endswith(".pyc")]
    assert "stackcheck/resources.py" in wheel_files and "stackcheck/py.typed" in wheel_files


@pytest.fixture(scope="module")
def core_venv(built_wheel: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh venv in a temporary folder outside the repository with the wheel and its core dependencies
    alone (pip; it may use the package index and its cache: one install per module). Its ``bin``."""
    root = tmp_path_factory.mktemp("fresh-venv")
    assert not root.resolve().is_relative_to(REPO)
    subprocess.run([sys.executable, "-m", "venv", str(root / "venv")], check=True, timeout=120)
    pip = [str(root / "venv" / "bin" / "python"), "-m", "pip", "install", "-q", str(built_wheel)]
    proc = subprocess.run(pip, env=_env(), timeout=600, capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return root / "venv" / "bin"


def _env() -> dict[str, str]:
    """This environment without what points at the checkout or its venv (the tool cache is kept)."""
    return {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME")}


def _run(
    bin_dir: Path, cwd: Path, *args: str | Path, timeout: float = 300
) -> subprocess.CompletedProcess[str]:
    cmd = [str(bin_dir / "stackcheck"), *map(str, args)]
    return subprocess.run(
        cmd, cwd=cwd, env=_env(), timeout=timeout, capture_output=True, text=True, check=False
    )


def _report(folder: Path) -> dict[str, Any]:
    report: dict[str, Any] = json.loads((folder / "report.json").read_text())
    return report


def _profile(folder: Path, body: dict[str, Any]) -> Path:
    path = folder / f"{body['name']}.yaml"
    path.write_text(yaml.safe_dump(body, sort_keys=False))
    return path


HTTP_ONLY: dict[str, Any] = {
    "name": "wheel-http",
    "health": {"live": "/health/live", "ready": "/health/ready"},
    "headers": {"required": ["content-security-policy", "x-content-type-options", "referrer-policy"]},
    "cors": {"allowed_origins": ["https://app.example.com"], "methods": ["GET", "POST"]},
    "exposure": {"forbidden_paths": ["/backup.sql", "/debug/pprof/"]},
    "metrics": {"path": "/metrics", "required": ["http_requests_total"]},
}


def test_the_core_install_has_none_of_the_heavy_parts(core_venv: Path, tmp_path: Path) -> None:
    code = (
        "import importlib.util, sys, stackcheck; print(stackcheck.__file__);"
        f" print([m for m in {HEAVY!r} if importlib.util.find_spec(m) is not None])"
    )
    proc = subprocess.run(
        [str(core_venv / "python"), "-c", code],
        cwd=tmp_path,
        env=_env(),
        timeout=60,
        capture_output=True,
        text=True,
        check=True,
    )
    where, absent = proc.stdout.splitlines()
    assert where.startswith(str(core_venv.parent)), where  # the wheel's copy, not this checkout
    assert absent == "[]", absent
    version = _run(core_venv, tmp_path, "--version")
    assert version.returncode == 0 and "0.1.0" in version.stdout + version.stderr, version
    checks = _run(core_venv, tmp_path, "checks")
    assert checks.returncode == 0 and "pg.version" in checks.stdout and "tls.protocols" in checks.stdout
    schema = _run(core_venv, tmp_path, "profile", "schema")
    assert schema.returncode == 0 and json.loads(schema.stdout)["title"], schema.stderr


def test_an_http_only_profile_verifies_from_the_core_install(
    core_venv: Path, tmp_path: Path, refservice: Callable[..., Any]
) -> None:
    service = refservice()
    profile = _profile(tmp_path, HTTP_ONLY)
    proc = _run(
        core_venv, tmp_path, "verify", "--profile", profile, "--target", service.url, "--report-dir", "r"
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    statuses = {r["id"]: r["status"] for r in _report(tmp_path / "r")["results"]}
    assert statuses["health.live"] == statuses["cors.foreign_origin"] == "passed"
    assert statuses["pg.version"] == statuses["drill.restore"] == "skipped"  # their modules need psycopg
    assert "error" not in statuses.values() and "Traceback" not in proc.stderr
    report = _run(core_venv, tmp_path, "report", tmp_path / "r")
    assert report.returncode == 0 and "Traceback" not in report.stderr, report.stdout + report.stderr


def test_a_suite_needing_the_data_extra_names_it_in_one_line(
    core_venv: Path, tmp_path: Path, refservice: Callable[..., Any]
) -> None:
    service = refservice()
    data = {"postgres": {"version": ">=15"}, "redis": {"version": ">=7", "appendonly": True}}
    body = {"name": "wheel-data", "health": {"live": "/health/live"}, **data}
    profile = _profile(tmp_path, body)
    proc = _run(
        core_venv, tmp_path, "verify", "--profile", profile, "--target", service.url, "--report-dir", "r"
    )
    assert proc.returncode == 3, proc.stdout + proc.stderr  # could not check: never failed, never passed
    errors = {r["id"]: r for r in _report(tmp_path / "r")["results"] if r["status"] == "error"}
    lines = {missing_message("psycopg"), missing_message("redis")}
    assert {"pg.version", "redis.persistence", "drill.redis_persistence"} <= set(errors)
    assert {r["message"] for r in errors.values()} == lines
    assert {r["error_reason"] for r in errors.values()} == {"tool_missing"}
    assert "Traceback" not in proc.stdout + proc.stderr
    docker = _run(
        core_venv, tmp_path, "verify", "--profile", profile, "--infra", "docker", "--report-dir", "d"
    )
    assert docker.returncode == 2 and "Traceback" not in docker.stderr, docker.stdout + docker.stderr
    assert f"--infra docker: {missing_message('docker')}" in docker.stderr


def test_the_custom_checkov_policies_fire_from_the_core_install(core_venv: Path, tmp_path: Path) -> None:
    tool("checkov")  # the tool cache's checkov (python -m stackcheck.scan.tools install), reused
    (tmp_path / "infra").mkdir()
    (tmp_path / "infra" / "main.tf").write_text('provider "aws" {\n  region = "eu-west-1"\n}\n')
    scan = {"iac_paths": ["infra"], "frameworks": ["terraform"], "allowed_regions": ["eu-central-1"]}
    profile = _profile(tmp_path, {"name": "wheel-scan", "scan": scan})
    proc = _run(core_venv, tmp_path, "scan", "--profile", profile, "--report-dir", "r")
    assert proc.returncode == 1, proc.stdout + proc.stderr
    findings = _report(tmp_path / "r")["findings"]
    assert [(f["rule_id"], f["file"]) for f in findings if f["rule_id"] == "CKV_SC_5"] == [
        ("CKV_SC_5", "infra/main.tf")
    ]


def test_load_names_its_extra_then_runs_once_it_is_installed(
    core_venv: Path, built_wheel: Path, tmp_path: Path, refservice: Callable[..., Any]
) -> None:
    service = refservice()
    load = {
        "users": 2,
        "spawn_rate": 2,
        "duration_s": 3,
        "target_rps": 10,
        "endpoints": [{"path": "/health/live"}],
    }
    profile = _profile(
        tmp_path, {"name": "wheel-load", "slo": {"p95_ms": 2000, "error_ratio": 0.05}, "load": load}
    )
    args = ("load", "--profile", profile, "--target", service.url, "--processes", "1")
    before = _run(core_venv, tmp_path, *args, "--report-dir", "before")
    assert before.returncode == 3, before.stdout + before.stderr
    assert missing_message("locust") in before.stdout and "Traceback" not in before.stderr
    # The second step: the load extra into the same venv (pip; quick from its cache).
    pip = [str(core_venv / "python"), "-m", "pip", "install", "-q", f"{built_wheel}[load]"]
    installed = subprocess.run(pip, env=_env(), timeout=600, capture_output=True, text=True, check=False)
    assert installed.returncode == 0, installed.stdout + installed.stderr
    after = _run(core_venv, tmp_path, *args, "--report-dir", "after")
    assert after.returncode == 0, after.stdout + after.stderr
    statuses = {r["id"]: r["status"] for r in _report(tmp_path / "after")["results"]}
    assert statuses["load.p95"] == statuses["load.error_ratio"] == "passed"
