"""Shared helpers of the data-layer integration tests: real servers, the real CLI, its report.

Markers: ``docker`` (needs a Docker engine and the local images) and ``local_binaries`` (needs the host's
``initdb``/``postgres``/``redis-server``). Tests skip only when the engine or binaries are truly absent.
"""

from __future__ import annotations

import importlib.util
import itertools
import json
import os
import shutil
import signal
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

from stackcheck.catalog import REGISTRY

REPO = Path(__file__).resolve().parents[2]
PROFILES = REPO / "tests" / "data" / "profiles"
DEFAULT_IMAGES = {
    "STACKCHECK_POSTGRES_IMAGE": "stackcheck/postgres:17",
    "STACKCHECK_REDIS_IMAGE": "stackcheck/redis:7",
}


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "docker: needs a Docker engine (and the stackcheck/* local images)")
    config.addinivalue_line(
        "markers", "local_binaries: needs local initdb/postgres and redis-server binaries"
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    from stackcheck.infra.local import local_problem

    docker_reason = _docker_reason()
    for item in items:
        if item.get_closest_marker("docker") and docker_reason:
            item.add_marker(pytest.mark.skip(reason=docker_reason))
        if item.get_closest_marker("local_binaries"):
            problem = local_problem(["postgres", "redis"])
            if problem:
                item.add_marker(pytest.mark.skip(reason=problem))


@pytest.fixture(scope="session")
def built_wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """stackcheck's wheel, built once per session from this checkout (``pip wheel``, at most 300 s)."""
    out = tmp_path_factory.mktemp("wheel")
    # Offline-friendly: build with the hatchling already installed when there is one.
    isolation = [] if importlib.util.find_spec("hatchling") is None else ["--no-build-isolation"]
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", *isolation, "-w", str(out), str(REPO)],
        check=True,
        timeout=300,
        capture_output=True,
    )
    (wheel,) = out.glob("stackcheck-*.whl")
    return wheel


def _docker_reason() -> str | None:
    try:
        from stackcheck.infra.docker import engine_problem
    except ImportError as exc:  # the docker SDK is not installed
        return f"docker SDK missing: {exc}"
    return engine_problem()


@dataclass
class Run:
    """A finished ``stackcheck verify`` subprocess and its report."""

    code: int
    stdout: str
    stderr: str
    pid: int
    report: dict[str, Any] | None

    def results(self, check_id: str) -> list[dict[str, Any]]:
        """Every result of ``check_id`` (one per subject)."""
        assert self.report is not None, f"no report.json; stderr: {self.stderr}"
        return [r for r in self.report["results"] if r["id"] == check_id]

    def status(self, check_id: str, subject: str | None = None) -> str:
        """The status of one result (``subject`` picks one of a parametrized check)."""
        found = [r for r in self.results(check_id) if subject is None or r.get("subject") == subject]
        assert len(found) == 1, f"{check_id}[{subject}]: {len(found)} results in {self.report}"
        return str(found[0]["status"])

    def failed_checks(self) -> set[str]:
        """Ids of the checks with at least one failed result."""
        assert self.report is not None, f"no report.json; stderr: {self.stderr}"
        return {r["id"] for r in self.report["results"] if r["status"] == "failed"}

    def statuses(self) -> dict[str, str]:
        """``{"pg.rls[accounts]": "passed", ...}``."""
        assert self.report is not None, f"no report.json; stderr: {self.stderr}"
        return {
            (f"{r['id']}[{r['subject']}]" if r.get("subject") else r["id"]): r["status"]
            for r in self.report["results"]
        }


def cli_env(**extra: str) -> dict[str, str]:
    """The environment for a CLI subprocess: local images unless CI chose others, plus ``extra``."""
    env = dict(os.environ)
    for key, value in DEFAULT_IMAGES.items():
        env.setdefault(key, value)
    env.update(extra)
    return env


def verify(
    profile: str | Path,
    *args: str,
    report_dir: Path,
    env: dict[str, str] | None = None,
    timeout: float = 180,
    isolated: bool = False,
) -> Run:
    """Run ``python -m stackcheck verify --profile P ARGS`` and load the report it wrote. ``isolated``:
    inside ``unshare -n`` (loopback alone), for a profile naming a documentation address."""
    path = profile if isinstance(profile, Path) else PROFILES / profile
    if isolated and (os.geteuid() != 0 or shutil.which("unshare") is None):
        pytest.skip("a run naming a non-loopback address needs root and unshare (unshare -n)")
    cmd = [
        *(["unshare", "-n"] if isolated else []),
        sys.executable,
        "-m",
        "stackcheck",
        "verify",
        "--profile",
        str(path),
        "--report-dir",
        str(report_dir),
        *args,
    ]
    proc = subprocess.Popen(
        cmd, cwd=REPO, env=env or cli_env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=60)
        raise AssertionError(f"verify timed out:\n{out}\n{err}") from None
    report_file = report_dir / "report.json"
    report = json.loads(report_file.read_text()) if report_file.is_file() else None
    return Run(proc.returncode, out, err, proc.pid, report)


_external_runs = itertools.count()


def judge(tmp_path: Path, suite: str, section: dict[str, Any], url: str) -> Run:
    """``stackcheck verify --suite SUITE --infra external`` of a profile holding only ``section`` (plus the
    DSN/URL, read from the environment as a staging run reads it), against the server at ``url``."""
    n = next(_external_runs)
    key = "dsn" if suite == "postgres" else "url"
    profile = tmp_path / f"profile-{n}.yaml"
    body = {"name": f"{suite}-external-{n}", suite: {key: "${SC_URL}", **section}}
    profile.write_text(yaml.safe_dump(body))
    return verify(
        profile,
        "--suite",
        suite,
        "--infra",
        "external",
        report_dir=tmp_path / f"r{n}",
        env=cli_env(SC_URL=url),
    )


def containers_of(pid: int) -> list[str]:
    """Ids of containers (any state) started by the stackcheck process ``pid``."""
    import docker

    client = docker.from_env()
    try:
        # sparse: no per-container inspect, which races with removals in progress
        found = client.containers.list(all=True, sparse=True, filters={"label": f"org.stackcheck.pid={pid}"})
        return [str(c.id)[:12] for c in found]
    finally:
        client.close()


def failing_on(example: str) -> set[str]:
    """Ids of the checks whose catalog entry lists ``example`` (``profile:pg-wrong.yaml``) as failing."""
    return {spec.id for spec in REGISTRY.values() if example in spec.fails_on}
