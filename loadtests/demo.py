"""The load stage on the embedded default (``nox -s load`` without arguments).

Starts the bundled reference service on a free loopback port and runs ``stackcheck load`` against it
with ``loadtests/profiles/demo.yaml``; exits with stackcheck's exit code.

    python -m loadtests.demo [--defect SPEC ...] [stackcheck load options ...]

``--defect slow=/health/ready:300`` makes the p95 gate fail; ``--defect failing=/freshness`` the error ratio.
"""

from __future__ import annotations

import argparse
import sys

from fixtures.refservice import RefService
from fixtures.refservice.runner import REPO_ROOT
from stackcheck.cli import main as stackcheck_main

PROFILE = REPO_ROOT / "loadtests" / "profiles" / "demo.yaml"


def main(argv: list[str] | None = None) -> int:
    """Run the demo; unknown options are passed on to ``stackcheck load``."""
    parser = argparse.ArgumentParser(
        prog="nox -s load --",
        description="Start the reference service and load-test it with the demo load profile.",
    )
    parser.add_argument("--defect", action="append", default=[], help="switch a reference-service defect on")
    args, rest = parser.parse_known_args(argv)
    with RefService(PROFILE, defects=args.defect) as service:
        shown = f" with defect(s) {', '.join(args.defect)}" if args.defect else ""
        print(f"reference service up at {service.url}{shown}", flush=True)
        return stackcheck_main(
            ["load", "--profile", str(PROFILE.relative_to(REPO_ROOT)), "--target", service.url, *rest]
        )


if __name__ == "__main__":
    sys.exit(main())
