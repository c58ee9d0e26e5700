"""``stackcheck verify``: check everything that is a usage error, then run the suites under pytest with the
plugin, and turn what the plugin collected into the exit code. Imported by :mod:`stackcheck.cli` only when
a verify (or ``stackcheck run``) is parsed: it imports pytest and the catalog.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from stackcheck import __version__, interrupt
from stackcheck._exceptions import UsageError
from stackcheck.catalog import REGISTRY, SUITES, SuiteName
from stackcheck.cli import check_waiver_ids, fail, stopping_signal
from stackcheck.collector import RunCollector
from stackcheck.infra import preflight
from stackcheck.infra.relay import require_loopback_dependencies
from stackcheck.plugin import COLLECTOR
from stackcheck.probes.loopback import require_loopback
from stackcheck.probes.ratelimit_plan import plan_limits
from stackcheck.profile import Profile, load_profile
from stackcheck.report import mark_interrupted, write_report
from stackcheck.report.console import terminal
from stackcheck.report.folders import default_report_dir, point_latest
from stackcheck.resources import suites_dir
from stackcheck.settings import Settings, plugin_option, resolve_target
from stackcheck.team import select_suites

__all__ = ["check_verify", "verify_command"]


@dataclass(frozen=True)
class _VerifyRun:
    """A verify run that passed every check made before pytest starts."""

    profile: Profile
    settings: Settings
    suites: list[Path]
    target: str | None
    report_dir: Path
    team_dirs: list[Path]  # the team's own suite folders (--suite-dir, suite_dirs)


def _check_files(profile: Profile, path: str) -> None:
    """Files the profile names must exist before anything is checked (a typo is exit 2, not exit 3)."""
    bundles = {
        "target.ca_bundle": profile.target.ca_bundle if profile.target else None,
        "postgres.ca_bundle": profile.postgres.ca_bundle if profile.postgres else None,
    }
    for key, bundle in bundles.items():
        if bundle and not Path(bundle).is_file():
            raise UsageError(
                f"{key}: {bundle} is not a file",
                f"fix the path in {path} or --set {key}=PATH (relative to the working directory)",
            )


def _prepare(args: argparse.Namespace) -> _VerifyRun:
    """Everything that is a usage error (exit 2) is found here, before any check runs."""
    loaded = load_profile(args.profile, args.stackcheck_set)
    profile = loaded.profile
    suite_paths, team_dirs = select_suites(args.suite, args.suite_dir, profile.suite_dirs, loaded.path)
    names = [p.name for p in suite_paths]
    check_waiver_ids(profile, args.profile, team=bool(team_dirs or profile.suite_dirs))
    settings = Settings.from_environ(
        infra=args.infra,
        allow_remote=args.allow_remote,
        target=args.target,
        frameworks=args.framework,
        allow_destructive=args.allow_destructive,
    )
    target = resolve_target(settings.target, profile)
    if suite_paths:  # (no names would mean every suite) the team's servers are known once its tests are
        preflight(settings, profile, names, target)
    needs_target = [
        spec.id
        for name in names
        for spec in SUITES[SuiteName(name)]
        if spec.needs_target and spec.skip_reason_for(profile) is None
    ]
    if needs_target and not target and profile.service is None:
        raise UsageError(
            f"no target URL, but {needs_target[0]} needs one",
            f"pass --target URL, or set target.base_url or service.command in {args.profile}",
        )
    _check_files(profile, args.profile)
    if profile.rate_limit is not None and "ratelimit" in names:
        if target:
            require_loopback(target, settings.allow_remote, "the rate-limit probe")
        plan_limits(profile.rate_limit, settings.environ)  # a key value's ${VAR} not set: exit 2 now
    if "postgres" in names and target and REGISTRY["pg.pool"].skip_reason_for(profile) is None:
        require_loopback(target, settings.allow_remote, "the connection-pool burst (pg.pool)")
    if "health" in names:
        require_loopback_dependencies(profile, settings.allow_remote)
    report_dir = Path(args.report_dir) if args.report_dir else default_report_dir(profile.name)
    return _VerifyRun(profile, settings, suite_paths, target, report_dir, team_dirs)


def _pytest_args(args: argparse.Namespace, run: _VerifyRun) -> list[str]:
    """The pytest command line of a verify run: the chosen suites with the plugin's options."""
    root = suites_dir()
    folders = [*(str(p) for p in run.suites), *(str(p) for p in run.team_dirs)]
    pytest_args = [*folders, "-c", str(root / "pytest.ini"), "--rootdir", str(root)]
    # The plugin's options are prefixed (--stackcheck-profile): pytest's namespace is shared by all plugins.
    opt = plugin_option
    pytest_args += ["-p", "no:cacheprovider", opt("profile"), args.profile, opt("infra"), run.settings.infra]
    pytest_args += [opt("report_dir"), str(run.report_dir), "--stackcheck-progress"]
    for option in args.stackcheck_set:
        pytest_args += [opt("stackcheck_set"), option]
    if run.settings.allow_remote:
        pytest_args.append(opt("allow_remote"))
    if run.settings.allow_destructive:
        pytest_args.append(opt("allow_destructive"))
    for name in run.settings.frameworks:
        pytest_args += [opt("framework"), name]
    if run.target:
        pytest_args += [opt("target"), run.target]
    # --verbose: pytest's tracebacks, without its progress dots (the plugin hides them), its collection
    # lines or its own counts line (-qq): the result lines and the one verdict are stackcheck's.
    verbose = ["-qq", "--no-header", "-rN", "--tb=short", "-o", "console_output_style=classic"]
    pytest_args += verbose if args.verbose else ["-p", "no:terminal"]
    return pytest_args


