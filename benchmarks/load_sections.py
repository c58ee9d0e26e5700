"""The load generator's own tables in ``benchmarks/bench_load.py``: fidelity on a lognormal tail against
the server's log (stackcheck vs vegeta vs the truth), generator-bound rate against wrk and vegeta, the
generator's added latency near its maximum rate, and where its CPU goes (cProfile).

Every number is from the same run, side by side; progress goes to stderr.
"""

from __future__ import annotations

import json
import os
import pstats
import shutil
import subprocess
import sys
from collections import defaultdict
from pathlib import Path
from typing import Any

from benchmarks.load_reference import (
    REPO,
    nginx,
    off,
    stackcheck_load,
    vegeta_attack,
    wrk,
)
from fixtures.truth_server import TruthServer
from stackcheck.load.plan import LoadPlan
from stackcheck.load.stats import LoadStats
from stackcheck.probes.percentile import percentile

__all__ = ["added_latency", "goals", "lognormal", "profile", "rate"]

OURS = "stackcheck load: master + 2 workers"
USERS = {100: 10, 1000: 50}  # paced users per offered rate (8 in flight each: far more than needed)
# vegeta has no ramp: its window drops the same head and tail stackcheck's does (about 2 s and 1 s).
VEGETA_HEAD_S, VEGETA_TAIL_S = 2.0, 1.0


def _log(text: str) -> None:
    print(f"bench_load: {text}", file=sys.stderr, flush=True)


def _pcts(values: list[float]) -> tuple[float, float]:
    return percentile(values, 95), percentile(values, 99)


def _stackcheck_fidelity(work: Path, srv: TruthServer, rate: int, seconds: int, tag: str) -> dict[str, Any]:
    users = USERS[rate]
    load = {"users": users, "spawn_rate": users, "duration_s": seconds, "target_rps": rate}
    srv.reset()
    stats, cpu, _ = stackcheck_load(
        work, f"lognormal-{tag}", srv.url, {"p95_ms": 10_000}, {**load, "endpoints": [{"path": "/api"}]}
    )
    window = stats.window
    assert window is not None
    start = stats.started_at.timestamp()
    truth = srv.truth(start + window.start_s, start + window.end_s)
    return {
        "generator": "stackcheck load (master + 2 workers)",
        "n": window.requests,
        "truth": _pcts(truth),
        "measured": (stats.percentile(95), stats.percentile(99)),
        "late": f"{window.late_sends} ({window.late_beyond_limit} > 10 ms), "
        f"lateness {window.lateness_ms:g} ms",
        "cpu_us": 1e6 * cpu["cpu_s"] / max(stats.requests, 1),
        "window": f"{window.start_s:g}-{window.end_s:g} s ({window.basis})",
    }


def _vegeta_fidelity(exe: Path, srv: TruthServer, rate: int, seconds: int) -> dict[str, Any]:
    srv.reset()
    rows, cpu = vegeta_attack(exe, srv.url + "/api", seconds, rate)
    lo, hi = rows[0][0] + VEGETA_HEAD_S, rows[-1][0] - VEGETA_TAIL_S
    inside = [ms for t, ms, code in rows if lo <= t < hi and code == 200]
    return {
        "generator": "vegeta (constant rate)",
        "n": len(inside),
        "truth": _pcts(srv.truth(lo, hi)),
        "measured": _pcts(inside),
        "late": "-",
        "cpu_us": 1e6 * cpu["cpu_s"] / max(len(rows), 1),
        "window": f"{VEGETA_HEAD_S:g}-{hi - rows[0][0]:.0f} s",
    }


