"""The options of ``stackcheck scan``: what ``scan --help`` and the parser need, and nothing heavy.

Parsing the command line imports this module alone; :mod:`stackcheck.scan.command` (the scanners, the
report) is imported once the arguments are parsed (issue 17, start-up).
"""

from __future__ import annotations

import argparse

from stackcheck.settings import FRAMEWORK_OPTION, add_option, add_set_option

__all__ = ["DESCRIPTION", "HELP", "SCANNER_NAMES", "add_arguments"]

#: The registry's scanners by name, in its order (tests/unit/test_startup_imports.py holds them equal to
#: :data:`stackcheck.scan.registry.SCANNERS`), written here so that ``--help`` imports no scanner.
SCANNER_NAMES = ("checkov", "bandit", "detect-secrets", "trivy", "actionlint")

HELP = f"run the static scans ({', '.join(SCANNER_NAMES)}) and write a report folder"
DESCRIPTION = f"""\
Scan IaC, code, images and the repository for what the profile's `scan:` section asks. The scanners
({", ".join(SCANNER_NAMES)}) run side by side within a core budget, offline; checkov with stackcheck's custom
policies. In a git work tree they read what the repository tracks; unchanged inputs are answered from the
result cache (--no-cache: run every scanner).
Findings go to report.json findings[] and results.sarif; every secret is redacted; profile waivers cover
findings (check: tool:RULE, subject: file glob) and checks alike. PATH arguments replace the profile's paths.
"""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of ``stackcheck scan``."""
    parser.add_argument(
        "--profile", required=True, metavar="FILE", help="profile YAML with a `scan:` section"
    )
    parser.add_argument(
        "paths", nargs="*", metavar="PATH", help="files/folders to scan instead of the profile's"
    )
    parser.add_argument("--report-dir", metavar="DIR", help="default: reports/out/<profile>-scan-<UTC time>")
    add_set_option(parser.add_argument, "--set scan.fail_on=high")
    parser.add_argument(
        "--install-tools",
        action="store_true",
        help="install missing scanners into the tool cache first (needs the package registries)",
    )
    parser.add_argument(
        "--no-cache",
        action="store_true",
        help="run every scanner, ignoring and not updating the result cache ($STACKCHECK_SCAN_CACHE, "
        "default ~/.cache/stackcheck/scan)",
    )
    add_option(parser.add_argument, FRAMEWORK_OPTION)
