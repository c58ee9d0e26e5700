"""The readiness drill on dependencies stackcheck did not start: a real nginx (HTTP) and a real redis-server
(TCP), each behind the drill's relay, read by the reference service's /health/ready through ``{dep_NAME}``.

No Docker: the profile has no Postgres or Redis of the run's own; the two dependencies are started here,
as a team's would already run, and are never stopped by stackcheck (the relay in front of them is).
"""

from __future__ import annotations

import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import yaml

from fixtures.nginx import NginxServer, NginxSite, nginx_binary
from stackcheck.catalog import health
from stackcheck.infra.local import LocalProvider, find_redis_server
from stackcheck.wait import wait_until
from tests.integration.conftest import REPO, Run, cli_env, verify

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(nginx_binary() is None, reason="nginx is not installed"),
    pytest.mark.skipif(find_redis_server() is None, reason="redis-server is not installed"),
]

DRILL = health.READY_DEPENDENCIES.id
BOTH = [f"{DRILL}[search]", f"{DRILL}[cache]"]


@dataclass(frozen=True)
class Dependencies:
    """Where the team's own servers listen."""

    search: str  # nginx, plain HTTP
    cache: str  # redis-server


@pytest.fixture(scope="module")
def dependencies() -> Iterator[Dependencies]:
    """A real nginx (plain HTTP port serving its docroot) and a real redis-server on free loopback ports."""
    provider = LocalProvider()
    try:
        redis = provider.start_redis({}, None)
        with NginxServer(NginxSite(http_redirect=False)) as nginx:
            cache = urlsplit(redis.url)
            yield Dependencies(f"127.0.0.1:{nginx.ports.http}", f"127.0.0.1:{cache.port}")
    finally:
        provider.close()


def profile(
    tmp_path: Path,
    deps: Dependencies,
    *extra_args: str,
    cache_check: str = "redis",
    drill: str = "stop",
    search: str | None = None,
    recovery_s: float = 5,
) -> Path:
    """The reference service reading /health/ready from both dependencies through their relays."""
    cache = (
        ["--redis-url", "redis://{dep_cache}/0"]
        if cache_check == "redis"
        else ["--check-tcp", "cache={dep_cache}"]
    )
    command = [
        "{python}", "-m", "fixtures.refservice", "--profile", "{profile}", "--port", "{port}",
        "--check-http", "search=http://{dep_search}/", *cache, *extra_args,
    ]  # fmt: skip
    data = {
        "name": "relayed-dependencies",
        "service": {"command": command, "cwd": str(REPO)},
        "health": {
            "ready_dependencies": [
                {"name": "search", "address": search or deps.search},
                {"name": "cache", "address": deps.cache},
            ],
            "ready_recovery_s": recovery_s,
            "drill": drill,
        },
    }
    path = tmp_path / "relayed.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


def run_health(path: Path, tmp_path: Path) -> Run:
    return verify(path, "--suite", "health", report_dir=tmp_path / "r")


def drill_statuses(run: Run) -> list[str]:
    statuses = run.statuses()
    return [statuses[d] for d in BOTH]


def refused(address: str) -> bool:
    try:
        socket.create_connection(tuple(address.rsplit(":", 1)), timeout=1).close()  # type: ignore[arg-type]
    except OSError:
        return True
    return False


@pytest.mark.parametrize("drill", ["stop", "pause"])
def test_ready_reflects_a_relayed_http_and_tcp_dependency(
    tmp_path: Path, dependencies: Dependencies, drill: str
) -> None:
    run = run_health(profile(tmp_path, dependencies, drill=drill), tmp_path)
    assert run.code == 0, run.stdout + run.stderr
    assert drill_statuses(run) == ["passed", "passed"]
    for result in run.results(DRILL):
        details = result["evidence"]["details"]
        assert details["drill"] == drill and details["live_statuses"] == [200]
        assert details["relayed"] == getattr(dependencies, result["subject"])
        assert 0 <= result["evidence"]["observed"] <= 5
        assert refused(details["relay"]), "the relay outlived the run"
    # The team's servers were never touched: they still answer.
    assert not refused(dependencies.search) and not refused(dependencies.cache)


