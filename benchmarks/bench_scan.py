"""Benchmark: the scan stage's wall time against its slowest scanner run alone, in the same session.

``python benchmarks/bench_scan.py [--rounds N]`` scans fixtures/iac (checkov, and actionlint on its
workflows: the two share scan.iac_paths, so they are timed together), fixtures/refservice and src/stackcheck
(bandit), fixtures/iac (detect-secrets) and a local image (trivy) — first all scanners together (the stage),
then each part alone with the same inputs — and prints a Markdown table for docs/benchmarks.md.
Target: stage <= 1.2x the slowest scanner alone. Numbers, never assertions: the machine is shared.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import tempfile
import time
from pathlib import Path

from stackcheck.profile import load_profile
from stackcheck.scan.engine import run_scan
from stackcheck.settings import Settings

ROOT = Path(__file__).resolve().parents[1]
IMAGE = "stackcheck/redis:8"

PARTS = {
    "checkov": "  iac_paths: [{root}/fixtures/iac]\n",
    "bandit": "  code_paths: [{root}/fixtures/refservice, {root}/src/stackcheck]\n",
    "detect-secrets": "  secret_paths: [{root}/fixtures/iac]\n",
    "trivy": "  images: [" + IMAGE + "]\n",
}


def _image_available() -> bool:
    probe = subprocess.run(["docker", "image", "inspect", IMAGE], capture_output=True, check=False)
    return probe.returncode == 0


def _time(parts: list[str], folder: Path, settings: Settings) -> float:
    body = "".join(PARTS[p].format(root=ROOT) for p in parts)
    if "detect-secrets" not in parts:
        body += "  secret_paths: []\n"
    profile = folder / f"bench-{'-'.join(parts)}.yaml"
    profile.write_text(f"name: bench\nscan:\n{body}")
    loaded = load_profile(profile)
    start = time.monotonic()
    run = run_scan(loaded.profile, folder, settings)
    elapsed = time.monotonic() - start
    errors = [r.message for r in run.results if r.status == "error"]
    if errors:
        raise SystemExit(f"bench: a scanner could not run: {errors[0]}")
    return elapsed


def main() -> int:
    """Measure and print the table."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    settings = Settings.from_environ()  # a command line of its own: the environment is read here, once
    tools = list(PARTS) if _image_available() else [t for t in PARTS if t != "trivy"]
    stage: list[float] = []
    alone: dict[str, list[float]] = {t: [] for t in tools}
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        _time(tools, folder, settings)  # warm-up: file caches, trivy's layer cache
        for _ in range(args.rounds):
            stage.append(_time(tools, folder, settings))
            for t in tools:
                alone[t].append(_time([t], folder, settings))
    med = {t: statistics.median(v) for t, v in alone.items()}
    slowest = max(med, key=med.__getitem__)
    ratio = statistics.median(stage) / med[slowest]
    print("## Scan stage (`benchmarks/bench_scan.py`)")
    print()
    print("`run_scan` with every scanner (the stage: at most one scanner per core, the slowest first)")
    print(
        "against each scanner alone on the same inputs, alternating in the same run, after a warm-up round."
    )
    print("Target: the stage within 1.2x of its slowest scanner alone.")
    print()
    print(f"| scanners | stage wall (median of {args.rounds}) | slowest alone | sum alone | ratio |")
    print("|---|---|---|---|---|")
    print(
        f"| {', '.join(tools)} | {statistics.median(stage):.2f} s | {slowest} {med[slowest]:.2f} s"
        f" | {sum(med.values()):.2f} s | {ratio:.2f}x |"
    )
    print()
    print("alone: " + ", ".join(f"{t} {v:.2f} s" for t, v in med.items()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
