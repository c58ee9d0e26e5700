"""The options of ``stackcheck load``: what ``load --help`` and the parser need, and nothing heavy.

Parsing the command line imports this module alone; :mod:`stackcheck.load.command` (Locust's runner, the
gate, the report) is imported once the arguments are parsed (issue 17, start-up).
"""

from __future__ import annotations

import argparse

from stackcheck.settings import FRAMEWORK_OPTION, add_option, add_set_option

__all__ = ["DESCRIPTION", "HELP", "add_arguments"]

HELP = "run a bounded load test (Locust) and gate on the profile's slo: (p95, p99, error ratio, throughput)"
DESCRIPTION = """\
Send a bounded load to the target with Locust and check the profile's slo: against what was measured:
load.p95, load.p99, load.error_ratio, load.throughput. The load's shape comes from the profile's load:
section (users, spawn_rate, duration_s, endpoints, model, target_rps); --set changes it for one run.

The default "paced" model sends requests on a schedule whether or not the target keeps up, and counts
latency from the scheduled time, so a stalling target cannot hide its stalls (docs/load.md).
Locust runs in processes of its own: a master and one worker per CPU core (--processes N to change;
0 = one process). Load goes only to loopback addresses unless --allow-remote is given.
"""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of ``stackcheck load``."""
    parser.add_argument("--profile", required=True, metavar="FILE", help="profile YAML with slo: and load:")
    parser.add_argument("--target", metavar="URL", help="base URL of the service (overrides target.base_url)")
    add_set_option(parser.add_argument, "--set load.users=20 --set slo.p95_ms=150")
    parser.add_argument(
        "--report-dir", metavar="DIR", help="where to write the report (default: reports/out/...)"
    )
    parser.add_argument(
        "--allow-remote", action="store_true", help="allow load against a non-loopback target (you own it)"
    )
    parser.add_argument(
        "--processes",
        type=int,
        metavar="N",
        help="Locust worker processes on this machine (default: load.processes, else one per CPU core; "
        "0 = a single process without a master)",
    )
    parser.add_argument(
        "--expect-workers",
        type=int,
        default=0,
        metavar="N",
        help="also wait for N workers started on other machines with --worker-of (distributed mode)",
    )
    parser.add_argument(
        "--master-bind",
        metavar="HOST:PORT",
        help="address the Locust master listens on for workers (default 127.0.0.1 and a free port)",
    )
    parser.add_argument(
        "--worker-of",
        metavar="HOST:PORT",
        help="run only Locust worker processes for a master started elsewhere with --expect-workers",
    )
    add_option(parser.add_argument, FRAMEWORK_OPTION)
