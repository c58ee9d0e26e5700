"""Benchmark: the scan stage on a generated repository of realistic size, against its scanners by hand.

``python benchmarks/bench_scan.py [--rounds N] [--scale F]`` generates the corpus of
``benchmarks/scan_corpus.py`` (a git repository: 300 Terraform files, 100 Dockerfiles, 100 compose files,
200 Kubernetes manifests, 50 workflows, 300 Python modules at scale 1) and measures, alternating in each
round of the same run:

- each scanner alone, as a user runs it by hand: its own defaults (checkov's forked workers, detect-secrets
  on every core), the same inputs the stage gives it;
- the sequence: those same runs one after another (their wall time as a whole);
- the stage cold: ``run_scan`` with an empty result cache (planning, git, parsing and judging included);
- the stage warm: ``run_scan`` again on the unchanged tree (a CI re-run: every scanner from the cache).

Goals (issue 17): cold stage <= 1.10x the slowest scanner alone and below the sequence in every round; warm
<= 0.2x cold. With py-spy on PATH (``nox -s bench`` installs it; ``--no-where`` skips it) each of the stage's
jobs runs alone once more under py-spy, and where its CPU went is summarised (:mod:`scan_profile`). It prints
a Markdown section for docs/benchmarks.md. Numbers, never assertions.
"""

from __future__ import annotations

import argparse
import dataclasses
import functools
import os
import resource
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

from scan_corpus import generate  # the sibling scripts: benchmarks/ is on sys.path when this runs
from scan_profile import Where, py_spy, py_spy_argv, summarise

from stackcheck.profile import load_profile
from stackcheck.report.model import Finding
from stackcheck.scan.context import ScanContext
from stackcheck.scan.engine import _plan_all, run_scan
from stackcheck.scan.findings import ToolOutcome
from stackcheck.scan.runner import Job, JobResult, run_jobs
from stackcheck.settings import Settings

#: Scanners py-spy cannot profile (Go programs).
NOT_PYTHON = frozenset({"actionlint", "trivy"})
#: Reads a job's output into the scanner's outcomes (its findings among them).
Reader = Callable[[JobResult], Sequence[ToolOutcome]]


def _child_cpu() -> float:
    """CPU seconds (user + system) of the ended child processes so far (the scanners and their children)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


PROFILE = "name: corpus\nscan:\n  iac_paths: [.]\n  code_paths: [app]\n  secret_paths: [.]\n"


def _alone_jobs(profile_path: Path, root: Path, settings: Settings, work: Path) -> list[tuple[Job, Reader]]:
    """The stage's jobs on the corpus as each tool runs by hand (its own parallelism defaults), each with
    the reader of its output: the findings of the tools alone are compared with the stage's."""
    loaded = load_profile(profile_path)
    ctx = ScanContext.build(loaded.profile, root, work, settings, budget=False)
    pairs: list[tuple[Job, Reader]] = []
    for step in _plan_all(ctx):
        job = step.planned.job
        if job is not None:
            pairs.append((job, functools.partial(step.scanner.parse, ctx, step.planned)))
    return pairs


def _stage_jobs(profile_path: Path, root: Path, settings: Settings, folder: Path) -> list[Job]:
    """The jobs the stage itself runs (each within its core budget), for the profile of their CPU."""
    loaded = load_profile(profile_path)
    ctx = ScanContext.build(loaded.profile, root, folder / "work-stage", settings, budget=True)
    return [s.planned.job for s in _plan_all(ctx) if s.planned.job is not None]


def _keys(findings: Iterable[Finding]) -> set[tuple[object, ...]]:
    """What a finding says, for comparing runs: tool, rule, file, line, status, message."""
    return {(f.tool, f.rule_id, f.file, f.line, f.status, f.message) for f in findings}


