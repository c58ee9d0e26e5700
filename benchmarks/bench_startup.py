#!/usr/bin/env python3
"""Benchmark the command line's start-up: the light commands against ``python -c "import pydantic, yaml"``.

    python benchmarks/bench_startup.py [--rounds 7]

Every round runs each command once, in a fresh interpreter, interleaved (so a busy moment of the shared
machine falls on all of them alike); the table gives the median wall time of each and its ratio to the
baseline's median. Issue 17's goal: each within 2x of the baseline. stackcheck's modules are byte-compiled
first, as installing the wheel does (an editable install under PYTHONDONTWRITEBYTECODE=1 would compile
every module from source on every run; the baseline's site-packages are compiled). Then ``profile
validate``'s time is split into its phases, measured in one fresh interpreter per round. Prints one
Markdown section on stdout.
"""

from __future__ import annotations

import argparse
import compileall
import json
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
    "stackcheck scan --help": [sys.executable, "-m", "stackcheck", "scan", "--help"],
    "stackcheck run --help": [sys.executable, "-m", "stackcheck", "run", "--help"],
}  # fmt: skip
#: The light commands issue 17 names (the others are shown, not gated).
GOALS = (
    "stackcheck --version",
    "stackcheck --help",
    "stackcheck checks",
    "stackcheck profile validate demo.yaml",
)

# `profile validate`'s phases, in one fresh interpreter: each line's time is what it adds to the ones above.
PHASES = f"""
import json, time
t = [time.perf_counter()]
import argparse, pydantic, yaml; t.append(time.perf_counter())
import pydantic.main, pydantic.fields, pydantic.types; t.append(time.perf_counter())
import stackcheck.profile.models; t.append(time.perf_counter())
import stackcheck.catalog, stackcheck.claims; t.append(time.perf_counter())
from pydantic.plugin._loader import get_plugins; list(get_plugins()); t.append(time.perf_counter())
from pathlib import Path
from stackcheck.profile import loader
data, _, _ = loader._resolve(Path({str(PROFILE)!r}), ()); t.append(time.perf_counter())
profile = loader.Profile.model_validate(data); t.append(time.perf_counter())
from stackcheck.claims import claim_problems; claim_problems(profile); t.append(time.perf_counter())
print(json.dumps([b - a for a, b in zip(t, t[1:])]))
"""
PHASE_NAMES = (
    "argparse, `import pydantic, yaml` (the baseline's imports)",
    "pydantic's model machinery (BaseModel, fields, types)",
    "the profile's model classes (44, schema deferred)",
    "the catalog and the claims rules",
    "pydantic's plugin lookup (installed distributions' entry points)",
    "reading the YAML (libyaml), positions, bounds",
    "building the profile's validator and validating",
    "the claims' references",
)


def _once(argv: list[str]) -> float:
    """One run's wall time; a failing command stops the benchmark (its numbers would mean nothing)."""
    started = time.perf_counter()
    done = subprocess.run(argv, capture_output=True, timeout=120, check=False, cwd=REPO)
    took = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} exited {done.returncode}: {done.stderr[-300:]!r}")
    return took


def _phases() -> list[float]:
    done = subprocess.run(
        [sys.executable, "-c", PHASES], capture_output=True, text=True, timeout=120, check=True, cwd=REPO
    )
    phases: list[float] = json.loads(done.stdout.strip().splitlines()[-1])
    return phases


def main() -> int:
    """Measure, interleaved, and print the section."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=7)
    args = parser.parse_args()
    compileall.compile_dir(str(REPO / "src" / "stackcheck"), quiet=1)
    times: dict[str, list[float]] = {name: [] for name in COMMANDS}
    phases: list[list[float]] = []
    for round_no in range(args.rounds):
        print(f"round {round_no + 1}/{args.rounds}", file=sys.stderr, flush=True)
        for name, argv in COMMANDS.items():
            times[name].append(_once(argv))
        phases.append(_phases())
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
        if name == BASELINE:
            verdict = "baseline"
        elif name in GOALS:
            verdict = "yes" if ratio <= 2.0 else "no"
        else:
            verdict = "(not a goal) " + ("yes" if ratio <= 2.0 else "no")
        lines.append(f"| `{name}` | {median:.3f} | {min(runs):.3f} | {ratio:.1f} | {verdict} |")
    medians = [statistics.median(p[i] for p in phases) * 1000 for i in range(len(PHASE_NAMES))]
    lines += [
        "",
        "Where `profile validate` spends its time (median of the rounds, one fresh interpreter each, the",
        "interpreter's own start left out):",
        "",
        "| phase | ms |",
        "|---|---:|",
        *(f"| {name} | {ms:.1f} |" for name, ms in zip(PHASE_NAMES, medians, strict=True)),
        f"| **total** | **{sum(medians):.1f}** |",
        "",
        "`checks` and the `--help` of every command build no pydantic model: the catalog is plain frozen",
        "dataclasses (its profile keys are checked when a run starts and by the catalog's tests), and each",
        "stage's options live in a light module (`scan/args.py`, `load/args.py`, `run_args.py`,",
        "`adr/args.py`); the engines are imported once the arguments are parsed. `profile validate` has to",
        "build the profile's models: their classes and validator are most of what it adds to the baseline.",
    ]
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