def check_verify(args: argparse.Namespace) -> None:
    """Every usage error of a verify run (UsageError, exit 2), found before anything runs (``stackcheck
    run`` asks before its first stage)."""
    _prepare(args)


def verify_command(args: argparse.Namespace) -> int:
    """``stackcheck verify``: run the suites and write the report folder; the exit code (the stage
    ``stackcheck run`` runs in process too)."""
    run = _prepare(args)
    against = run.target or (
        "the service it starts (service.command)" if run.profile.service else "no target"
    )
    print(
        terminal(
            f"stackcheck {__version__}: verifying {run.profile.name} ({args.profile}) against {against};"
            f" suites: {', '.join([*(p.name for p in run.suites), *(f'team ({p})' for p in run.team_dirs)])}"
        ),
        flush=True,
    )
    grabbed: dict[str, RunCollector] = {}

    def write_partial() -> None:
        """A second signal ends the process at once: the partial report is written first."""
        collector = grabbed.get("collector")
        if collector is not None:
            write_report(collector.finish(interrupted_by=stopping_signal()), run.report_dir)

    class _Grab:
        def pytest_sessionstart(self, session: pytest.Session) -> None:
            collector = session.config.stash.get(COLLECTOR, None)
            if collector is not None:
                grabbed["collector"] = collector

        def pytest_unconfigure(self, config: pytest.Config) -> None:
            collector = config.stash.get(COLLECTOR, None)
            if collector is not None:
                grabbed["collector"] = collector

    with interrupt.on_hard_exit(write_partial):
        code = pytest.main(_pytest_args(args, run), plugins=[_Grab()])
        collector = grabbed.get("collector")
        loading_failed = collector is not None and bool(collector.collection_errors)
        if (code == pytest.ExitCode.INTERRUPTED and not loading_failed) or interrupt.received() is not None:
            return _interrupted_verify(collector, run.report_dir)
    if collector is None or collector.report is None:
        return fail(f"the suites did not run (pytest exit code {int(code)}); rerun with --verbose to see why")
    if collector.collection_errors:
        return fail(collector.collection_errors[0])
    if collector.usage_errors:  # a configuration mistake met while checking: exit 2, not "could not check"
        return fail(collector.usage_errors[0])
    if not collector.report.results:  # the report says NOTHING CHECKED (exit code 2) too
        return fail(
            f"no check ran: the suites hold no test marked with a check (pytest exit code {int(code)}); "
            f"the report in {run.report_dir} says so"
        )
    if not args.report_dir:
        point_latest(run.report_dir)
    return int(collector.report.summary.exit_code)


def _interrupted_verify(collector: RunCollector | None, report_dir: Path) -> int:
    signum = stopping_signal()
    report = collector.report if collector is not None else None
    if report is not None and not report.run.interrupted:
        # The signal came after the report was written (during teardown): it must not say COMPLIANT.
        write_report(mark_interrupted(report, signum), report_dir)
    name = interrupt.signal_name(signum)
    done = f"the partial report was written to {report_dir}" if report else "no report was written"
    print(f"stackcheck: interrupted by {name}; {done}", file=sys.stderr)
    return interrupt.exit_code_for(signum)
