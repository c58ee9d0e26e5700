"""What a stage command prints and writes: ``--quiet``, ``--format`` and ``--output -``.

- ``--format LIST`` (repeatable or comma-separated: json, junit, sarif, md, html; default all): the
  artifacts written to the report folder. ``report.json`` is always written: it is the record every other
  artifact, ``stackcheck report``, ``report merge`` and ``--history`` are made from.
- ``--output -``: the one format chosen with ``--format`` (``--format json --output -``) is printed to
  stdout when the run ends, and nothing else is: every other line goes to stderr. The report folder is
  still written.
- ``--quiet`` (``-q``): only the closing verdict line (and errors, on stderr); no progress lines.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from stackcheck import progress
from stackcheck._exceptions import UsageError
from stackcheck.suggest import did_you_mean

__all__ = ["FORMATS", "add_output_options", "command_output", "parse_formats"]

#: --format name → the artifact it writes.
FORMATS: dict[str, str] = {
    "json": "report.json",
    "junit": "junit.xml",
    "sarif": "results.sarif",
    "md": "summary.md",
    "html": "index.html",
}


def add_output_options(add_argument: Callable[..., Any]) -> None:
    """``-q/--quiet``, ``--format`` and ``--output`` of verify, scan, load and run."""
    add_argument(
        "-q", "--quiet", action="store_true", help="print only the verdict line (and errors); no progress"
    )
    add_argument(
        "--format",
        dest="formats",
        action="append",
        default=[],
        metavar="LIST",
        help=f"artifacts to write: {', '.join(FORMATS)} (repeatable or comma-separated; default: all; "
        "report.json is always written)",
    )
    add_argument(
        "--output",
        metavar="-",
        help="`-`: print the one --format chosen (e.g. --format json) to stdout, every other line to stderr",
    )


def parse_formats(values: list[str]) -> tuple[str, ...]:
    """``["json,sarif", "html"]`` → ``("json", "sarif", "html")``; an unknown name is a UsageError."""
    names = [name.strip().lower() for value in values for name in value.split(",") if name.strip()]
    for name in names:
        if name not in FORMATS:
            raise UsageError(
                f"--format {name!r} is not a format{did_you_mean(name, FORMATS)}",
                f"choose from: {', '.join(FORMATS)}",
            )
    return tuple(dict.fromkeys(names))


def _check(args: argparse.Namespace) -> tuple[str, ...]:
    formats = parse_formats(args.formats)
    if args.output is not None:
        if args.output != "-":
            raise UsageError(
                f"--output {args.output}: only `-` (stdout) is supported",
                "the report folder is --report-dir DIR",
            )
        if len(formats) != 1:
            raise UsageError(
                "--output - prints one format", "choose it with --format, e.g. --format json --output -"
            )
    if args.quiet and getattr(args, "verbose", False):
        raise UsageError("--quiet and --verbose contradict each other", "choose one")
    return formats


@contextlib.contextmanager
def command_output(args: argparse.Namespace, started: float) -> Iterator[None]:
    """Run a stage command under its output options (a UsageError before anything runs)."""
    from stackcheck.report.writer import select_artifacts  # the report models: only for a stage that runs

    formats = _check(args)
    progress.configure(quiet=args.quiet)
    select_artifacts([FORMATS[f] for f in formats] or None)
    to_stdout = args.output == "-"
    out = sys.stdout
    aside: io.TextIOBase | Any = io.StringIO() if args.quiet else sys.stderr
    try:
        with contextlib.redirect_stdout(aside) if args.quiet or to_stdout else contextlib.nullcontext():
            yield
    finally:
        select_artifacts(None)
    folder = written_folder(args, started)
    if folder is None:
        return
    if args.quiet:
        verdict = _verdict_line(aside.getvalue()) if isinstance(aside, io.StringIO) else ""
        if verdict:
            print(verdict, file=sys.stderr if to_stdout else out, flush=True)
    if to_stdout:
        out.write((folder / FORMATS[formats[0]]).read_text(encoding="utf-8"))
        out.flush()


def _verdict_line(text: str) -> str:
    """The closing verdict line (``COMPLIANT -> exit code 0``) of what the command would have printed."""
    lines = [line for line in text.splitlines() if " -> exit code " in line]
    return lines[-1] if lines else ""


def written_folder(args: argparse.Namespace, started: float) -> Path | None:
    """The report folder this command wrote (its report.json is newer than the command), else None."""
    folder = Path(args.report_dir) if args.report_dir else Path("reports") / "out" / "latest"
    path = folder / "report.json"
    try:
        fresh = path.is_file() and path.stat().st_mtime >= started - 1
    except OSError:
        fresh = False
    return folder if fresh else None
