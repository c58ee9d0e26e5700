"""``stackcheck adr draft ADR.md [MORE.md ...] [-o PROFILE] [--name NAME] [--env ENV]``.

Writes the draft profile to stdout (or ``-o``) and a one-line report to stderr. Exit codes: 0 drafted,
2 a document is missing or unreadable (one line naming it).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from stackcheck._exceptions import UsageError
from stackcheck.adr.args import DESCRIPTION, HELP, add_arguments
from stackcheck.adr.draft import draft
from stackcheck.adr.render import render_draft, summary_line
from stackcheck.settings import Settings

__all__ = ["DESCRIPTION", "HELP", "add_arguments", "run"]


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
