"""Run every ``benchmarks/bench_*.py`` and write their Markdown sections to ``docs/benchmarks.md``.

Each benchmark script prints one Markdown section (starting with ``## ``) on stdout and exits 0; anything
it prints on stderr is progress. ``nox -s bench`` runs this; ``nox -s bench -- infra http`` runs a subset.
"""

from __future__ import annotations

import datetime as dt
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUTPUT = ROOT / "docs" / "benchmarks.md"


def machine() -> str:
    """One line describing the machine the numbers come from."""
    cpus = os.cpu_count() or 0
    mem_kb = 0
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                mem_kb = int(line.split()[1])
    except OSError:
        pass
    memory = f"{mem_kb / 1024 / 1024:.0f} GiB"
    system = f"{platform.system()} {platform.release()}"
    return f"{system}, {cpus} cores, {memory}, Python {platform.python_version()}"


def main(names: list[str]) -> int:
    """Run the selected benchmarks (all when ``names`` is empty); keep sections of the others as they were."""
    scripts = sorted(ROOT.glob("benchmarks/bench_*.py"))
    if names:
        scripts = [s for s in scripts if s.stem.removeprefix("bench_") in names]
    previous = _sections(OUTPUT.read_text()) if OUTPUT.is_file() else {}
    failed = 0
    for script in scripts:
        name = script.stem.removeprefix("bench_")
        print(f"== benchmark {name} ...", file=sys.stderr, flush=True)
        start = time.monotonic()
        proc = subprocess.run(
            [sys.executable, str(script)], cwd=ROOT, stdout=subprocess.PIPE, text=True, check=False
        )
        took = time.monotonic() - start
        if proc.returncode != 0:
            failed += 1
            print(f"== benchmark {name} FAILED (exit {proc.returncode}) after {took:.0f} s", file=sys.stderr)
            continue
        previous[name] = proc.stdout.strip() + f"\n\n_Command: `nox -s bench -- {name}` ({took:.0f} s)._"
        print(f"== benchmark {name} done in {took:.0f} s", file=sys.stderr)
    header = [
        "# Benchmarks",
        "",
        "Numbers measured by `nox -s bench` (all) or `nox -s bench -- NAME` (one), written by",
        "`benchmarks/run_all.py`. The machine is shared and noisy: compare ratios measured in the same run,",
        "not absolute times across runs.",
        "",
        f"Last written {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC on {machine()}.",
    ]
    body = [previous[k] for k in sorted(previous)]
    OUTPUT.write_text("\n\n".join(["\n".join(header), *body]) + "\n")
    print(f"wrote {OUTPUT.relative_to(ROOT)}", file=sys.stderr)
    return 1 if failed else 0


def _sections(text: str) -> dict[str, str]:
    """Existing sections by benchmark name (marked by their command line)."""
    out: dict[str, str] = {}
    for chunk in text.split("\n## ")[1:]:
        section = "## " + chunk.strip()
        marker = "nox -s bench -- "
        if marker in section:
            name = section.split(marker, 1)[1].split("`", 1)[0].strip()
            out[name] = section
    return out


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
