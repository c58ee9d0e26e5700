"""Fidelity benchmark of the load stage: are its numbers the truth? Prints one Markdown section
(``benchmarks/run_all.py`` collects it into ``docs/benchmarks.md``; progress goes to stderr).

1. Percentiles vs a server of known latency (90 % at 20 ms / 10 % at 150 ms; uniform 20-220 ms): the
   p50/p95/p99 ``stackcheck load`` reports against the distribution's true values and against what the
   server itself timed; and which side of a threshold 10 % above / below the true p95 the gate lands.
2. Coordinated omission: a server that stops the world for 1 s every 10 s, measured closed-loop and
   paced; the true percentiles of a request arriving at a random moment are computed exactly.
3. The generator itself (``benchmarks/load_sections.py``), against vegeta (pinned in ``tools/vegeta``) and
   wrk in the same run: p95/p99 on a lognormal tail at 100 and 1,000 req/s against the truth server's own
   log (``fixtures/truth_server.py``); the generator-bound rate against one nginx worker; the generator's
   added latency at 50/80/95 % of its maximum rate; where its CPU goes (cProfile).

    python benchmarks/bench_load.py [--quick] [--out FILE]

Every run is a real ``stackcheck load`` subprocess (Locust in processes of its own) against loopback.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from benchmarks.load_reference import fmt, off, stackcheck_load, vegeta, wrk_version  # noqa: E402
from benchmarks.load_sections import added_latency, goals, lognormal, profile, rate  # noqa: E402
from loadtests.latency_server import LatencyServer, true_percentile  # noqa: E402
from stackcheck.load.gate import evaluate  # noqa: E402
from stackcheck.probes.percentile import percentile  # noqa: E402
from stackcheck.profile.models import SloSection  # noqa: E402

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
        "### 2. Coordinated omission",
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
    """Run the measurements; print the Markdown section (and write it to --out if given)."""
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
    exe = vegeta()
    sections = []
    with tempfile.TemporaryDirectory(prefix="bench-load-") as tmp:
        work = Path(tmp)
        print("bench_load: generator ...", file=sys.stderr, flush=True)
        fidelity_lines, rows = lognormal(work, args.quick, exe)
        rate_lines, best = rate(work, args.quick, exe)
        generator = [
            "### The generator against vegeta and wrk: the goals",
            "",
            *goals(rows, best),
            "",
            *fidelity_lines,
            "",
            *rate_lines,
            "",
            *added_latency(work, args.quick, exe, best),
            "",
            *profile(work, args.quick),
        ]
        sections.append(generator)
        for step in (fidelity, omission):
            print(f"bench_load: {step.__name__} ...", file=sys.stderr, flush=True)
            sections.append(step(work, args.quick))
    vegeta_version = "12.13.0" if exe else "-"
    header = [
        "## Load stage (`benchmarks/bench_load.py`)",
        "",
        "Is what `stackcheck load` reports the truth? Real `stackcheck load` runs (Locust in processes",
        "of its own) against servers whose latency is known; numbers, never assertions. The load model:",
        "docs/load.md.",
        f"{started:%Y-%m-%d %H:%M} UTC, {os.cpu_count()} cores, Locust {locust}, wrk {wrk_version()}, vegeta "
        f"{vegeta_version}; load "
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
