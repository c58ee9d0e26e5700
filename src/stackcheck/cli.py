"""The ``stackcheck`` command line (SPEC §4). Exit codes: 0 ok, 1 failed, 2 usage, 3 could not check;
a run stopped by a signal: 128 + its number (130 SIGINT, 143 SIGTERM, 129 SIGHUP), see
:mod:`stackcheck.interrupt`.

Start-up: the arguments are parsed before anything heavy is imported. Only the chosen command's
subparser gets its options (building ``scan``'s imports the scanners, ``verify``'s the catalog), and each
command imports what it needs when it runs: ``--version`` and ``--help`` import argparse alone,
``checks`` the catalog, ``profile validate`` the profile models; pytest, the service clients and the
scanners are imported by the commands that use them (docs/benchmarks.md, Start-up;
tests/unit/test_startup_imports.py).
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING

from stackcheck import __version__
from stackcheck._exceptions import StackcheckError, UsageError

if TYPE_CHECKING:
    from stackcheck.profile import Profile

__all__ = ["check_waiver_ids", "fail", "main", "stopping_signal"]

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


_FORMAT = argparse.RawDescriptionHelpFormatter
_SubParsers = argparse._SubParsersAction

#: The commands that take ``--history`` (each writes one report folder).
HISTORY_COMMANDS = ("verify", "run", "scan", "load")

# Further stages, one line each: subcommand → module with run(args, settings) -> exit code. Imported only
# when that command runs, after its arguments are parsed.
STAGE_COMMANDS: dict[str, str] = {
    "run": "stackcheck.run_command",
    "scan": "stackcheck.scan.command",
    "load": "stackcheck.load.command",
    "adr": "stackcheck.adr.command",
}
# Each stage's options: a light module with HELP, DESCRIPTION and add_arguments(parser), so that parsing
# (and `scan --help`) imports no engine; the command module above re-exports them.
STAGE_ARGS: dict[str, str] = {
    "run": "stackcheck.run_args",
    "scan": "stackcheck.scan.args",
    "load": "stackcheck.load.args",
    "adr": "stackcheck.adr.args",
}

#: Every command's line in ``stackcheck --help``, in that order. A stage's line is its module's ``HELP``
#: (tests/unit/test_startup_imports.py holds them equal), written here so that listing the commands imports
#: none of them.
COMMAND_HELP: dict[str, str] = {
    "verify": "run the verification suites against a target",
    "profile": "validate a profile or print its JSON Schema",
    "report": "re-render a finished run's report folder and print its verdict, or merge stage folders",
    "checks": "list every check id with its title",
    "run": "run every stage the profile configures (scan, verify, load) and write ONE report folder",
    "scan": "run the static scans (checkov, bandit, detect-secrets, trivy, actionlint) and write a report "
    "folder",
    "load": "run a bounded load test (Locust) and gate on the profile's slo: (p95, p99, error ratio, "
    "throughput)",
    "adr": "draft a profile from architecture decision records (ADRs)",
}


def _parser(command: str | None = None) -> argparse.ArgumentParser:
    """The command line, with the options of ``command`` only (every other command is listed with its
    help line, its options unbuilt: ``stackcheck X --help`` builds X's)."""
    parser = argparse.ArgumentParser(
        prog="stackcheck", description=DESCRIPTION, epilog=EPILOG, formatter_class=_FORMAT
    )
    parser.add_argument("--version", action="version", version=f"stackcheck {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, line in COMMAND_HELP.items():
        command_parser = sub.add_parser(name, help=line, formatter_class=_FORMAT)
        if name == command:
            _FILL.get(name, _add_stage)(command_parser, name)
    return parser


def _add_verify(verify: argparse.ArgumentParser, _name: str) -> None:
    from stackcheck.catalog import SUITES
    from stackcheck.output import add_output_options
    from stackcheck.settings import HISTORY_OPTION, add_option, add_options

    verify.description = "Run the suites against a target and write a report folder."
    verify.epilog = EPILOG
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


def _add_profile(profile: argparse.ArgumentParser, _name: str) -> None:
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


def _add_report(report: argparse.ArgumentParser, _name: str) -> None:
    report.description = REPORT_DESCRIPTION
    report.usage = (
        "stackcheck report DIR\n       stackcheck report merge DIR... -o OUT\n"
        "       stackcheck report diff OLD NEW"
    )
    report.add_argument(
        "dir", metavar="DIR", help="a report folder, or `merge` followed by folders, or `diff` OLD NEW"
    )
    report.add_argument("more", nargs="*", default=[], metavar="DIR", help="report merge: the stage folders")
    report.add_argument("-o", "--output", metavar="OUT", help="report merge: the folder to write")


def _add_checks(checks: argparse.ArgumentParser, _name: str) -> None:
    checks.add_argument("--markdown", action="store_true", help="print docs/checks.md")


def _add_stage(stage_parser: argparse.ArgumentParser, name: str) -> None:
    stage = importlib.import_module(STAGE_ARGS[name])
    stage_parser.description = stage.DESCRIPTION
    stage_parser.epilog = EPILOG
    stage.add_arguments(stage_parser)
    if name in HISTORY_COMMANDS:
        from stackcheck.output import add_output_options
        from stackcheck.settings import HISTORY_OPTION, add_option

        add_option(stage_parser.add_argument, HISTORY_OPTION)
        add_output_options(stage_parser.add_argument)


_FILL: dict[str, Callable[[argparse.ArgumentParser, str], None]] = {
    "verify": _add_verify,
    "profile": _add_profile,
    "report": _add_report,
    "checks": _add_checks,
}


def fail(message: str) -> int:
    """Print the one line of a usage error (masked like every other line) and return exit code 2."""
    from stackcheck.redact import Redactor
    from stackcheck.report.sanitize import one_line

    # A refusal may quote what it refused (a --set option, a DSN): masked like every other line.
    print(one_line(Redactor().text(f"stackcheck: error: {message}")), file=sys.stderr)
    return 2  # ExitCode.USAGE (stackcheck.report.model): not imported for one number


def check_waiver_ids(profile: Profile, source: str, *, team: bool = False) -> None:
    """A waiver naming no known check would silently cover nothing: a configuration error. With a team
    suite in the run (``team``), an id in a team's namespace is its check's (a stale waiver if none is)."""
    if not profile.waivers:
        return
    from stackcheck.catalog import REGISTRY, reserved_namespaces

    reserved = reserved_namespaces()
    for index, waiver in enumerate(profile.waivers):
        if team and waiver.check.split(".", 1)[0] not in reserved:
            continue
        if ":" not in waiver.check and waiver.check not in REGISTRY:
            raise UsageError(
                f"{source} waivers[{index}].check: unknown check id {waiver.check!r}",
                "`stackcheck checks` lists them; scanner findings are waived as tool:RULE",
            )


def stopping_signal() -> int:
    """The signal that stopped the run (a KeyboardInterrupt outside the guard counts as SIGINT)."""
    import signal

    from stackcheck import interrupt

    return interrupt.received() or signal.SIGINT


def _verify(args: argparse.Namespace) -> int:
    from stackcheck.verify_command import verify_command

    return verify_command(args)


def _profile(args: argparse.Namespace) -> int:
    if args.profile_command == "validate":
        return _validate(args)
    if args.profile_command == "schema":
        from stackcheck.catalog.readers import RUN_SECTIONS, section_readers
        from stackcheck.profile import render_profile_reference
        from stackcheck.profile.schema import schema_text

        markdown = render_profile_reference(section_readers(), RUN_SECTIONS) if args.markdown else ""
        sys.stdout.write(markdown or schema_text())
        return 0
    return fail("profile needs a subcommand: validate FILE | schema")


def _validate(args: argparse.Namespace) -> int:
    from stackcheck.claims import Unarmed, unarmed_claims
    from stackcheck.profile import PROFILE_SECTIONS, load_profile
    from stackcheck.team import suite_folders

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


def _report(args: argparse.Namespace) -> int:
    from stackcheck.report_command import report_command

    return report_command(args)


def _checks(args: argparse.Namespace) -> int:
    from stackcheck.catalog import STAGE_CHECKS, SUITES, render_checks_doc

    if args.markdown:
        sys.stdout.write(render_checks_doc())
        return 0
    groups = [(f"suite {n}", specs) for n, specs in SUITES.items()]
    groups += [(f"stackcheck {n}", specs) for n, specs in STAGE_CHECKS.items()]
    for where, specs in groups:
        for spec in specs:
            print(f"{spec.id:<36} {spec.severity:<8} {spec.title}  [{where}, needs `{spec.section}`]")
    return 0


def _command_word(argv: Sequence[str]) -> str | None:
    """The subcommand ``argv`` names: its first word that is not an option (the top level has no option
    taking a value), or ``None``."""
    return next((a for a in argv if not a.startswith("-")), None)


def _unknown_command(argv: Sequence[str]) -> str | None:
    """The one line for a mistyped subcommand (``stackcheck verfy``), with the closest command."""
    word = _command_word(argv)
    if word is None or any(a in ("-h", "--help", "--version") for a in argv[: list(argv).index(word)]):
        return None
    if word in COMMAND_HELP:
        return None
    from stackcheck.suggest import did_you_mean

    commands = list(COMMAND_HELP)
    return (
        f"unknown command {word!r}{did_you_mean(word, commands)} "
        f"(commands: {', '.join(commands)}; stackcheck --help)"
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``stackcheck`` console script; returns the exit code."""
    argv = list(sys.argv[1:] if argv is None else argv)
    unknown = _unknown_command(argv)
    if unknown:
        return fail(unknown)
    parser = _parser(_command_word(argv))
    args = parser.parse_args(argv)
    handlers = {"verify": _verify, "profile": _profile, "report": _report, "checks": _checks}
    if args.command is None:
        parser.print_help()
        return 2  # ExitCode.USAGE
    if args.command == "verify" or args.command in STAGE_COMMANDS:
        return _stage(args, handlers)
    return _run_command(args, handlers)


_Handler = Callable[[argparse.Namespace], int]


def _stage(args: argparse.Namespace, handlers: Mapping[str, _Handler]) -> int:
    """A command that runs checks: under the signal guard, with its output options and --history."""
    import time

    from stackcheck import interrupt
    from stackcheck.output import command_output

    # SIGTERM and SIGHUP (CI cancellation, `timeout`) end a run as Ctrl-C does (stackcheck.interrupt).
    with interrupt.guard(ends_process=True):
        started = time.time()
        if args.command not in HISTORY_COMMANDS:
            return _run_command(args, handlers)
        try:
            with command_output(args, started):
                code = _run_command(args, handlers)
                if getattr(args, "history", None):
                    from stackcheck.report_command import record_history

                    code = record_history(args, started, code)
        except UsageError as exc:  # an output option that cannot be honoured: nothing ran
            return fail(str(exc))
        return code


def _run_command(args: argparse.Namespace, handlers: Mapping[str, _Handler]) -> int:
    try:
        if args.command in STAGE_COMMANDS:
            from stackcheck.settings import Settings

            return int(
                importlib.import_module(STAGE_COMMANDS[args.command]).run(
                    args, Settings.from_environ(frameworks=getattr(args, "framework", ()))
                )
            )
        return handlers[args.command](args)
    except StackcheckError as exc:
        return fail(str(exc))
    except KeyboardInterrupt:
        from stackcheck import interrupt

        signum = stopping_signal()
        print(f"stackcheck: interrupted by {interrupt.signal_name(signum)}", file=sys.stderr)
        return interrupt.exit_code_for(signum)
    except BrokenPipeError:
        # `stackcheck checks | head`: the reader left; say nothing more.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


if __name__ == "__main__":
    sys.exit(main())