def test_ready_that_ignores_one_dependency_fails_its_drill_only(
    tmp_path: Path, dependencies: Dependencies
) -> None:
    run = run_health(profile(tmp_path, dependencies, "--defect", "ready-ignores=search"), tmp_path)
    assert run.code == 1, run.stdout + run.stderr
    assert drill_statuses(run) == ["failed", "passed"]
    failed = next(r for r in run.results(DRILL) if r["subject"] == "search")
    assert failed["message"] == "GET /health/ready kept answering 2xx for 5 s after search was stopped"
    assert {k: v for k, v in run.statuses().items() if k not in BOTH and v != "skipped"} == {
        health.LIVE.id: "passed",
        health.READY.id: "passed",
    }


@pytest.mark.parametrize(("drill", "status"), [("stop", "passed"), ("pause", "failed")])
def test_a_tcp_connect_readiness_check_misses_a_paused_dependency(
    tmp_path: Path, dependencies: Dependencies, drill: str, status: str
) -> None:
    # --check-tcp only connects: a frozen server still completes the handshake, so only stop is seen.
    run = run_health(profile(tmp_path, dependencies, cache_check="tcp", drill=drill), tmp_path)
    assert run.statuses()[f"{DRILL}[cache]"] == status, run.stdout
    assert run.statuses()[f"{DRILL}[search]"] == "passed"
    if status == "failed":
        cache = next(r for r in run.results(DRILL) if r["subject"] == "cache")
        assert cache["message"] == "GET /health/ready kept answering 2xx for 5 s after cache was paused"


def test_a_dependency_that_is_not_running_is_error_not_failed(
    tmp_path: Path, dependencies: Dependencies
) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        nobody = f"127.0.0.1:{sock.getsockname()[1]}"
    run = run_health(profile(tmp_path, dependencies, search=nobody), tmp_path)
    assert run.code == 1, run.stdout + run.stderr  # the service is rightly not ready: health.ready fails
    assert run.statuses()[health.READY.id] == "failed"
    search = next(r for r in run.results(DRILL) if r["subject"] == "search")
    assert (
        search["status"] == "error" and f"dependency search at {nobody} does not accept" in search["message"]
    )
    # Not ready before the drill: the other dependency cannot be drilled either, and says why.
    cache = next(r for r in run.results(DRILL) if r["subject"] == "cache")
    assert cache["status"] == "error" and "before the drill" in cache["message"]


def test_a_remote_dependency_address_is_refused_before_anything_runs(
    tmp_path: Path, dependencies: Dependencies
) -> None:
    path = profile(tmp_path, dependencies, search="192.0.2.10:9200")
    run = verify(path, "--suite", "health", report_dir=tmp_path / "r", isolated=True)
    assert run.code == 2, run.stdout + run.stderr
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1 and "dependency search at 192.0.2.10 is not a loopback address" in lines[0]
    assert "--allow-remote" in lines[0]


def _launched(profile_path: Path) -> list[str]:
    """Command lines of live processes started from ``profile_path`` (the launched reference service)."""
    found = []
    for proc in Path("/proc").iterdir():
        try:
            cmdline = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if proc.name.isdigit() and str(profile_path) in cmdline and "fixtures.refservice" in cmdline:
            found.append(cmdline)
    return found


def test_sigterm_during_a_drill_closes_the_relay_and_leaves_the_dependency_alone(
    tmp_path: Path, dependencies: Dependencies
) -> None:
    # ready-ignores=search keeps the search drill waiting 30 s for /ready to go down, so the signal usually
    # lands in it; the relay exists from the launch on, so what is asserted holds wherever it lands.
    path = profile(tmp_path, dependencies, "--defect", "ready-ignores=search", recovery_s=30)
    argv = [sys.executable, "-m", "stackcheck", "verify", "--profile", str(path), "--suite", "health"]
    argv += ["--report-dir", str(tmp_path / "r")]
    proc = subprocess.Popen(
        argv,
        cwd=REPO,
        env=cli_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        assert wait_until(lambda: bool(_launched(path)), 60, 0.2), "the service was not launched"
        relay = re.search(r"search=http://(127\.0\.0\.1:\d+)/", _launched(path)[0])
        assert relay is not None
        assert wait_until(lambda: not refused(relay.group(1)), 10, 0.1)
        time.sleep(2)  # on an idle machine: in the search drill (live/ready/latency take well under 2 s)
        proc.send_signal(signal.SIGTERM)
        out, _ = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == 143, out
    assert refused(relay.group(1)), "the relay outlived the run"
    assert _launched(path) == [], "the launched service outlived the run"
    assert not refused(dependencies.search) and not refused(dependencies.cache)
