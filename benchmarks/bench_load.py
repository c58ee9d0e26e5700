"""Fidelity benchmark of the load stage: are its numbers the truth? Prints one Markdown section
(``benchmarks/run_all.py`` collects it into ``docs/benchmarks.md``; progress goes to stderr).

1. Percentiles vs a server of known latency (90 % at 20 ms / 10 % at 150 ms; uniform 20-220 ms): the
   p50/p95/p99 ``stackcheck load`` reports against the distribution's true values and against what the
   server itself timed; and which side of a threshold 10 % above / below the true p95 the gate lands.
2. Throughput vs ``wrk`` on one trivial endpoint of the reference service (uvicorn), in the same run,
   with the CPU time each generator used.
3. Coordinated omission: a server that stops the world for 1 s every 10 s, measured closed-loop and
   paced; the true percentiles of a request arriving at a random moment are computed exactly.

    python benchmarks/bench_load.py [--quick] [--out FILE]

Every run is a real ``stackcheck load`` subprocess (Locust in processes of its own) against loopback.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import yaml

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from fixtures.refservice.runner import RefService  # noqa: E402
from loadtests.latency_server import LatencyServer, true_percentile  # noqa: E402
from stackcheck.load.gate import evaluate  # noqa: E402
from stackcheck.load.stats import LoadStats  # noqa: E402
from stackcheck.probes.percentile import percentile  # noqa: E402
from stackcheck.profile.models import SloSection  # noqa: E402

# This checkout's stackcheck (src/) and its fixtures, whatever the environment's editable install points at.
ENV = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO / "src"), str(REPO)])}


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


# --- 1. percentiles vs a known distribution ------------------------------------------------------


def fidelity(work: Path, quick: bool) -> list[str]:
    lines = [
        "### 1. Percentiles against a server of known latency",
        "",
        "`loadtests/latency_server.py` draws each answer's delay from the distribution; the true percentile",
        "is the distribution's, the server column is the server's own timing of the requests it served.",
        "Paced model (the default), 20 users at 100 req/s, master + one worker per core.",
        "",
        "| distribution | pct | true | server-timed | stackcheck load | error vs true | gate at 1.1 x true | "
        "gate at 0.9 x true |",
        "|---|---|---|---|---|---|---|---|",
    ]
    duration = 10 if quick else 25
    for label, spec in (
        ("90 % 20 ms / 10 % 150 ms", "mix:20*90+150*10"),
        ("uniform 20-220 ms", "uniform:20-220"),
    ):
        with LatencyServer([f"/api={spec}"], seed=7) as server:
            stats, _, _ = stackcheck_load(
                work,
                f"fidelity-{spec.split(':')[0]}",
                server.url,
                {"p95_ms": 10_000},
                {
                    "users": 20,
                    "spawn_rate": 20,
                    "duration_s": duration,
                    "target_rps": 100,
                    "endpoints": [{"path": "/api"}],
                },
            )
            served = server.stats()["routes"]["/api"]["delays_ms"]  # type: ignore[index]
        for pct in (50.0, 95.0, 99.0):
            truth = true_percentile(spec, pct)
            measured = stats.percentile(pct)
            gates = []
            for factor in (1.1, 0.9):
                key = "p95_ms" if pct == 95 else "p99_ms" if pct == 99 else None
                if key is None:
                    gates.append("-")
                    continue
                result = next(
                    r
                    for r in evaluate(stats, SloSection(**{key: factor * truth}))
                    if r.id.endswith(key.split("_")[0])
                )
                gates.append(str(result.status))
            lines.append(
                f"| {label} | p{pct:g} | {fmt(truth)} | {fmt(percentile(served, pct))} | {fmt(measured)} | "
                f"{off(measured, truth)} | {gates[0]} | {gates[1]} |"
            )
        lines.append(
            f"| {label} | (run) | {stats.requests} requests | | {stats.steady_rps:g} req/s | "
            f"late sends: {stats.late_requests} | | |"
        )
    return lines


# --- 2. throughput vs wrk ------------------------------------------------------------------------


def wrk(url: str, seconds: int, connections: int) -> tuple[float, dict[str, float]]:
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
    """A one-process nginx answering every path with 200 "ok" (a server faster than any generator here)."""
    from stackcheck.load.runner import free_port

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


def _rounds(work: Path, tag: str, url: str, server_pid: int, seconds: int) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    for round_ in (1, 2):
        s0 = proc_cpu(server_pid)
        wrk_rps, wrk_cpu = wrk(url + "/health/live", seconds, 50)
        rows.append(
            {
                "round": round_,
                "label": "wrk -t2 -c50",
                "rps": wrk_rps,
                "cpu": wrk_cpu["cpu_s"],
                "requests": wrk_rps * seconds,
                "server": proc_cpu(server_pid) - s0,
                "wall": wrk_cpu["wall_s"],
                "total": wrk_cpu["cpu_s"],
                "wrk": wrk_rps,
            }
        )
        for procs, label in (
            ("2", "stackcheck load: master + 2 workers"),
            ("0", "stackcheck load: 1 process"),
        ):
            load = {
                "users": 50,
                "spawn_rate": 50,
                "duration_s": seconds + 1,
                "model": "closed",
                "endpoints": [{"path": "/health/live"}],
            }
            s0 = proc_cpu(server_pid)
            stats, cpu, _ = stackcheck_load(
                work, f"tp-{tag}-{procs}-{round_}", url, {"rps": 1}, load, "--processes", procs
            )
            rows.append(
                {
                    "round": round_,
                    "label": label,
                    "rps": stats.steady_rps,
                    "cpu": sum(g.cpu_s for g in stats.generator),
                    "requests": stats.requests,
                    "server": proc_cpu(server_pid) - s0,
                    "wall": stats.wall_s,
                    "total": cpu["cpu_s"],
                    "wrk": wrk_rps,
                }
            )
    return rows


def _table(title: str, rows: list[dict[str, Any]]) -> list[str]:
    lines = [
        title,
        "",
        "| round | generator | req/s | ratio to wrk | generator CPU | CPU µs / request | server CPU (busy) | "
        "whole command CPU |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        per_req = 1e6 * r["cpu"] / max(r["requests"], 1)
        busy = 100 * r["server"] / max(r["wall"], 1e-9)
        lines.append(
            f"| {r['round']} | {r['label']} | {r['rps']:,.0f} | {r['rps'] / r['wrk']:.2f} x | "
            f"{r['cpu']:.1f} s | {per_req:.0f} | {r['server']:.1f} s ({busy:.0f} %) | {r['total']:.1f} s |"
        )
    return lines


def throughput(work: Path, quick: bool) -> list[str]:
    if shutil.which("wrk") is None:
        return [
            "### 2. Throughput against wrk",
            "",
            "`wrk` is not installed (`apt-get install -y wrk`): skipped.",
        ]
    seconds = 6 if quick else 12
    lines = [
        "### 2. Throughput against wrk",
        "",
        f"One trivial endpoint, about {seconds} s per generator, 50 connections / users, closed loop (as",
        "fast as answers come back), generators alternating in the same run. The server shares the two",
        "cores with the generator. `stackcheck load` rates are over the window in which all users ran; its",
        "generator CPU is what the Locust processes used during the test (the whole command, start-up",
        "included, in the last column).",
        "",
    ]
    with RefService(REPO / "policies" / "profiles" / "demo.yaml") as ref:
        pid = ref._proc.pid if ref._proc else 0  # the benchmark weighs the server's CPU
        rows = _rounds(work, "uvicorn", ref.url, pid, seconds)
    lines += _table(
        "**Server-bound**: `GET /health/live` of the reference service (Starlette, one uvicorn process).",
        rows,
    )
    if all(r["server"] >= 0.85 * r["wall"] for r in rows):
        lines += [
            "",
            "The server was busy at least 85 % of a core in every row: it, not the generator, set the rate;",
            "the ratio shows how little each generator's CPU slowed the server down.",
        ]
    if shutil.which("nginx"):
        with nginx(work) as (url, pid):
            rows = _rounds(work, "nginx", url, pid, seconds)
        lines += [
            "",
            *_table(
                "**Generator-bound**: one nginx process answering `200 ok` (faster than any generator here).",
                rows,
            ),
            "",
            "Here the generators set the rate: the ratio is what Locust's per-request cost allows on two",
            "shared cores.",
        ]
    return lines


# --- 3. coordinated omission ---------------------------------------------------------------------


def stall_truth(base: float, stall: float, period: float, pct: float) -> float:
    """Exact percentile of the latency of a request arriving at a uniformly random moment."""
    share = stall / period  # arrivals inside the stall wait for its end: base + U(0, stall)
    tail = 1 - pct / 100
    return base if tail >= share else base + stall * (1 - tail / share)


def omission(work: Path, quick: bool) -> list[str]:
    base, stall, period = 10.0, 1000.0, 10_000.0
    duration = 20 if quick else 40  # whole periods: every window of this length holds the same stall time
    rows = []
    with LatencyServer([f"/api=fixed:{base:g}"], stall=f"{stall:g}/{period:g}") as server:
        runs = {
            "closed loop, 20 users, 10 ms think time": {"model": "closed", "users": 20, "think_time_s": 0.01},
            "paced (default), 20 users at 200 req/s": {"model": "paced", "users": 20, "target_rps": 200},
        }
        for label, shape in runs.items():
            load = {"spawn_rate": 20, "duration_s": duration, "endpoints": [{"path": "/api"}], **shape}
            stats, _, code = stackcheck_load(work, f"co-{shape['model']}", server.url, {"p95_ms": 200}, load)
            rows.append((label, stats, code))
    lines = [
        "### 3. Coordinated omission",
        "",
        f"The server answers in {base:g} ms but stops the world for {stall:g} ms every {period / 1000:g} s",
        "(10 % of the time, like a long GC pause). A request arriving at a random moment waits for the",
        "rest of the pause, so the true p95 is half a pause and the true p99 nine tenths of one.",
        f"Gate: `slo.p95_ms: 200`. {duration} s per run.",
        "",
        "| load model | requests | p50 | p95 | p99 | max | gate (exit code) |",
        "|---|---|---|---|---|---|---|",
        f"| truth (random arrivals) | | {fmt(stall_truth(base, stall, period, 50))} | "
        f"{fmt(stall_truth(base, stall, period, 95))} | {fmt(stall_truth(base, stall, period, 99))} | "
        f"{fmt(base + stall)} | fail |",
    ]
    for label, stats, code in rows:
        p = stats.latency_ms.percentiles
        verdict = {0: "pass", 1: "fail", 3: "could not tell"}.get(code, str(code))
        lines.append(
            f"| {label} | {stats.requests} | {fmt(p['p50'])} | {fmt(p['p95'])} | {fmt(p['p99'])} | "
            f"{fmt(stats.latency_ms.max)} | {verdict} ({code}) |"
        )
    return lines


def main() -> int:
    """Run the three measurements; print the Markdown section (and write it to --out if given)."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--out", type=Path, help="also write the section to this file")
    parser.add_argument("--quick", action="store_true", help="shorter runs (a smoke test of the benchmark)")
    args = parser.parse_args()
    started = dt.datetime.now(dt.UTC)
    load_before = os.getloadavg()
    locust = subprocess.run(
        [sys.executable, "-c", "import importlib.metadata as m; print(m.version('locust'))"],
        capture_output=True,
        text=True,
        check=False,
    ).stdout.strip()
    sections = []
    with tempfile.TemporaryDirectory(prefix="bench-load-") as tmp:
        for step in (fidelity, throughput, omission):
            print(f"bench_load: {step.__name__} ...", file=sys.stderr, flush=True)
            sections.append(step(Path(tmp), args.quick))
    wrk_version = "-"
    if shutil.which("wrk"):
        wrk_out = subprocess.run(["wrk", "-v"], capture_output=True, text=True, check=False)
        words = (wrk_out.stdout + wrk_out.stderr).split()
        wrk_version = words[1] if len(words) > 1 else "-"
    header = [
        "## Load stage (`benchmarks/bench_load.py`)",
        "",
        "Is what `stackcheck load` reports the truth? Real `stackcheck load` runs (Locust in processes",
        "of its own) against servers whose latency is known; numbers, never assertions. The load model:",
        "docs/load.md.",
        f"{started:%Y-%m-%d %H:%M} UTC, {os.cpu_count()} cores, Locust {locust}, wrk {wrk_version}; load "
        f"average {load_before[0]:.1f} before and {os.getloadavg()[0]:.1f} after (a shared machine).",
        "",
    ]
    text = "\n".join(header + [line for section in sections for line in [*section, ""]]).rstrip() + "\n"
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text, encoding="utf-8")
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
