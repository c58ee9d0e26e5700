"""``python -m stackcheck.scan.tools install|status [TOOL ...]``: every registered scanner's tool.

``install`` puts each tool into stackcheck's tool cache (idempotently: a stamp file records the version;
Python scanners get a venv each, Go scanners are built from their pinned module under ``tools/<name>/``);
``status`` shows where each tool would come from (``$STACKCHECK_<TOOL>``, the tool cache, or ``PATH``).
The tools are those of :data:`stackcheck.scan.registry.SCANNERS` plus the drills' fault injector (toxiproxy,
:mod:`stackcheck.infra.toxiproxy`); see :mod:`stackcheck.scan.toolcache`.
"""

from __future__ import annotations

import argparse
import subprocess
import sys

from stackcheck._exceptions import CouldNotCheck
from stackcheck.infra import toxiproxy
from stackcheck.scan.registry import SCANNERS
from stackcheck.scan.toolcache import ToolSpec, install, locate
from stackcheck.settings import Settings

__all__ = ["TOOLS", "main"]

#: Every tool stackcheck installs: each scanner's, then the drills' (one line each).
TOOLS: dict[str, ToolSpec] = {
    **{str(name): scanner.tool for name, scanner in SCANNERS.items()},
    toxiproxy.TOOL.name: toxiproxy.TOOL,
}


def main(argv: list[str] | None = None, settings: Settings | None = None) -> int:
    """Install or locate the named tools (default: every scanner's); 3 when one is missing."""
    parser = argparse.ArgumentParser(prog="python -m stackcheck.scan.tools", description=__doc__)
    parser.add_argument("action", choices=("install", "status"))
    parser.add_argument("tools", nargs="*", metavar="TOOL", help=f"default: all ({', '.join(TOOLS)})")
    args = parser.parse_args(argv)
    known = list(TOOLS)
    unknown = [t for t in args.tools if t not in known]
    if unknown:
        parser.error(f"unknown tool {unknown[0]!r} (known: {', '.join(known)})")
    # A command line of its own: it reads the environment once, here.
    settings = settings or Settings.from_environ()
    code = 0
    for name in args.tools or known:
        spec = TOOLS[name]
        try:
            path = install(spec, settings) if args.action == "install" else locate(spec, settings)
            print(f"{name:<15} {spec.version:<8} {path}")
        except (CouldNotCheck, subprocess.CalledProcessError) as exc:
            print(f"{name:<15} {spec.version:<8} MISSING: {exc}", file=sys.stderr)
            code = 3
    return code


if __name__ == "__main__":
    sys.exit(main())
