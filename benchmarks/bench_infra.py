#!/usr/bin/env python3
"""Benchmark the data-layer providers: bring-up of Postgres+Redis per provider, and a warm verify run.

    python benchmarks/bench_infra.py [--runs 3] [--providers docker,local] [--output FILE]

Prints (and optionally writes) a Markdown section for docs/benchmarks.md. The docker provider uses the
images named by STACKCHECK_POSTGRES_IMAGE / STACKCHECK_REDIS_IMAGE (default: the local stackcheck/* images).
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PROFILE = REPO / "tests" / "data" / "profiles" / "both.yaml"
LOCAL_IMAGES = {
    "STACKCHECK_POSTGRES_IMAGE": "stackcheck/postgres:17",
    "STACKCHECK_REDIS_IMAGE": "stackcheck/redis:7",
}
TARGET_S = 30.0


def _environ() -> dict[str, str]:
    env = dict(os.environ)
    for key, value in LOCAL_IMAGES.items():
        env.setdefault(key, value)
    env.setdefault("SC_REDIS_PASSWORD", "bench-only")
    return env


def bring_up(provider: str, env: dict[str, str]) -> tuple[float, float]:
    """Seconds to start Postgres and Redis together (until both accept logins), and to remove them."""
    from stackcheck.infra import ServiceSession
    from stackcheck.profile.models import Profile
    from stackcheck.settings import Settings

    profile = Profile.model_validate({"name": "bench", "postgres": {}, "redis": {}})
    session = ServiceSession(
        provider, profile, ["postgres", "redis"], settings=Settings.from_environ(env), base_dir=REPO
    )  # type: ignore[arg-type]
    started = time.perf_counter()
    try:
        session.start()
        session.postgres()
        session.redis()
        up = time.perf_counter() - started
    finally:
        closing = time.perf_counter()
        session.close()
    return up, time.perf_counter() - closing


def verify_once(env: dict[str, str]) -> tuple[float, int]:
    """Wall time and exit code of `stackcheck verify --suite postgres --suite redis --infra docker`."""
    with tempfile.TemporaryDirectory(prefix="stackcheck-bench-") as out:
        cmd = [
            sys.executable,
            "-m",
            "stackcheck",
            "verify",
            "--profile",
            str(PROFILE),
            "--suite",
            "postgres",
            "--suite",
            "redis",
            "--infra",
            "docker",
            "--report-dir",
            out,
        ]
        started = time.perf_counter()
        done = subprocess.run(cmd, cwd=REPO, env=env, capture_output=True, text=True, check=False)
        return time.perf_counter() - started, done.returncode


def _series(fn: Callable[[], float], runs: int) -> list[float]:
    return [fn() for _ in range(runs)]


def _fmt(values: list[float]) -> str:
    return (
        f"{statistics.median(values):.2f} s (min {min(values):.2f}, max {max(values):.2f}, n={len(values)})"
    )


def main() -> int:
    """Run the benchmark and print the Markdown section."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--providers", default="docker,local")
    parser.add_argument("--output", type=Path)
    args = parser.parse_args()
    env = _environ()
    os.environ.update({k: v for k, v in env.items() if k.startswith(("STACKCHECK_", "SC_"))})
    lines = [
        "## Data-layer services (Postgres + Redis)",
        "",
        f"Measured with `python benchmarks/bench_infra.py --runs {args.runs}` on {platform.node()} "
        f"({os.cpu_count()} CPUs, Python {platform.python_version()}); images "
        f"`{env['STACKCHECK_POSTGRES_IMAGE']}` and `{env['STACKCHECK_REDIS_IMAGE']}`. Medians.",
        "",
        "| measurement | median (min, max) |",
        "|---|---|",
    ]
    for provider in [p.strip() for p in args.providers.split(",") if p.strip()]:
        try:
            bring_up(provider, env)  # warm-up: page cache, first image use
            results = [bring_up(provider, env) for _ in range(args.runs)]
        except Exception as exc:  # a provider that is not available here is reported, not fatal
            lines.append(f"| bring-up, `--infra {provider}` | not available: {exc} |")
            continue
        lines.append(
            f"| bring-up Postgres+Redis in parallel, `--infra {provider}` | {_fmt([r[0] for r in results])} |"
        )
        lines.append(f"| removal of both, `--infra {provider}` | {_fmt([r[1] for r in results])} |")
    verify_once(env)  # warm-up
    walls: list[float] = []
    codes: set[int] = set()
    for _ in range(args.runs):
        wall, code = verify_once(env)
        walls.append(wall)
        codes.add(code)
    verdict = "within" if statistics.median(walls) < TARGET_S else "ABOVE"
    lines.append(
        "| `stackcheck verify --suite postgres --suite redis --infra docker`"
        f" (warm, 23 checks, exit {sorted(codes)}) "
        f"| {_fmt(walls)} — {verdict} the {TARGET_S:g} s target |"
    )
    text = "\n".join(lines) + "\n"
    sys.stdout.write(text)
    if args.output:
        args.output.write_text(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
