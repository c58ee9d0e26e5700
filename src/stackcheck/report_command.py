"""``stackcheck report``: re-render a report folder, merge stage folders (``report merge``), compare two
(``report diff``); and ``--history``'s record of the folder a stage command wrote. Imported by
:mod:`stackcheck.cli` only when one of them runs.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
from pathlib import Path

from stackcheck._exceptions import UsageError
from stackcheck.cli import fail
from stackcheck.output import written_folder
from stackcheck.redact import Redactor
from stackcheck.report import read_report, render_console, result_line, shown_live, write_report
from stackcheck.report.console import terminal
from stackcheck.report.drift import compare
from stackcheck.report.history import record_history as append_record
from stackcheck.report.history import record_of
from stackcheck.report.history_view import change_lines
from stackcheck.report.merge import merge_reports, refuse_mismatch
from stackcheck.report.model import Report

__all__ = ["record_history", "report_command"]


def _read_folder(folder: Path) -> Report:
    """``folder``'s report, or the one line that says why it cannot be read (UsageError, exit 2)."""
    if not (folder / "report.json").is_file():
        raise UsageError(
            f"{folder}/report.json not found",
            "pass a folder that a stackcheck run, verify, scan or load wrote",
        )
    try:
        return read_report(folder)
    except ValueError as exc:
        first = str(exc).splitlines()[0]
        raise UsageError(
            f"{folder}/report.json cannot be read as a stackcheck.report/v1 report ({first})"
        ) from None


def _merge(args: argparse.Namespace) -> int:
    if not args.more or not args.output:
        return fail("report merge needs the stage folders and -o OUT: report merge DIR... -o OUT")
    folders = [Path(d) for d in args.more]
    named = [(str(f), _read_folder(f)) for f in folders]
    refuse_mismatch(named)
    merged = merge_reports(
        [r for _, r in named],
        Redactor().command(["stackcheck", "report", "merge", *args.more, "-o", args.output]),
    )
    out = Path(args.output)
    write_report(merged, out)
    print(f"merged {len(folders)} report folders ({', '.join(merged.run.suites)}) into {out}")
    print(render_console(merged, str(out)))
    return merged.summary.exit_code


def _diff(args: argparse.Namespace) -> int:
    """``report diff OLD NEW``: what changed from one report folder to the other (exit 0)."""
    if len(args.more) != 2 or args.output:
        return fail("report diff takes two report folders: report diff OLD NEW")
    old, new = (_read_folder(Path(d)) for d in args.more)
    print(terminal(f"report diff {args.more[0]} → {args.more[1]} (profile {new.profile.name})"))
    changes = compare(record_of(old), record_of(new), dt.datetime.now(dt.UTC).date())
    for line in change_lines(changes):
        print(terminal(line))
    return 0


def record_history(args: argparse.Namespace, started: float, code: int) -> int:
    """``--history PATH``: the drift of the report this command wrote, added to its folder; its record
    appended. A command that wrote no report (a usage error) records nothing."""
    folder = written_folder(args, started)
    if folder is None:
        print(f"stackcheck: history: no report written by this run, nothing recorded in {args.history}")
        return code
    try:
        report, line = append_record(read_report(folder), Path(args.history))
        write_report(report, folder)
    except OSError as exc:
        print(f"stackcheck: history: cannot use {args.history} ({exc.strerror or exc})", file=sys.stderr)
        return code
    print(terminal(line))
    return code


def report_command(args: argparse.Namespace) -> int:
    if args.dir == "merge":
        return _merge(args)
    if args.dir == "diff":
        return _diff(args)
    if args.more or args.output:
        return fail("report takes one folder; to merge folders: report merge DIR... -o OUT")
    folder = Path(args.dir)
    if not (folder / "report.json").is_file():
        return fail(f"{folder}/report.json not found (pass the folder a `stackcheck verify` run wrote)")
    try:
        report = read_report(folder)
    except ValueError as exc:
        first = str(exc).splitlines()[0]
        return fail(f"{folder}/report.json cannot be read as a stackcheck.report/v1 report ({first})")
    write_report(report, folder)
    for result in report.results:
        if shown_live(result):
            print(result_line(result))
    print(render_console(report, str(folder)))
    return report.summary.exit_code
