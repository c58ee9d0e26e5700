"""The ``stackcheck`` command line (SPEC §4). Exit codes: 0 ok, 1 failed, 2 usage, 3 could not check;
a run stopped by a signal: 128 + its number (130 SIGINT, 143 SIGTERM, 129 SIGHUP), see
:mod:`stackcheck.interrupt`.
"""

from __future__ import annotations

import argparse
import datetime as dt
import importlib
import os
import signal
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import pytest

from stackcheck import __version__, interrupt
from stackcheck._exceptions import StackcheckError, UsageError
from stackcheck.catalog import REGISTRY, STAGE_CHECKS, SUITES, SuiteName, render_checks_doc
from stackcheck.catalog.readers import RUN_SECTIONS, section_readers
from stackcheck.claims import Unarmed, unarmed_claims
from stackcheck.collector import RunCollector
from stackcheck.infra import preflight
from stackcheck.infra.relay import require_loopback_dependencies
from stackcheck.output import add_output_options, command_output, written_folder
from stackcheck.plugin import COLLECTOR
from stackcheck.probes.loopback import require_loopback
from stackcheck.probes.ratelimit_plan import plan_limits
from stackcheck.profile import PROFILE_SECTIONS, Profile, load_profile, render_profile_reference
from stackcheck.profile.schema import schema_text
from stackcheck.redact import Redactor
from stackcheck.report import (
    ExitCode,
    mark_interrupted,
    read_report,
    render_console,
    result_line,
    shown_live,
    write_report,
)
from stackcheck.report.console import terminal
from stackcheck.report.drift import compare
from stackcheck.report.folders import default_report_dir, point_latest
from stackcheck.report.history import record_history, record_of
from stackcheck.report.history_view import change_lines
from stackcheck.report.merge import merge_reports, refuse_mismatch
from stackcheck.report.model import Report
from stackcheck.resources import suites_dir
from stackcheck.settings import (
    HISTORY_OPTION,
    Settings,
    add_option,
    add_options,
    plugin_option,
    resolve_target,
)
from stackcheck.suggest import did_you_mean
from stackcheck.team import reserved_namespaces, select_suites, suite_folders

__all__ = ["main"]

DESCRIPTION = """\
Verify that a running stack still matches its architecture decisions, and keep the evidence.

A profile (YAML) states what the architecture promises: health endpoints, latency bounds,
Postgres/Redis settings, TLS, rate limits... `stackcheck verify` checks a running target against it,
`stackcheck scan` checks the code, IaC and images, `stackcheck load` checks the latency SLOs under
load; each writes a report folder (report.json, junit.xml, summary.md, results.sarif, index.html).
`stackcheck run` runs every stage the profile configures and writes one folder for all of them.
"""

EPILOG = """\
examples:
  stackcheck run --profile staging.yaml --target http://127.0.0.1:8080   # scan, verify and load: one report
  stackcheck verify --profile staging.yaml --target https://127.0.0.1:8443
  stackcheck verify --profile staging.yaml --suite health --set health.max_latency_ms=50
  stackcheck verify --profile stack.yaml --infra docker      # throwaway Postgres/Redis it starts itself
  stackcheck scan --profile staging.yaml deploy/
  stackcheck load --profile staging.yaml --target http://127.0.0.1:8080
  stackcheck profile validate staging.yaml
  stackcheck profile schema > profile.schema.json
  stackcheck report reports/out/latest
  stackcheck report merge verify-job/ scan-job/ load-job/ -o evidence/   # stages run in separate CI jobs
  stackcheck adr draft docs/adr/0007-runtime.md -o profile.yaml   # a draft profile from your ADRs

output (verify, scan, load, run):
  stackcheck verify --profile staging.yaml -q                    # the verdict line alone (and errors)
  stackcheck verify --profile staging.yaml --format json --output - | jq .summary   # report.json on stdout
  stackcheck scan --profile staging.yaml --format sarif,junit    # only these artifacts (+ report.json)
  Progress lines (waits, each scanner as it ends) go to stderr; --quiet drops them.

starting from an installed wheel (no checkout needed):
  stackcheck profile schema > profile.schema.json   # the profile's JSON Schema: your editor completes keys
  stackcheck checks                                 # every check id, its severity and the section it needs
  stackcheck profile validate staging.yaml          # then verify, scan, load or run it
  A complete example profile (demo.yaml) and the guides (docs/*.md) are in the source repository, under
  policies/profiles/ and docs/.

exit codes:
  0  nothing failed and nothing errored
  1  at least one check failed (the target is non-compliant), or a waiver expired
  2  usage or configuration error: nothing was checked
  3  no check failed, but at least one could not be run (unreachable, timeout, missing tool)
  130, 143, 129  stopped by SIGINT (Ctrl-C), SIGTERM or SIGHUP: everything stackcheck started is stopped,
     a partial report marked interrupted is written; a second signal stops at once
"""


