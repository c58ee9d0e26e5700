"""The options of ``stackcheck adr``: what ``adr --help`` and the parser need, and nothing heavy.

Parsing the command line imports this module alone; :mod:`stackcheck.adr.command` (the drafting rules,
the profile models) is imported once the arguments are parsed (issue 17, start-up).
"""

from __future__ import annotations

import argparse
from typing import Literal, TypeAlias

__all__ = [
    "DESCRIPTION",
    "DRAFT_DESCRIPTION",
    "DRAFT_EPILOG",
    "ENVIRONMENTS",
    "HELP",
    "Environment",
    "add_arguments",
]

Environment: TypeAlias = Literal["development", "staging", "production"]
ENVIRONMENTS: tuple[Environment, ...] = ("development", "staging", "production")

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
