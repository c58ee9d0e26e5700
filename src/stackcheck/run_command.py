"""``stackcheck run --profile FILE``: every stage the profile configures, in one run and one report folder.

Static first, load last: the scan (``scan:``), the verify suites (any section a suite checks, or
``suite_dirs``), the load (``load:`` or ``slo:``, with a target). Each stage runs in this process as its own
command does — its progress lines, its exit-code rules, its partial report on a signal — into
``DIR/stages/<stage>/``; their reports are then merged (:func:`stackcheck.report.merge.merge_reports`) into
``DIR``, whose artifacts cover every stage. A stage that refuses to run (exit 2) stops the run; a signal
stops it too, and the stages that ran are merged into a partial report marked interrupted.
"""

from __future__ import annotations

import argparse
import signal
import sys
import time
from collections.abc import Callable
from pathlib import Path

from stackcheck import __version__, interrupt
from stackcheck._exceptions import UsageError
from stackcheck.catalog import SUITES
from stackcheck.load.safety import require_loopback
from stackcheck.profile import LoadedProfile, Profile, load_profile
from stackcheck.redact import Redactor
from stackcheck.report import ExitCode, Report, read_report, render_console, write_report
from stackcheck.report.console import terminal
from stackcheck.report.folders import default_report_dir, point_latest
from stackcheck.report.merge import merge_reports
from stackcheck.report.model import mark_interrupted
from stackcheck.run_args import DESCRIPTION, HELP, add_arguments
from stackcheck.scan.replay import forget_shared_scans
from stackcheck.settings import Settings, resolve_target

__all__ = ["DESCRIPTION", "HELP", "add_arguments", "planned_stages", "run"]

# Sections a verify suite checks, but for `scan`: the scan stage runs its scanners (verify's scan and
# secrets suites would run them again); `scan.log_files` alone needs verify (secrets.logs is a runtime check).
_VERIFY_SECTIONS = frozenset(
    spec.section for specs in SUITES.values() for spec in specs if spec.section != "scan"
)


def planned_stages(profile: Profile, target: str | None, suite_dirs: list[str]) -> tuple[list[str], str]:
    """The stages ``profile`` configures, in the order they run, and why a configured load stage cannot
    run ("" when nothing is left out)."""
    stages = ["scan"] if profile.scan is not None else []
    logs = profile.scan is not None and bool(profile.scan.log_files)
    sections = any(getattr(profile, s, None) is not None for s in _VERIFY_SECTIONS)
    if profile.suite_dirs or suite_dirs or logs or sections:
        stages.append("verify")
    left_out = ""
    if profile.load is not None or profile.slo is not None:
        if target:
            stages.append("load")
        else:
            left_out = "load: not run: no target URL (pass --target URL or set target.base_url)"
    return stages, left_out


def _verify_suites(profile: Profile, stages: list[str]) -> list[str]:
    """verify's --suite list: every suite (the default) unless the scan stage runs: then all but the scan
    suite, which would only replay the scan stage's verdicts (its results would be dropped in the merge)."""
    if "scan" not in stages:
        return []
    names = [str(name) for name in SUITES if name != "scan"]
    return [*names, "team"] if profile.suite_dirs else names


def _stage_args(stage: str, args: argparse.Namespace, folder: Path, suites: list[str]) -> argparse.Namespace:
    """The command line the stage's own command would have parsed."""
    common = {"profile": args.profile, "report_dir": str(folder)}
    if stage == "scan":
        return argparse.Namespace(
            **common,
            paths=[],
            overrides=list(args.stackcheck_set),
            install_tools=args.install_tools,
            share_scan=True,  # verify's secrets suite replays this scan instead of scanning again
        )
    if stage == "load":
        return argparse.Namespace(
            **common,
            target=args.target,
            overrides=list(args.stackcheck_set),
            allow_remote=args.allow_remote,
            processes=args.processes,
            expect_workers=0,
            master_bind=None,
            worker_of=None,
        )
    return argparse.Namespace(
        **common,
        stackcheck_set=list(args.stackcheck_set),
        suite=suites,
        suite_dir=list(args.suite_dir),
        infra=args.infra,
        allow_remote=args.allow_remote,
        allow_destructive=args.allow_destructive,
        target=args.target,
        verbose=args.verbose,
        framework=list(args.framework),
    )


def _stage_runner(stage: str) -> Callable[[argparse.Namespace, Settings], int]:
    if stage == "scan":
        from stackcheck.scan import command as scan_command

        return scan_command.run
    if stage == "load":
        from stackcheck.load import command as load_command

        return load_command.run
    from stackcheck.verify_command import verify_command

    return lambda stage_args, _settings: verify_command(stage_args)


def _command_line(args: argparse.Namespace) -> str:
    argv = ["stackcheck", *sys.argv[1:]] if sys.argv[1:2] == ["run"] else ["stackcheck", "run"]
    if sys.argv[1:2] != ["run"]:
        argv += ["--profile", args.profile, *(["--target", args.target] if args.target else [])]
    redactor = Redactor()
    redactor.learn(*args.stackcheck_set)
    return redactor.command(argv)


