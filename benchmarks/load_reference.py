"""The reference generators and servers of the load benchmark (``benchmarks/bench_load.py``).

* **vegeta** (Go, constant-rate, MIT): built from the pinned module in ``tools/vegeta/`` into stackcheck's
  tool cache, exactly as trivy and toxiproxy are (``stackcheck.scan.toolcache``: ``$STACKCHECK_VEGETA``, the
  tool cache, ``PATH``); used by the benchmark only, never by stackcheck itself.
* **wrk** (Debian package): the closed-loop ceiling.
* **nginx** (Debian package): one worker answering ``200 ok``, a server faster than any generator here.
* CPU accounting of child processes and of a running server.
"""

from __future__ import annotations

import csv
import io
import json
import os
import re
import resource
import shutil
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import yaml

from stackcheck.load.runner import free_port
from stackcheck.load.stats import LoadStats
from stackcheck.scan.toolcache import ToolSpec, install
from stackcheck.settings import Settings

__all__ = [
    "REPO",
    "VEGETA",
    "cpu_of",
    "fmt",
    "nginx",
    "off",
    "proc_cpu",
    "stackcheck_load",
    "vegeta",
    "vegeta_attack",
    "wrk",
]

REPO = Path(__file__).resolve().parents[1]

VEGETA = ToolSpec(
    "vegeta",
    "vegeta",
    "12.13.0",
    go_package="github.com/tsenart/vegeta/v12",
    go_version_var="main.Version",
    scanner=False,
)


# This checkout's stackcheck (src/) and its fixtures, whatever the environment's editable install points at.
ENV = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO / "src"), str(REPO)])}


def stackcheck_load(
    work: Path, name: str, target: str, slo: dict[str, Any], load: dict[str, Any], *args: str
) -> tuple[LoadStats, dict[str, float], int]:
    """One ``stackcheck load`` run; its statistics, its CPU, its exit code."""
    profile = work / f"{name}.yaml"
    profile.write_text(yaml.safe_dump({"name": name, "slo": slo, "load": load}))
    report_dir = work / f"report-{name}"
    with cpu_of() as cpu:
        proc = subprocess.run(
            [
                sys.executable,
                "-m",
                "stackcheck",
                "load",
                "--profile",
                str(profile),
                "--target",
                target,
                "--report-dir",
                str(report_dir),
                *args,
            ],
            cwd=REPO,
            env=ENV,
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
    report = json.loads((report_dir / "report.json").read_text())
    if report["load"] is None:
        raise RuntimeError(f"{name}: no load statistics: {proc.stdout[-2000:]} {proc.stderr[-2000:]}")
    return LoadStats.model_validate(report["load"]), cpu, proc.returncode


def fmt(value: float | None, unit: str = "ms") -> str:
    return "-" if value is None else f"{value:.1f} {unit}" if value < 1000 else f"{value:,.0f} {unit}"


def off(measured: float | None, truth: float) -> str:
    return "-" if measured is None else f"{(measured - truth) / truth:+.1%}"


def vegeta() -> Path | None:
    """The pinned vegeta (built into the tool cache on first use); None when it cannot be had (no Go)."""
    settings = Settings.from_environ()
    explicit = settings.tool_override(VEGETA.name)
    if explicit is not None:
        return explicit
    try:
        return install(VEGETA, settings)
    except Exception:  # a benchmark without its reference says so in its table instead
        return None


def children_cpu() -> float:
    """CPU seconds (user + system) of every finished child process and its reaped descendants."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def proc_cpu(pid: int) -> float:
    """CPU seconds of a running process, from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@contextmanager
def cpu_of(server_pid: int | None = None) -> Iterator[dict[str, float]]:
    """Measure the CPU of the children run inside the block (and of a server) plus the wall time."""
    out: dict[str, float] = {}
    c0, w0 = children_cpu(), time.monotonic()
    s0 = proc_cpu(server_pid) if server_pid else 0.0
    yield out
    out["cpu_s"] = children_cpu() - c0
    out["wall_s"] = time.monotonic() - w0
    out["server_cpu_s"] = proc_cpu(server_pid) - s0 if server_pid else 0.0


def vegeta_attack(
    exe: Path, url: str, seconds: float, rate: float, workers: int = 50
) -> tuple[list[tuple[float, float, int]], dict[str, float]]:
    """One vegeta run: ``(epoch s of the send, latency ms, status)`` per request, and its CPU.

    ``rate`` 0: as fast as ``workers`` closed-loop workers go (vegeta's own maximum rate); otherwise at most
    ``4 x workers`` workers (unbounded, vegeta opens connections until nginx refuses them and times out).
    """
    argv = [str(exe), "attack", f"-duration={seconds:g}s", "-keepalive=true", f"-rate={rate:g}"]
    argv += [f"-workers={workers}", f"-max-workers={workers if rate == 0 else 4 * workers}"]
    with cpu_of() as cpu:
        raw = subprocess.run(
            argv, input=f"GET {url}\n".encode(), capture_output=True, timeout=seconds + 60, check=True
        ).stdout
    text = subprocess.run(
        [str(exe), "encode", "-to", "csv"], input=raw, capture_output=True, timeout=120, check=True
    ).stdout.decode()
    rows = [(int(r[0]) / 1e9, int(r[2]) / 1e6, int(r[1])) for r in csv.reader(io.StringIO(text)) if r]
    return rows, cpu


def wrk(url: str, seconds: int, connections: int) -> tuple[float, dict[str, float]]:
    """``wrk -t2``: requests per second, and its CPU."""
    with cpu_of() as cpu:
        out = subprocess.run(
            ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", url],
            capture_output=True,
            text=True,
            timeout=seconds + 60,
            check=True,
        ).stdout
    match = re.search(r"Requests/sec:\s+([\d.]+)", out)
    assert match, out
    return float(match[1]), cpu


def wrk_version() -> str:
    """``wrk -v``'s version word, or ``-``."""
    if shutil.which("wrk") is None:
        return "-"
    out = subprocess.run(["wrk", "-v"], capture_output=True, text=True, check=False)
    words = (out.stdout + out.stderr).split()
    return words[1] if len(words) > 1 else "-"


NGINX_CONF = """\
master_process off;
daemon off;
worker_processes 1;
error_log {prefix}/error.log warn;
pid {prefix}/nginx.pid;
events {{ worker_connections 4096; }}
http {{
    access_log off;
    keepalive_requests 10000000;
    client_body_temp_path {prefix}/tmp; proxy_temp_path {prefix}/tmp; fastcgi_temp_path {prefix}/tmp;
    uwsgi_temp_path {prefix}/tmp; scgi_temp_path {prefix}/tmp;
    server {{ listen 127.0.0.1:{port}; location / {{ return 200 "ok\\n"; }} }}
}}
"""


@contextmanager
def nginx(work: Path) -> Iterator[tuple[str, int]]:
    """A one-process nginx on a free loopback port answering every path with 200 "ok"; (URL, pid)."""
    prefix = work / "nginx"
    (prefix / "tmp").mkdir(parents=True, exist_ok=True)
    port = free_port()
    (prefix / "nginx.conf").write_text(NGINX_CONF.format(prefix=prefix, port=port))
    proc = subprocess.Popen(
        ["nginx", "-p", str(prefix), "-c", str(prefix / "nginx.conf")],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        url = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:  # a benchmark, not a suite: a plain bounded poll
            try:
                with urllib.request.urlopen(url + "/health/live", timeout=1):
                    break
            except OSError:
                time.sleep(0.05)
        yield url, proc.pid
    finally:
        proc.terminate()
        proc.wait(timeout=10)