def lognormal(work: Path, quick: bool, exe: Path | None) -> tuple[list[str], list[dict[str, Any]]]:
    """Fidelity at 100 and 1,000 req/s offered against the truth server's own log; and every row."""
    seconds, rounds = (10, 1) if quick else (20, 2)
    lines = [
        "### Fidelity on a long tail, against the server's own log",
        "",
        "`fixtures/truth_server.py` sleeps a lognormal service time per request (median 30 ms, sigma 0.6,",
        "seeded) and logs the time it measured itself (the truth). Each generator's p95/p99 is compared with",
        "the truth of the requests that arrived in that generator's gated window: for stackcheck its steady",
        "window (the ramp, 1 s warm-up and the last second left out), for vegeta the same head and tail.",
        f"Paced, {seconds} s per run, generators alternating on the same server; error: measured over",
        "truth, minus one.",
        "",
        "| offered | round | generator | window (requests) | truth p95 | p95 | error | truth p99 | p99 | "
        "error | late sends in the window | CPU µs / request |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    every: list[dict[str, Any]] = []
    with TruthServer(median_ms=30, sigma=0.6, seed=7) as srv:
        for rate in (100, 1000):
            for round_ in range(1, rounds + 1):
                _log(f"lognormal {rate} req/s round {round_}")
                rows = [_stackcheck_fidelity(work, srv, rate, seconds, f"{rate}-{round_}")]
                if exe is not None:
                    rows.append(_vegeta_fidelity(exe, srv, rate, seconds))
                for r in rows:
                    (t95, t99), (m95, m99) = r["truth"], r["measured"]
                    every.append({**r, "rate": rate, "err": (abs(m95 / t95 - 1), abs(m99 / t99 - 1))})
                    lines.append(
                        f"| {rate:,} req/s | {round_} | {r['generator']} | {r['window']} ({r['n']:,}) | "
                        f"{t95:.1f} ms | {m95:.1f} ms | {off(m95, t95)} | {t99:.1f} ms | {m99:.1f} ms | "
                        f"{off(m99, t99)} | {r['late']} | {r['cpu_us']:.0f} |"
                    )
    if exe is None:
        lines += ["", "vegeta could not be built (no Go toolchain): its rows are missing."]
    return lines, every


def goals(fidelity: list[dict[str, Any]], best: dict[str, float]) -> list[str]:
    """The issue's goals, met or not, from this run's rows."""
    lines = ["| goal | stackcheck | vegeta | met |", "|---|---|---|---|"]
    for rate_ in (100, 1000):
        for name, index in (("p95", 0), ("p99", 1)):
            ours = [r["err"][index] for r in fidelity if r["rate"] == rate_ and r["late"] != "-"]
            theirs = [r["err"][index] for r in fidelity if r["rate"] == rate_ and r["late"] == "-"]
            worst = max(ours) if ours else float("nan")
            ref = max(theirs) if theirs else float("nan")
            met = "yes" if worst <= 0.03 else "no"
            lines.append(
                f"| {name} within 3 % of the truth at {rate_:,} req/s (worst round) | {worst:.1%} | "
                f"{ref:.1%} | {met} |"
            )
    ours_rps = best.get(OURS, 0.0)
    vegeta_rps = best.get("vegeta -rate=0 -workers=50", 0.0)
    if vegeta_rps:
        ratio = ours_rps / vegeta_rps
        lines.append(
            f"| generator-bound rate >= 0.5 x vegeta's (best round) | {ours_rps:,.0f} req/s | "
            f"{vegeta_rps:,.0f} req/s | {'yes' if ratio >= 0.5 else 'no'} ({ratio:.2f} x) |"
        )
    return lines


def _closed(work: Path, url: str, seconds: int, procs: str, tag: str) -> tuple[LoadStats, dict[str, float]]:
    load = {"users": 50, "spawn_rate": 50, "duration_s": seconds + 2, "model": "closed"}
    stats, cpu, _ = stackcheck_load(
        work, tag, url, {"rps": 1}, {**load, "endpoints": [{"path": "/"}]}, "--processes", procs
    )
    return stats, cpu


def rate(work: Path, quick: bool, exe: Path | None) -> tuple[list[str], dict[str, float]]:
    """Generator-bound rate against one nginx worker: wrk, vegeta, stackcheck; and the best of each."""
    seconds, rounds = (5, 1) if quick else (10, 2)
    best: dict[str, float] = defaultdict(float)
    lines = [
        "### Generator-bound rate against one nginx worker",
        "",
        f"nginx (one worker, `return 200`) on a free loopback port; {seconds} s per generator, 50",
        "connections / workers / users, closed loop (as fast as answers come), alternating in the same run;",
        "the server shares the two cores. stackcheck's rate is over its steady window; its CPU per request",
        "is the Locust processes' own (the whole command's, start-up included, in brackets).",
        "",
        "| round | generator | req/s | ratio to wrk | ratio to vegeta | CPU µs / request |",
        "|---|---|---|---|---|---|",
    ]
    if shutil.which("nginx") is None or shutil.which("wrk") is None:
        return [*lines[:2], "nginx or wrk is not installed (`apt-get install -y nginx wrk`): skipped."], best
    with nginx(work) as (url, _pid):
        for round_ in range(1, rounds + 1):
            _log(f"rate round {round_}")
            got: list[tuple[str, float, str]] = []
            wrk_rps, wrk_cpu = wrk(url + "/", seconds, 50)
            got.append(("wrk -t2 -c50", wrk_rps, f"{1e6 * wrk_cpu['cpu_s'] / (wrk_rps * seconds):.0f}"))
            vegeta_rps = 0.0
            if exe is not None:
                rows, cpu = vegeta_attack(exe, url + "/", seconds, 0, workers=50)
                vegeta_rps = len(rows) / seconds
                got.append(
                    ("vegeta -rate=0 -workers=50", vegeta_rps, f"{1e6 * cpu['cpu_s'] / len(rows):.0f}")
                )
            for procs, label in (
                ("2", OURS),
                ("0", "stackcheck load: 1 process"),
            ):
                stats, cpu = _closed(work, url, seconds, procs, f"rate-{procs}-{round_}")
                own = sum(g.cpu_s for g in stats.generator) / max(stats.requests, 1)
                got.append(
                    (label, stats.steady_rps, f"{1e6 * own:.0f} ({1e6 * cpu['cpu_s'] / stats.requests:.0f})")
                )
            for label, rps, per in got:
                best[label] = max(best[label], rps)
                to_vegeta = f"{rps / vegeta_rps:.2f} x" if vegeta_rps else "-"
                lines.append(
                    f"| {round_} | {label} | {rps:,.0f} | {rps / wrk_rps:.2f} x | {to_vegeta} | {per} |"
                )
    return lines, best


def _paced(work: Path, url: str, seconds: int, offered: float, tag: str) -> tuple[LoadStats, int]:
    load = {"users": 50, "spawn_rate": 50, "duration_s": seconds, "target_rps": round(offered)}
    stats, _cpu, code = stackcheck_load(
        work, tag, url, {"p95_ms": 10_000}, {**load, "endpoints": [{"path": "/"}]}
    )
    return stats, code


def _vegeta_row(exe: Path, url: str, seconds: int, share: float, offered: float) -> str:
    rows, _ = vegeta_attack(exe, url + "/", seconds, round(offered))
    lo, hi = rows[0][0] + VEGETA_HEAD_S, rows[-1][0] - VEGETA_TAIL_S
    inside = [ms for t, ms, _c in rows if lo <= t < hi]
    return (
        f"| vegeta | {share:.0%} | {round(offered):,} req/s | {percentile(inside, 50):.2f} ms | "
        f"{percentile(inside, 95):.2f} ms | {percentile(inside, 99):.2f} ms | - |"
    )


def added_latency(work: Path, quick: bool, exe: Path | None, best: dict[str, float]) -> list[str]:
    """The generators' own latency against nginx (whose service time is ~0.1 ms) near their paced maxima."""
    seconds = 6 if quick else 10
    lines = [
        "### The generator's own added latency near its maximum rate",
        "",
        "Each generator's maximum *paced* rate is what it completes when offered twice its closed-loop best",
        "above (50 users, 8 in flight each, for stackcheck; at most 200 workers for vegeta); then it is",
        "paced at 50 %, 80 % and 95 % of that against the same nginx, whose service time is a fraction of a",
        "millisecond: the latency is what the generator adds (its scheduler, send and receive, loopback).",
        "stackcheck's counts from the scheduled send (its lateness included); vegeta's from its actual",
        "send.",
        "",
        "| generator | share of its max | offered | p50 | p95 | p99 | late sends in the window (lateness) |",
        "|---|---|---|---|---|---|---|",
    ]
    closed_ours, closed_theirs = best.get(OURS, 0.0), best.get("vegeta -rate=0 -workers=50", 0.0)
    if not closed_ours or shutil.which("nginx") is None:
        return [*lines[:2], "no maximum rate was measured: skipped."]
    with nginx(work) as (url, _pid):
        _log("paced maxima")
        over, _ = _paced(work, url, seconds, 2 * closed_ours, "paced-max")
        ours = over.steady_rps
        theirs = 0.0
        if exe is not None and closed_theirs:
            rows, _ = vegeta_attack(exe, url + "/", seconds, round(2 * closed_theirs))
            theirs = len(rows) / seconds
        lines.insert(-2, "")
        lines.insert(
            -3,
            f"Maximum paced rates in this run: stackcheck load (master + 2 workers) {ours:,.0f} req/s, "
            f"vegeta {theirs:,.0f} req/s.",
        )
        for share in (0.5, 0.8, 0.95):
            _log(f"added latency at {share:.0%}")
            stats, code = _paced(work, url, seconds, share * ours, f"added-{share}")
            p, w = stats.latency_ms.percentiles, stats.window
            late = f"{w.late_sends:,} of {w.requests:,} ({w.lateness_ms:g} ms)" if w else "-"
            verdict = " — gate: error (late)" if code == 3 else ""
            lines.append(
                f"| stackcheck load (master + 2 workers) | {share:.0%} | {round(share * ours):,} req/s | "
                f"{p['p50']:.2f} ms | {p['p95']:.2f} ms | {p['p99']:.2f} ms | {late}{verdict} |"
            )
            if exe is not None and theirs:
                lines.append(_vegeta_row(exe, url, seconds, share, share * theirs))
    return lines


def _group(filename: str) -> str:
    for marker, name in (
        ("geventhttpclient", "geventhttpclient (HTTP parse, pool)"),
        ("/gevent/", "gevent (hub, sockets, greenlets)"),
        ("/locust/", "Locust (users, scheduling, runner)"),
        ("stackcheck/load", "stackcheck recorder / histograms"),
        ("locustfile", "locustfile (send, check)"),
    ):
        if marker in filename:
            return name
    return "socket syscalls (built-ins)" if filename == "~" else "other (stdlib, msgpack, ...)"


def profile(work: Path, quick: bool) -> list[str]:
    """Where one Locust process's CPU goes, closed loop against nginx (cProfile, by package)."""
    seconds = 5 if quick else 8
    lines = [
        "### Where the generator's CPU goes",
        "",
        f"One Locust process under cProfile, closed loop, 50 users against nginx for {seconds} s (profiling",
        "slows it down; the shares are what matter). Own time by package:",
        "",
        "| where | share of CPU |",
        "|---|---|",
    ]
    if shutil.which("nginx") is None:
        return [*lines[:2], "nginx is not installed: skipped."]
    with nginx(work) as (url, _pid):
        plan = LoadPlan(
            profile="profile", target=url, timeout_s=5,
            endpoints=({"method": "GET", "path": "/", "name": "GET /", "weight": 1},),  # type: ignore[arg-type]
            model="closed", users=50, spawn_rate=50, duration_s=seconds, target_rps=None,
            max_requests=10**7, percentiles=(50.0, 95.0, 99.0), workers=0, worker_wait_s=10,
            stats_path=str(work / "profile-stats.json"), deadline_s=120,
        )  # fmt: skip
        plan_path = work / "profile-plan.json"
        plan_path.write_text(plan.model_dump_json(by_alias=True))
        out = work / "profile.out"
        argv = [sys.executable, "-m", "cProfile", "-o", str(out), "-m", "locust", "-f"]
        argv += [str(REPO / "loadtests" / "locustfile.py"), "--stackcheck-plan", str(plan_path)]
        argv += ["--headless", "--only-summary", "-u", "50", "-r", "50"]
        env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO / "src"), str(REPO)])}
        subprocess.run(argv, cwd=REPO, env=env, capture_output=True, timeout=seconds + 120, check=False)
    requests = json.loads((work / "profile-stats.json").read_text())["requests"]
    stats = pstats.Stats(str(out))
    by_group: dict[str, float] = defaultdict(float)
    for (filename, _line, _name), row in stats.stats.items():  # type: ignore[attr-defined]
        by_group[_group(filename)] += row[2]
    total = sum(by_group.values()) or 1.0
    for group, own in sorted(by_group.items(), key=lambda kv: -kv[1]):
        lines.append(f"| {group} | {own / total:.0%} |")
    lines += [
        "",
        f"{requests:,} requests; {1e6 * total / max(requests, 1):.0f} µs of profiled CPU per request.",
    ]
    return lines