_FORMAT = argparse.RawDescriptionHelpFormatter

REPORT_DESCRIPTION = """\
stackcheck report DIR
  Re-render every artifact of the report folder DIR from its report.json and print its verdict.

stackcheck report merge DIR... -o OUT
  Merge the report folders of one profile's stages that ran apart (verify, scan and load in three CI
  jobs) into OUT: results and findings side by side, the load statistics, each waiver's state over all
  stages, the claims judged over every stage's results, and the verdict of the whole; every artifact is
  rendered again. The verdict and the counts are those one `stackcheck run` would give. Folders of another
  profile (its name, or its sha256 after extends and --set), of another target, or holding the same
  results twice are refused (exit 2).

examples:
  stackcheck report reports/out/latest
  stackcheck report merge verify-report/ scan-report/ load-report/ -o evidence/
"""


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="stackcheck", description=DESCRIPTION, epilog=EPILOG, formatter_class=_FORMAT
    )
    parser.add_argument("--version", action="version", version=f"stackcheck {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    _add_verify(sub)
    _add_profile(sub)
    report = sub.add_parser(
        "report",
        help="re-render a finished run's report folder and print its verdict, or merge stage folders",
        description=REPORT_DESCRIPTION,
        usage="stackcheck report DIR\n       stackcheck report merge DIR... -o OUT\n"
        "       stackcheck report diff OLD NEW",
        formatter_class=_FORMAT,
    )
    report.add_argument(
        "dir", metavar="DIR", help="a report folder, or `merge` followed by folders, or `diff` OLD NEW"
    )
    report.add_argument("more", nargs="*", default=[], metavar="DIR", help="report merge: the stage folders")
    report.add_argument("-o", "--output", metavar="OUT", help="report merge: the folder to write")
    checks = sub.add_parser("checks", help="list every check id with its title")
    checks.add_argument("--markdown", action="store_true", help="print docs/checks.md")
    for name, module in STAGE_COMMANDS.items():
        stage = importlib.import_module(module)
        stage_parser = sub.add_parser(
            name, help=stage.HELP, description=stage.DESCRIPTION, epilog=EPILOG, formatter_class=_FORMAT
        )
        stage.add_arguments(stage_parser)
        if name in HISTORY_COMMANDS:
            add_option(stage_parser.add_argument, HISTORY_OPTION)
            add_output_options(stage_parser.add_argument)
    return parser


def _add_verify(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    verify = sub.add_parser(
        "verify",
        help="run the verification suites against a target",
        description="Run the suites against a target and write a report folder.",
        epilog=EPILOG,
        formatter_class=_FORMAT,
    )
    # --profile, --target, --infra, --set, --report-dir, --allow-remote: declared once, for the plugin too.
    add_options(verify.add_argument, required=frozenset({"profile"}))
    verify.add_argument(
        "--suite",
        action="append",
        default=[],
        metavar="NAME",
        help=f"run only this suite (repeatable; default: all). Suites: {', '.join(SUITES)}, and team (the "
        "team's own folders: --suite-dir, suite_dirs in the profile)",
    )
    verify.add_argument(
        "--suite-dir",
        dest="suite_dir",
        action="append",
        default=[],
        metavar="DIR",
        help="also run the team's own suite in DIR, whose tests declare their checks with "
        "stackcheck.testing.check (repeatable; see docs/team-checks.md)",
    )
    verify.add_argument(
        "-v", "--verbose", action="store_true", help="also show pytest's own output (tracebacks of failures)"
    )
    add_option(verify.add_argument, HISTORY_OPTION)
    add_output_options(verify.add_argument)


def _add_profile(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    profile = sub.add_parser("profile", help="validate a profile or print its JSON Schema")
    psub = profile.add_subparsers(dest="profile_command", metavar="SUBCOMMAND")
    validate = psub.add_parser(
        "validate", help="check a profile (extends and --set included); exit 2 if invalid"
    )
    validate.add_argument("file", metavar="FILE")
    validate.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE")
    schema = psub.add_parser("schema", help="print the profile JSON Schema (for editors)")
    schema.add_argument(
        "--markdown", action="store_true", help="print the Markdown profile reference instead"
    )


# Further stages, one line each: subcommand → module with HELP, DESCRIPTION, add_arguments(parser) and
# run(args) -> exit code. Imported only when the command line is parsed.
#: The commands that take ``--history`` (each writes one report folder).
HISTORY_COMMANDS = ("verify", "run", "scan", "load")

STAGE_COMMANDS: dict[str, str] = {
    "run": "stackcheck.run_command",
    "scan": "stackcheck.scan.command",
    "load": "stackcheck.load.command",
    "adr": "stackcheck.adr.command",
}


def _fail(message: str) -> int:
    # A refusal may quote what it refused (a --set option, a DSN): masked like every other line.
    print(terminal(f"stackcheck: error: {message}"), file=sys.stderr)
    return int(ExitCode.USAGE)


def check_waiver_ids(profile: Profile, source: str, *, team: bool = False) -> None:
    """A waiver naming no known check would silently cover nothing: a configuration error. With a team
    suite in the run (``team``), an id in a team's namespace is its check's (a stale waiver if none is)."""
    reserved = reserved_namespaces()
    for index, waiver in enumerate(profile.waivers):
        if team and waiver.check.split(".", 1)[0] not in reserved:
            continue
        if ":" not in waiver.check and waiver.check not in REGISTRY:
            raise UsageError(
                f"{source} waivers[{index}].check: unknown check id {waiver.check!r}",
                "`stackcheck checks` lists them; scanner findings are waived as tool:RULE",
            )


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
            write_report(collector.finish(interrupted_by=_signum()), run.report_dir)

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
        return _fail(
            f"the suites did not run (pytest exit code {int(code)}); rerun with --verbose to see why"
        )
    if collector.collection_errors:
        return _fail(collector.collection_errors[0])
    if collector.usage_errors:  # a configuration mistake met while checking: exit 2, not "could not check"
        return _fail(collector.usage_errors[0])
    if not collector.report.results:  # the report says NOTHING CHECKED (exit code 2) too
        return _fail(
            f"no check ran: the suites hold no test marked with a check (pytest exit code {int(code)}); "
            f"the report in {run.report_dir} says so"
        )
    if not args.report_dir:
        point_latest(run.report_dir)
    return int(collector.report.summary.exit_code)


def _signum() -> int:
    """The signal that stopped the run (a KeyboardInterrupt outside the guard counts as SIGINT)."""
    return interrupt.received() or signal.SIGINT


def _interrupted_verify(collector: RunCollector | None, report_dir: Path) -> int:
    signum = _signum()
    report = collector.report if collector is not None else None
    if report is not None and not report.run.interrupted:
        # The signal came after the report was written (during teardown): it must not say COMPLIANT.
        write_report(mark_interrupted(report, signum), report_dir)
    name = interrupt.signal_name(signum)
    done = f"the partial report was written to {report_dir}" if report else "no report was written"
    print(f"stackcheck: interrupted by {name}; {done}", file=sys.stderr)
    return interrupt.exit_code_for(signum)


def _profile(args: argparse.Namespace) -> int:
    if args.profile_command == "validate":
        loaded = load_profile(args.file, args.overrides)
        suite_folders([], loaded.profile.suite_dirs, loaded.path)  # each must be a folder
        check_waiver_ids(loaded.profile, args.file, team=bool(loaded.profile.suite_dirs))
        sections = [s for s in PROFILE_SECTIONS if getattr(loaded.profile, s) is not None]
        manual = sum(1 for c in loaded.profile.claims if c.manual is not None)
        print(
            f"ok: {args.file} is a valid profile '{loaded.profile.name}' "
            f"(sections: {', '.join(sections) or 'none'}; {len(loaded.profile.waivers)} waiver(s); "
            f"{len(loaded.profile.claims)} claim(s), {manual} manual; sha256 {loaded.sha256[:12]})"
        )
        gaps: dict[str, list[Unarmed]] = {}
        for gap in unarmed_claims(loaded.profile):
            gaps.setdefault(gap.claim, []).append(gap)
        for claim_id, found in list(gaps.items())[:20]:
            items = ", ".join(dict.fromkeys(g.item for g in found))
            keys = " and ".join(dict.fromkeys(k for g in found for k in g.keys))
            print(
                f"warning: claim {claim_id!r} cannot be verified as written: {items} would be skipped "
                f"({found[0].reason}); set {keys}",
                file=sys.stderr,
            )
        if len(gaps) > 20:
            print(f"warning: ... and {len(gaps) - 20} more claim(s)", file=sys.stderr)
        return 0
    if args.profile_command == "schema":
        markdown = render_profile_reference(section_readers(), RUN_SECTIONS) if args.markdown else ""
        sys.stdout.write(markdown or schema_text())
        return 0
    return _fail("profile needs a subcommand: validate FILE | schema")


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
        return _fail("report merge needs the stage folders and -o OUT: report merge DIR... -o OUT")
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
        return _fail("report diff takes two report folders: report diff OLD NEW")
    old, new = (_read_folder(Path(d)) for d in args.more)
    print(terminal(f"report diff {args.more[0]} → {args.more[1]} (profile {new.profile.name})"))
    changes = compare(record_of(old), record_of(new), dt.datetime.now(dt.UTC).date())
    for line in change_lines(changes):
        print(terminal(line))
    return 0


def _record_history(args: argparse.Namespace, started: float, code: int) -> int:
    """``--history PATH``: the drift of the report this command wrote, added to its folder; its record
    appended. A command that wrote no report (a usage error) records nothing."""
    folder = written_folder(args, started)
    if folder is None:
        print(f"stackcheck: history: no report written by this run, nothing recorded in {args.history}")
        return code
    try:
        report, line = record_history(read_report(folder), Path(args.history))
        write_report(report, folder)
    except OSError as exc:
        print(f"stackcheck: history: cannot use {args.history} ({exc.strerror or exc})", file=sys.stderr)
        return code
    print(terminal(line))
    return code


def _report(args: argparse.Namespace) -> int:
    if args.dir == "merge":
        return _merge(args)
    if args.dir == "diff":
        return _diff(args)
    if args.more or args.output:
        return _fail("report takes one folder; to merge folders: report merge DIR... -o OUT")
    folder = Path(args.dir)
    if not (folder / "report.json").is_file():
        return _fail(f"{folder}/report.json not found (pass the folder a `stackcheck verify` run wrote)")
    try:
        report = read_report(folder)
    except ValueError as exc:
        first = str(exc).splitlines()[0]
        return _fail(f"{folder}/report.json cannot be read as a stackcheck.report/v1 report ({first})")
    write_report(report, folder)
    for result in report.results:
        if shown_live(result):
            print(result_line(result))
    print(render_console(report, str(folder)))
    return report.summary.exit_code


def _checks(args: argparse.Namespace) -> int:
    if args.markdown:
        sys.stdout.write(render_checks_doc())
        return 0
    groups = [(f"suite {n}", specs) for n, specs in SUITES.items()]
    groups += [(f"stackcheck {n}", specs) for n, specs in STAGE_CHECKS.items()]
    for where, specs in groups:
        for spec in specs:
            print(f"{spec.id:<36} {spec.severity:<8} {spec.title}  [{where}, needs `{spec.section}`]")
    return 0


def _unknown_command(parser: argparse.ArgumentParser, argv: Sequence[str]) -> str | None:
    """The one line for a mistyped subcommand (``stackcheck verfy``), with the closest command."""
    words = [a for a in argv if not a.startswith("-")]
    if not words or any(a in ("-h", "--help", "--version") for a in argv[: argv.index(words[0])]):
        return None
    commands = [
        name
        for action in parser._actions
        if isinstance(action, argparse._SubParsersAction)
        for name in action.choices
    ]
    if words[0] in commands:
        return None
    return (
        f"unknown command {words[0]!r}{did_you_mean(words[0], commands)} "
        f"(commands: {', '.join(commands)}; stackcheck --help)"
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``stackcheck`` console script; returns the exit code."""
    parser = _parser()
    argv = list(sys.argv[1:] if argv is None else argv)
    unknown = _unknown_command(parser, argv)
    if unknown:
        return _fail(unknown)
    args = parser.parse_args(argv)
    handlers = {"verify": verify_command, "profile": _profile, "report": _report, "checks": _checks}
    if args.command is None:
        parser.print_help()
        return int(ExitCode.USAGE)
    if args.command == "verify" or args.command in STAGE_COMMANDS:
        # SIGTERM and SIGHUP (CI cancellation, `timeout`) end a run as Ctrl-C does (stackcheck.interrupt).
        with interrupt.guard(ends_process=True):
            started = time.time()
            if args.command not in HISTORY_COMMANDS:
                return _run_command(args, handlers)
            try:
                with command_output(args, started):
                    code = _run_command(args, handlers)
                    if getattr(args, "history", None):
                        code = _record_history(args, started, code)
            except UsageError as exc:  # an output option that cannot be honoured: nothing ran
                return _fail(str(exc))
            return code
    return _run_command(args, handlers)


_Handler = Callable[[argparse.Namespace], int]


def _run_command(args: argparse.Namespace, handlers: Mapping[str, _Handler]) -> int:
    try:
        if args.command in STAGE_COMMANDS:
            return int(
                importlib.import_module(STAGE_COMMANDS[args.command]).run(
                    args, Settings.from_environ(frameworks=getattr(args, "framework", ()))
                )
            )
        return handlers[args.command](args)
    except StackcheckError as exc:
        return _fail(str(exc))
    except KeyboardInterrupt:
        signum = _signum()
        print(f"stackcheck: interrupted by {interrupt.signal_name(signum)}", file=sys.stderr)
        return interrupt.exit_code_for(signum)
    except BrokenPipeError:
        # `stackcheck checks | head`: the reader left; say nothing more.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


if __name__ == "__main__":
    sys.exit(main())