def _stage(
    profile_path: Path, root: Path, settings: Settings, cache: Path
) -> tuple[float, list[str], set[tuple[object, ...]]]:
    """One stage run's wall time, its timeline (each job: start offset and duration) and its findings."""
    loaded = load_profile(profile_path)
    start = time.monotonic()
    timeline: list[str] = []

    def heard(result: JobResult, _outcomes: object) -> None:
        end = time.monotonic() - start
        how = "cache" if result.cached else f"{result.duration_s:.1f} s"
        timeline.append(f"{result.job.name} ({how}, parsed by {end:.1f} s)")

    run = run_scan(loaded.profile, root, settings, on_job=heard, cache_dir=cache)
    elapsed = time.monotonic() - start
    errors = [r.message for r in run.results if r.status == "error"]
    if errors:
        raise SystemExit(f"bench: a scanner could not run: {errors[0]}")
    return elapsed, timeline, _keys(run.findings)


def main() -> int:
    """Measure and print the section."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--no-where", action="store_true", help="skip the py-spy profile of each scanner")
    args = parser.parse_args()
    settings = Settings.from_environ()  # a command line of its own: the environment is read here, once
    rows: list[dict[str, float]] = []
    timelines: list[list[str]] = []
    with tempfile.TemporaryDirectory(prefix="bench-scan-") as tmp:
        folder = Path(tmp)
        corpus = generate(folder / "corpus", scale=args.scale)
        profile = folder / "profile.yaml"
        profile.write_text(PROFILE)
        pairs = _alone_jobs(profile, corpus.root, settings, folder / "work")
        jobs = [job for job, _ in pairs]
        _stage(profile, corpus.root, settings, folder / "cache-warmup")  # file caches, .pyc
        alone: set[tuple[object, ...]] = set()
        same: list[str] = []
        for n in range(args.rounds):
            row: dict[str, float] = {}
            seq_start = time.monotonic()
            for job, read in pairs:
                cpu = _child_cpu()
                (result,) = run_jobs([job], settings.environ)
                if result.failure:
                    raise SystemExit(f"bench: {job.name} failed alone: {result.failure}")
                if n == 0:
                    alone |= _keys(f for outcome in read(result) for f in outcome.findings)
                row[job.tool] = result.duration_s
                row[f"{job.tool} cpu"] = _child_cpu() - cpu
            row["sequence"] = time.monotonic() - seq_start
            cache = folder / f"cache-{n}"
            cpu = _child_cpu()
            row["cold"], timeline, cold = _stage(profile, corpus.root, settings, cache)
            row["cold cpu"] = _child_cpu() - cpu
            row["warm"], _, warm = _stage(profile, corpus.root, settings, cache)
            same.append(_same(alone, cold, warm))
            rows.append(row)
            timelines.append(timeline)
            print(f"round {n + 1}: " + ", ".join(f"{k} {v:.2f}" for k, v in row.items()), file=sys.stderr)
        where = (
            {}
            if args.no_where
            else _where(_stage_jobs(profile, corpus.root, settings, folder), settings, folder)
        )
    tools = [j.tool for j in jobs]
    _print(args, corpus.counts, tools, rows, timelines, where, same)
    return 0


def _same(
    alone: set[tuple[object, ...]], cold: set[tuple[object, ...]], warm: set[tuple[object, ...]]
) -> str:
    """Whether the stage (cold and warm) found what the scanners alone found, in words."""
    if alone == cold == warm:
        return f"identical ({len(cold)})"
    return (
        f"DIFFERENT: alone {len(alone)}, cold {len(cold)}, warm {len(warm)} "
        f"({len(alone ^ cold)} differ alone/cold, {len(cold ^ warm)} cold/warm)"
    )


def _where(jobs: list[Job], settings: Settings, folder: Path) -> dict[str, Where]:
    """Each of the stage's jobs once more, alone, under py-spy: where its CPU went."""
    program = py_spy()
    if program is None:
        print("bench: py-spy is not on PATH: no profile of the scanners", file=sys.stderr)
        return {}
    found: dict[str, Where] = {}
    for job in jobs:
        if job.tool in NOT_PYTHON:
            continue
        raw = folder / f"{job.tool}.pyspy.txt"
        spied = dataclasses.replace(
            job,
            name=f"py-spy {job.name}",
            argv=py_spy_argv(program, raw, job.argv),
            ok_codes=frozenset(range(256)),
        )
        (result,) = run_jobs([spied], settings.environ)
        if result.failure or not raw.is_file():
            print(f"bench: py-spy on {job.tool}: {result.failure or result.stderr[-300:]}", file=sys.stderr)
            continue
        found[job.tool] = summarise(raw)
    return found


