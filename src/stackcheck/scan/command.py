"""``stackcheck scan --profile FILE [PATH ...] [--report-dir DIR]``: the static-scan stage.

Runs every scanner of :data:`stackcheck.scan.registry.SCANNERS` side by side within a core budget —
checkov (IaC + custom policies), bandit (code), detect-secrets (repository secrets), trivy (image
misconfiguration, layer secrets, CVEs when a DB is configured) and the others listed there —, applies
inline suppressions and profile waivers, and writes one report folder (report.json with ``findings[]``,
junit.xml, summary.md, results.sarif) in which every secret is redacted. Exit codes as for ``verify``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import signal
import socket
import sys
from collections.abc import Sequence
from pathlib import Path

from stackcheck import __version__, interrupt
from stackcheck._exceptions import UsageError
from stackcheck.claims import apply_claims
from stackcheck.collector import tool_versions
from stackcheck.controls import apply_controls
from stackcheck.locations import locate_results
from stackcheck.profile import LoadedProfile, load_profile
from stackcheck.progress import note
from stackcheck.redact import Redactor
from stackcheck.report import render_console, result_line, shown_live, write_report
from stackcheck.report.folders import default_report_dir, point_latest
from stackcheck.report.model import ProfileInfo, Report, RunInfo, mark_interrupted, summarize
from stackcheck.report.publish import publishable
from stackcheck.scan.args import DESCRIPTION, HELP, add_arguments
from stackcheck.scan.engine import ScanRun, run_scan
from stackcheck.scan.findings import ToolOutcome
from stackcheck.scan.registry import SCANNERS
from stackcheck.scan.replay import share_scan
from stackcheck.scan.runner import JobResult
from stackcheck.scan.toolcache import install
from stackcheck.settings import Settings

__all__ = ["DESCRIPTION", "HELP", "add_arguments", "build_report", "run"]


def build_report(
    loaded: LoadedProfile,
    scan: ScanRun,
    command: str,
    started: dt.datetime,
    frameworks: tuple[str, ...] = (),
) -> Report:
    """The run's report, redacted: every artifact is rendered from it. ``frameworks``: ``--framework``."""
    finished = dt.datetime.now(dt.UTC)
    results, claims = apply_claims(scan.results, loaded.profile)
    results = locate_results(results, loaded)
    controls = apply_controls(results, frameworks)
    waivers = tuple(scan.waivers)
    from stackcheck.clock import process_wall_s

    report = Report(
        run=RunInfo(
            command=command,
            started_at=started,
            finished_at=finished,
            duration_s=round((finished - started).total_seconds(), 3),
            process_wall_s=process_wall_s(),
            host=socket.gethostname(),
            tool_versions=tool_versions(scan.tool_versions),
            suites=tuple(sorted({r.suite for r in results})),
            scan_root=scan.root.as_uri() + "/" if scan.root is not None else None,
        ),
        profile=ProfileInfo.of(loaded),
        target=None,
        summary=summarize(results, waivers, claims, controls),
        claims=claims,
        controls=controls,
        results=results,
        waivers=waivers,
        findings=tuple(scan.findings),
    )
    scan.redactor.learn(*loaded.overrides)
    return publishable(report, scan.redactor)


def _job_line(result: JobResult, outcomes: Sequence[ToolOutcome]) -> None:
    """``scan: checkov finished (12.3 s, 40 findings)``, on stderr as soon as that scanner ends."""
    if result.failure is not None:
        note(f"scan: {result.job.name} failed to run ({result.duration_s:.1f} s)")
        return
    found = sum(len(o.findings) for o in outcomes)
    if result.cached:
        note(f"scan: {result.job.name} unchanged, result cache ({found} findings)")
        return
    note(f"scan: {result.job.name} finished ({result.duration_s:.1f} s, {found} findings)")


def run(args: argparse.Namespace, settings: Settings) -> int:
    """Run the stage with the run's settings; the exit code (0 ok, 1 failed, 3 error; 2 via UsageError;
    128 + N when signal N stopped it)."""
    started = dt.datetime.now(dt.UTC)
    loaded = load_profile(args.profile, args.overrides)
    profile = loaded.profile
    paths = [Path(p) for p in args.paths]
    if profile.scan is None and not paths:
        raise UsageError(
            f"{args.profile} has no `scan:` section and no PATH was given",
            "add e.g. `scan: {iac_paths: [infra/], code_paths: [src/]}` or pass paths to scan",
        )
    missing = [p for p in paths if not p.exists()]
    if missing:
        raise UsageError(f"{missing[0]} does not exist", "pass existing files or folders to scan")
    if args.install_tools:
        for scanner in SCANNERS.values():
            spec = scanner.tool
            print(f"  installing {spec.name} {spec.version} (cached after the first time)", flush=True)
            install(spec, settings)
    report_dir = Path(args.report_dir) if args.report_dir else default_report_dir(profile.name, "scan")
    print(f"stackcheck {__version__}: scanning {profile.name} ({args.profile})", flush=True)
    argv = ["stackcheck", *sys.argv[1:]] if sys.argv[1:2] == ["scan"] else ["stackcheck", "scan"]

    def interrupted() -> Report:
        """An interrupted scan's partial report: no verdict (the scanners' results are judged together)."""
        redactor = Redactor()
        redactor.learn(*args.overrides)
        empty = ScanRun([], [], [], [], {}, redactor)
        report = build_report(loaded, empty, redactor.command(argv), started, settings.frameworks)
        report = mark_interrupted(report, interrupt.received() or signal.SIGINT)
        write_report(report, report_dir, redactor)
        return report

    # A second signal exits at once (stackcheck.interrupt): the partial report is written first.
    with interrupt.on_hard_exit(interrupted):
        try:
            # Imported here, not at the top: the command's import block stays the CLI's (lazy imports).
            from stackcheck.scan.resultcache import default_cache_dir

            cache = None if getattr(args, "no_cache", False) else default_cache_dir(settings.environ)
            scan = run_scan(profile, loaded.path.parent, settings, paths, on_job=_job_line, cache_dir=cache)
            if getattr(args, "share_scan", False) and not paths:  # stackcheck run: verify replays it
                share_scan(loaded, scan)
        except KeyboardInterrupt:  # Ctrl-C, SIGTERM or SIGHUP: run_jobs has stopped every scanner
            report = interrupted()
            print(render_console(report, str(report_dir)))
            name = report.run.signal or "a signal"
            print(f"stackcheck: interrupted by {name}; the partial report was written", file=sys.stderr)
            return report.summary.exit_code
    scan.redactor.learn(*args.overrides)
    command = scan.redactor.command(argv)
    report = build_report(loaded, scan, command, started, settings.frameworks)
    write_report(report, report_dir, scan.redactor)
    if not args.report_dir:
        point_latest(report_dir)
    for result in report.results:
        if shown_live(result):
            print(result_line(result))
    counts = {s: sum(1 for f in report.findings if f.status == s) for s in ("open", "waived", "suppressed")}
    print(
        f"{len(report.findings)} findings: {counts['open']} open, {counts['waived']} waived, "
        f"{counts['suppressed']} suppressed inline (listed in report.json and results.sarif)"
    )
    print(render_console(report, str(report_dir)))
    return report.summary.exit_code
