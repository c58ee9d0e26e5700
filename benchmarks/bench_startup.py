#!/usr/bin/env python3
"""Benchmark the command line's start-up: the light commands against ``python -c "import pydantic, yaml"``.

    python benchmarks/bench_startup.py [--rounds 7]

Every round runs each command once, in a fresh interpreter, interleaved (so a busy moment of the shared
machine falls on all of them alike); the table gives the median wall time of each and its ratio to the
baseline's median. Issue 17's goal: each within 2x of the baseline. Prints one Markdown section on stdout.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PROFILE = REPO / "policies" / "profiles" / "demo.yaml"
BASELINE = "python -c 'import pydantic, yaml'"
COMMANDS: dict[str, list[str]] = {
    BASELINE: [sys.executable, "-c", "import pydantic, yaml"],
    "stackcheck --version": [sys.executable, "-m", "stackcheck", "--version"],
    "stackcheck --help": [sys.executable, "-m", "stackcheck", "--help"],
    "stackcheck checks": [sys.executable, "-m", "stackcheck", "checks"],
    "stackcheck profile validate demo.yaml": [
        sys.executable, "-m", "stackcheck", "profile", "validate", str(PROFILE),
    ],
    "stackcheck verify --help": [sys.executable, "-m", "stackcheck", "verify", "--help"],
}  # fmt: skip


def _once(argv: list[str]) -> float:
    """One run's wall time; a failing command stops the benchmark (its numbers would mean nothing)."""
    started = time.perf_counter()
    done = subprocess.run(argv, capture_output=True, timeout=120, check=False, cwd=REPO)
    took = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} exited {done.returncode}: {done.stderr[-300:]!r}")
    return took


def main() -> int:
    """Measure, interleaved, and print the section."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()
    times: dict[str, list[float]] = {name: [] for name in COMMANDS}
    for round_no in range(args.rounds):
        print(f"round {round_no + 1}/{args.rounds}", file=sys.stderr, flush=True)
        for name, argv in COMMANDS.items():
            times[name].append(_once(argv))
    base = statistics.median(times[BASELINE])
    lines = [
        "## Start-up of the command line (`benchmarks/bench_startup.py`)",
        "",
        f"Median wall time of {args.rounds} interleaved rounds, each command in a fresh interpreter; the",
        "goal (issue 17) is each light command within 2x of importing pydantic and PyYAML.",
        "",
        "| command | median s | min s | x baseline | within 2x |",
        "|---|---:|---:|---:|---|",
    ]
    for name, runs in times.items():
        median = statistics.median(runs)
        ratio = median / base if base else float("nan")
        verdict = "baseline" if name == BASELINE else ("yes" if ratio <= 2.0 else "no")
        lines.append(f"| `{name}` | {median:.3f} | {min(runs):.3f} | {ratio:.1f} | {verdict} |")
    lines += [
        "",
        "`checks` and `profile validate` build the profile's pydantic models (44 classes; the catalog checks",
        "each check's profile keys against them), which is most of their time (`python -X importtime -m",
        "stackcheck checks`: `stackcheck.profile.models`). `verify`, `run`, `scan` and `load` import their",
        "engines only once their arguments are parsed.",
    ]
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
