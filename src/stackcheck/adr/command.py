"""``stackcheck adr draft ADR.md [MORE.md ...] [-o PROFILE] [--name NAME] [--env ENV]``.

Writes the draft profile to stdout (or ``-o``) and a one-line report to stderr. Exit codes: 0 drafted,
2 a document is missing or unreadable (one line naming it).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from stackcheck._exceptions import UsageError
from stackcheck.adr.draft import draft
from stackcheck.adr.model import ENVIRONMENTS
from stackcheck.adr.render import render_draft, summary_line
from stackcheck.settings import Settings

__all__ = ["DESCRIPTION", "HELP", "add_arguments", "run"]

HELP = "draft a profile from architecture decision records (ADRs)"
DESCRIPTION = "Draft a profile from architecture documents: `stackcheck adr draft ADR.md [...]`."
DRAFT_DESCRIPTION = """\
Read ADRs (Markdown or plain text: prose, lists, tables, and YAML, compose, HCL, SQL and Dockerfile
blocks) and write a draft profile: every key it sets names the claim it came from (the sentence, quoted,
with file:line), and every other sentence that reads as a claim is listed as manual, with the reason no
check can verify it. Deterministic and offline: rules, no model; nothing is invented. Review the draft
(docs/adr.md), then `stackcheck profile validate` and `stackcheck verify` it.
"""
DRAFT_EPILOG = """\
examples:
  stackcheck adr draft docs/adr/0007-runtime.md -o quayside.yaml
  stackcheck adr draft docs/adr/*.md --name quayside-staging --env staging > staging.yaml

exit codes:
  0  the draft was written
  2  a document is missing or unreadable, or the output cannot be written
"""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The ``adr`` subcommands (one today: ``draft``)."""
    sub = parser.add_subparsers(dest="adr_command", metavar="SUBCOMMAND")
    drafting = sub.add_parser(
        "draft",
        help="draft a profile from ADRs (every key traced to its sentence)",
        description=DRAFT_DESCRIPTION,
        epilog=DRAFT_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    drafting.add_argument("documents", nargs="+", metavar="ADR.md", help="architecture documents, in order")
    drafting.add_argument("-o", "--output", metavar="PROFILE", help="write the draft here (default: stdout)")
    drafting.add_argument("--name", help="profile name (default: the first document's file name)")
    drafting.add_argument(
        "--env",
        choices=ENVIRONMENTS,
        default="production",
        help="environment to draft for: claims of another one are listed as manual (default: production)",
    )


def run(args: argparse.Namespace, settings: Settings) -> int:
    """Draft, write, report; a usage error is raised for the CLI to print as one line (exit 2).

    ``settings`` (what every stage command is given) is not read: a draft depends on the documents only.
    """
    del settings
    if getattr(args, "adr_command", None) != "draft":
        raise UsageError("adr needs a subcommand", "stackcheck adr draft ADR.md [MORE.md ...] [-o PROFILE]")
    result = draft([Path(d) for d in args.documents], args.env, args.name)
    text = render_draft(result)
    if args.output:
        try:
            Path(args.output).write_text(text, encoding="utf-8")
        except OSError as exc:
            raise UsageError(f"-o {args.output}: cannot be written ({exc.strerror or exc})") from None
    else:
        sys.stdout.write(text)
    done = f"; wrote {args.output}" if args.output else ""
    print(summary_line(result) + done, file=sys.stderr)
    return 0
