"""``python -m accuracy [--only tls,metrics] [--out docs/accuracy.md]``: run the cases, write the table."""

from __future__ import annotations

import argparse
import importlib
import json
import sys
import time
import traceback
from collections.abc import Iterator
from pathlib import Path

from accuracy import CASE_MODULES
from accuracy.harness import REPO
from accuracy.model import Row, Unavailable
from accuracy.table import render

DEFAULT_OUT = REPO / "docs" / "accuracy.md"


def _rows(name: str, notes: list[str]) -> Iterator[Row]:
    try:
        module = importlib.import_module(f"accuracy.{name}")
        yield from module.rows()
    except Unavailable as exc:
        notes.append(f"`{name}`: not run here — {exc}")
        print(f"[accuracy] {name}: not run ({exc})", file=sys.stderr)
    except Exception as exc:  # a broken case module must show, not vanish
        traceback.print_exc()
        notes.append(f"`{name}`: the case module crashed ({type(exc).__name__}: {exc})")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m accuracy",
        description="stackcheck's verdicts beside reference tools', on servers this harness starts.",
    )
    parser.add_argument("--only", default="", help=f"comma-separated modules ({', '.join(CASE_MODULES)})")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="Markdown file to write")
    parser.add_argument("--json", type=Path, default=None, help="also write the rows as JSON here")
    parser.add_argument(
        "--from-json", type=Path, default=None, help="render the table from a --json file (runs nothing)"
    )
    args = parser.parse_args(argv)
    if args.from_json:
        saved = json.loads(args.from_json.read_text())
        kept = [Row(**{k: v for k, v in r.items() if k != "agree"}) for r in saved["rows"]]
        args.out.write_text(render(kept, saved["notes"], saved["elapsed_s"], partial=saved["partial"]))
        return 0
    names = [n for n in args.only.split(",") if n] or list(CASE_MODULES)
    unknown = sorted(set(names) - set(CASE_MODULES))
    if unknown:
        parser.error(f"--only: unknown case module(s) {', '.join(unknown)}; known: {', '.join(CASE_MODULES)}")
    rows: list[Row] = []
    notes: list[str] = []
    started = time.monotonic()
    for name in names:
        t0 = time.monotonic()
        for row in _rows(name, notes):
            mark = "ok " if row.agree else ("dec" if row.decision else "BAD")
            print(f"[accuracy] {mark} {row.suite:<9} {row.check:<26} {row.case}", file=sys.stderr, flush=True)
            rows.append(row)
        print(f"[accuracy] {name}: {time.monotonic() - t0:.0f} s", file=sys.stderr)
    elapsed = time.monotonic() - started
    args.out.write_text(render(rows, notes, elapsed, partial=bool(args.only)))
    if args.json:
        saved = {
            "elapsed_s": elapsed,
            "notes": notes,
            "partial": bool(args.only),
            "rows": [{**r.__dict__, "agree": r.agree} for r in rows],
        }
        args.json.write_text(json.dumps(saved, indent=1))
    bad = [r for r in rows if not r.agree and not r.decision]
    print(f"[accuracy] {len(rows)} rows, {len(bad)} unexplained disagreements -> {args.out}", file=sys.stderr)
    return 1 if bad or any("crashed" in n for n in notes) else 0


if __name__ == "__main__":
    sys.exit(main())
