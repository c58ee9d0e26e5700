"""Benchmark: wall time of the whole HTTP+TLS suite set against the reference service over HTTPS.

``python benchmarks/bench_http.py [--rounds N]`` starts the reference service (fixtures/refservice) with real
TLS and the profile fixtures/refservice/profiles/http-surface.yaml, runs ``stackcheck verify`` with the six
suites ratelimit, headers, cors, exposure, metrics and tls as a subprocess (a fresh service per round, so
the rate-limit budget is full), and prints a Markdown section for docs/benchmarks.md. Target: < 20 s
excluding the Retry-After wait of ratelimit.recovery (reported separately). Numbers, never assertions.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from fixtures.refservice import RefService  # noqa: E402
from stackcheck.probes.tls import scan_tls  # noqa: E402

PROFILE = ROOT / "fixtures" / "refservice" / "profiles" / "http-surface.yaml"
SUITES = ("ratelimit", "headers", "cors", "exposure", "metrics", "tls")


def one_round(folder: Path, index: int) -> tuple[float, float, float, int]:
    """Wall time of one verify run, of one sslyze scan alone, the Retry-After wait, and the exit code."""
    report_dir = folder / f"round-{index}"
    with RefService(PROFILE, tls=True, http_redirect=True) as service:
        cmd = [
            sys.executable,
            "-m",
            "stackcheck",
            "verify",
            "--profile",
            str(PROFILE),
            "--target",
            service.url,
        ]
        cmd += ["--set", f"target.ca_bundle={service.ca_file}", "--set", f"tls.http_port={service.http_port}"]
        cmd += ["--set", f"metrics.base_url={service.metrics_url}"]
        cmd += ["--report-dir", str(report_dir)]
        for suite in SUITES:
            cmd += ["--suite", suite]
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        start = time.monotonic()
        proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, check=False)
        wall = time.monotonic() - start
        start = time.monotonic()
        scan_tls("127.0.0.1", service.port, server_name=None, ca_file=str(service.ca_file), timeout_s=60)
        scan = time.monotonic() - start
    report = json.loads((report_dir / "report.json").read_text())
    waited = sum(float(r["evidence"]["details"].get("waited_s") or 0) for r in report["results"])
    return wall, scan, waited, proc.returncode


def main() -> int:
    """Run the rounds and print the Markdown section."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    walls, scans, waits, codes = [], [], [], []
    with tempfile.TemporaryDirectory() as tmp:
        for i in range(args.rounds):
            wall, scan, waited, code = one_round(Path(tmp), i)
            print(f"round {i + 1}: {wall:.2f} s (exit {code})", file=sys.stderr)
            walls.append(wall)
            waits.append(waited)
            codes.append(code)
            scans.append(scan)
    wall, wait = statistics.median(walls), statistics.median(waits)
    print("## HTTP and TLS suites (`benchmarks/bench_http.py`)\n")
    print(
        "`stackcheck verify` (a subprocess, start-up included) with the suites ratelimit, headers, cors,\n"
        "exposure, metrics and tls against the reference service over HTTPS (profile\n"
        "fixtures/refservice/profiles/http-surface.yaml: 10 requests per 2 s, TLS 1.3 only); a fresh\n"
        f"service per round, median of {args.rounds} rounds. Target: < 20 s without the Retry-After wait.\n"
    )
    print("| measure | median |\n|---|---|")
    print(f"| wall time, all six suites | {wall:.2f} s |")
    print(f"| of which: waiting for Retry-After (ratelimit.recovery) | {wait:.2f} s |")
    print(f"| wall time without that wait | {wall - wait:.2f} s |")
    print(f"| one sslyze scan alone (child process) | {statistics.median(scans):.2f} s |")
    print(f"| exit codes | {', '.join(map(str, codes))} |")
    return 0 if all(c == 0 for c in codes) else 1


if __name__ == "__main__":
    sys.exit(main())