def _print(
    args: argparse.Namespace,
    counts: dict[str, int],
    tools: list[str],
    rows: list[dict[str, float]],
    timelines: list[list[str]],
    where: dict[str, Where],
    same: list[str],
) -> None:
    med = {k: statistics.median(r[k] for r in rows) for k in rows[0]}
    slowest = max(tools, key=med.__getitem__)
    per_round = [
        (r["cold"] / max(r[t] for t in tools), r["cold"] / r["sequence"], r["warm"] / r["cold"]) for r in rows
    ]
    below = sum(1 for r in rows if r["cold"] < r["sequence"])
    kinds = ", ".join(f"{v} {k}" for k, v in counts.items() if k != "ignored")
    print("## Scan stage (`benchmarks/bench_scan.py`)")
    print()
    print(f"On the generated corpus (`benchmarks/scan_corpus.py`, scale {args.scale:g}: {kinds} files, a git")
    print("repository with ignored junk), alternating in each of the same run's rounds after a warm-up: each")
    print(
        "scanner alone with its own defaults (as run by hand), those runs in sequence, the stage cold (empty"
    )
    print("result cache) and warm (unchanged tree: a CI re-run). Goals: cold <= 1.10x the slowest scanner")
    print("alone and below the sequence in every round; warm <= 0.2x cold.")
    print()
    print(f"| median of {args.rounds} | wall | scanners' CPU (user + sys) |")
    print("|---|---|---|")
    for t in tools:
        print(f"| {t} alone | {med[t]:.2f} s | {med[t + ' cpu']:.2f} s |")
    print(f"| sequence ({' + '.join(tools)}) | {med['sequence']:.2f} s | |")
    print(f"| **stage cold** | **{med['cold']:.2f} s** | {med['cold cpu']:.2f} s |")
    print(f"| **stage warm** | **{med['warm']:.2f} s** | |")
    print()
    print("| round | cold / slowest alone | cold / sequence | warm / cold |")
    print("|---|---|---|---|")
    for n, (a, b, c) in enumerate(per_round, 1):
        print(f"| {n} | {a:.2f}x | {b:.2f}x | {c:.2f}x |")
    ratios = [p[0] for p in per_round]
    print()
    print(
        f"Slowest alone: {slowest}. Cold stage / slowest alone: median {statistics.median(ratios):.2f}x "
        f"(max {max(ratios):.2f}x); below the sequence in {below} of {len(rows)} rounds; warm / cold: median "
        f"{statistics.median(p[2] for p in per_round):.2f}x."
    )
    cores = len(os.sched_getaffinity(0))
    bound = med["cold cpu"] / cores
    print()
    print(
        f"Lower bound of the cold stage on {cores} cores: its scanners' CPU / cores = {bound:.2f} s, "
        f"{bound / med[slowest]:.2f}x the slowest scanner alone"
        + (
            " (the 1.10x goal is out of reach: the scanners' own work does not fit)."
            if bound > 1.1 * med[slowest]
            else "."
        )
    )
    print()
    print(
        "Findings (tool, rule, file, line, status, message) of the stage, cold and warm, against those of "
        f"the scanners alone with their own defaults, per round: {'; '.join(same)}."
    )
    print()
    print("Where the cold stage's time went (last round; each job's run and when its output was read):")
    print(", ".join(timelines[-1]) + ".")
    if where:
        print()
        print("Where each scanner's CPU goes in the stage (its budgeted run, alone, under py-spy at 100 Hz;")
        print("child processes included; a sample counts for module imports when any frame is importing,")
        print("else for the innermost installed package on its stack, the standard library for its caller):")
        print()
        for tool, found in where.items():
            print(found.line(tool))


if __name__ == "__main__":
    raise SystemExit(main())
