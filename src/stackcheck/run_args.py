"""The options of ``stackcheck run``: what ``run --help`` and the parser need, and nothing heavy.

Parsing the command line imports this module alone; :mod:`stackcheck.run_command` (every stage's engine)
is imported once the arguments are parsed (issue 17, start-up).
"""

from __future__ import annotations

import argparse

from stackcheck.settings import add_options

__all__ = ["DESCRIPTION", "HELP", "add_arguments"]

HELP = "run every stage the profile configures (scan, verify, load) and write ONE report folder"
DESCRIPTION = """\
Run every stage the profile configures, static first and load last, and write one report folder whose
report.json, junit.xml, results.sarif, summary.md and index.html cover all of them:

  scan    when the profile has a scan: section (stackcheck scan)
  verify  when it has a section a suite checks (health, headers, tls, postgres, ...) or suite_dirs
  load    when it has load: or slo: and a target URL (stackcheck load)

The claims of the profile are judged over every stage's results: a claim verified by a scan check and a
verify check is verified only when both ran and passed. Each stage's own report stays in
DIR/stages/<stage>/. Stages that ran in different CI jobs are merged the same way afterwards with
`stackcheck report merge DIR... -o OUT`.

examples:
  stackcheck run --profile staging.yaml --target http://127.0.0.1:8080
  stackcheck run --profile staging.yaml --target http://127.0.0.1:8080 --report-dir out/nightly
  stackcheck run --profile stack.yaml --infra docker --set load.duration_s=10
"""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of ``stackcheck run``: verify's, and the few of scan and load a whole run needs."""
    add_options(parser.add_argument, required=frozenset({"profile"}))
    parser.add_argument(
        "--suite-dir",
        dest="suite_dir",
        action="append",
        default=[],
        metavar="DIR",
        help="also run the team's own suite in DIR (repeatable; as for verify)",
    )
    parser.add_argument(
        "--processes",
        type=int,
        metavar="N",
        help="Locust worker processes of the load stage (as for load; 0 = a single process)",
    )
    parser.add_argument(
        "--install-tools",
        action="store_true",
        help="install missing scanners into the tool cache before the scan stage",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="show pytest's own output too")