def _merged(args: argparse.Namespace, folders: list[Path], report_dir: Path) -> Report | None:
    reports = [read_report(f) for f in folders if (f / "report.json").is_file()]
    if not reports:
        return None
    merged = merge_reports(reports, _command_line(args))
    # The stages ran in this one process, each counting from its start: the run's own time is this
    # process's, not the sum merge_reports gives stages that ran apart (``report merge``).
    from stackcheck.clock import process_wall_s

    run = merged.run.model_copy(update={"process_wall_s": process_wall_s()})
    merged = merged.model_copy(update={"run": run})
    write_report(merged, report_dir)
    return merged


def _prepare(args: argparse.Namespace, report_dir: Path | None) -> tuple[LoadedProfile, list[str], str]:
    """The profile and the stages to run; every usage error of any stage is raised here (exit 2), before
    the first stage runs, so that a mistake does not cost a scan first."""
    loaded = load_profile(args.profile, args.stackcheck_set)
    target = resolve_target(args.target, loaded.profile)
    stages, left_out = planned_stages(loaded.profile, target, args.suite_dir)
    if not stages:
        raise UsageError(
            f"{args.profile} configures no stage to run",
            "add a section a suite checks (e.g. health:), a scan: section, or load:/slo: with a target",
        )
    if "load" in stages and target:
        require_loopback(target, args.allow_remote)
    if args.processes is not None and not 0 <= args.processes <= 256:
        raise UsageError(f"--processes {args.processes} is out of range", "use 0 to 256")
    if "verify" in stages:
        from stackcheck.verify_command import check_verify

        folder = (report_dir or Path(".")) / "stages" / "verify"
        check_verify(_stage_args("verify", args, folder, _verify_suites(loaded.profile, stages)))
    return loaded, stages, left_out


def _run_stage(
    args: argparse.Namespace,
    settings: Settings,
    profile: Profile,
    stages: list[str],
    number: int,
    report_dir: Path,
    folders: list[Path],
) -> int:
    """Run stage ``number`` (1-based) of ``stages`` into ``report_dir/stages/<stage>``; its exit code."""
    stage = stages[number - 1]
    folder = report_dir / "stages" / stage
    folders.append(folder)  # before it runs: a partial report of an interrupted stage is merged too
    print(f"== stage {number}/{len(stages)}: {stage} (report: {folder}) ==", flush=True)
    started = time.monotonic()
    code = _stage_runner(stage)(_stage_args(stage, args, folder, _verify_suites(profile, stages)), settings)
    took = time.monotonic() - started
    print(f"== stage {number}/{len(stages)}: {stage} ended: exit {code} in {took:.1f} s ==", flush=True)
    return code


def _interrupted(
    args: argparse.Namespace, folders: list[Path], report_dir: Path, stage: str, code: int
) -> int:
    """A signal stopped the run: the stages that wrote a report are merged into a partial one."""
    merged = _merged(args, folders, report_dir)
    if merged is not None and not merged.run.interrupted:  # the signal came between two stages
        merged = mark_interrupted(merged, interrupt.received() or signal.SIGINT)
        write_report(merged, report_dir)
    done = f"the partial report was written to {report_dir}" if merged else "no report was written"
    where = f" in the {stage} stage" if stage else ""
    print(f"stackcheck: run interrupted{where}; {done}", file=sys.stderr)
    if merged is not None:
        return merged.summary.exit_code
    return code if code >= 128 else interrupt.exit_code_for(interrupt.received() or signal.SIGINT)


def run(args: argparse.Namespace, settings: Settings) -> int:
    """Run every configured stage, merge their reports into one folder; the exit code of the merged
    results (0 ok, 1 failed, 3 error; 2 when a stage refused to run; 128 + N when signal N stopped it)."""
    try:
        return _run(args, settings)
    finally:
        forget_shared_scans()


def _run(args: argparse.Namespace, settings: Settings) -> int:
    loaded, stages, left_out = _prepare(args, Path(args.report_dir) if args.report_dir else None)
    report_dir = Path(args.report_dir) if args.report_dir else default_report_dir(loaded.profile.name)
    print(
        terminal(
            f"stackcheck {__version__}: run of {loaded.profile.name} ({args.profile}): "
            f"{len(stages)} stage(s): {', '.join(stages)}"
        ),
        flush=True,
    )
    if left_out:
        print(left_out, flush=True)
    folders: list[Path] = []
    # A second signal ends the process at once: the stage writes its partial report, then this hook
    # (registered first, run last) merges what the stages wrote.
    with interrupt.on_hard_exit(lambda: _merged(args, folders, report_dir)):
        try:
            for number, stage in enumerate(stages, start=1):
                code = _run_stage(args, settings, loaded.profile, stages, number, report_dir, folders)
                if code == ExitCode.USAGE:
                    print(
                        f"stackcheck: error: the {stage} stage did not run (see above); the run stopped, "
                        "nothing was merged",
                        file=sys.stderr,
                    )
                    return int(ExitCode.USAGE)
                if code >= 128 or interrupt.received() is not None:
                    return _interrupted(args, folders, report_dir, stage, code)
        except KeyboardInterrupt:  # between two stages, or a stage that let it through
            return _interrupted(args, folders, report_dir, "", 0)
    merged = _merged(args, folders, report_dir)
    if merged is None:
        print("stackcheck: error: no stage wrote a report", file=sys.stderr)
        return int(ExitCode.USAGE)
    if not args.report_dir:
        point_latest(report_dir)
    print(
        f"== run: {len(merged.results)} results from {', '.join(stages)}; {len(merged.findings)} findings =="
    )
    print(render_console(merged, str(report_dir)))
    return merged.summary.exit_code
