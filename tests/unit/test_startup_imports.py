"""The light commands import only what they need (issue 17): argparse first, the heavy parts on demand.

Each command runs in a fresh interpreter (a subprocess of this Python), which then lists the heavy modules
it ended up importing. An outcome, not a timing: the benchmark (benchmarks/bench_startup.py) times it.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from stackcheck.cli import COMMAND_HELP

HEAVY = ("pytest", "psycopg", "testcontainers", "docker", "sslyze", "locust", "schemathesis", "redis")
PROFILE = Path(__file__).resolve().parents[2] / "policies" / "profiles" / "demo.yaml"

PROBE = """
import contextlib, io, json, sys
from stackcheck.cli import main
out = io.StringIO()
with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
    try:
        code = main(sys.argv[1:])
    except SystemExit as stop:
        code = stop.code
heavy = sorted(m for m in sys.modules if m.split(".")[0] in HEAVY)
pydantic = "pydantic" in sys.modules
print(json.dumps({"code": code, "heavy": heavy, "pydantic": pydantic, "out": out.getvalue()[-400:]}))
"""


def _imports(*argv: str) -> dict[str, object]:
    code = f"HEAVY = {HEAVY!r}\n{PROBE}"
    done = subprocess.run(
        [sys.executable, "-c", code, *argv], capture_output=True, text=True, timeout=120, check=False
    )
    assert done.returncode == 0, done.stderr[-2000:]
    result: dict[str, object] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


@pytest.mark.parametrize(
    "argv",
    [
        ("--version",),
        ("--help",),
        ("checks",),
        ("profile", "validate", str(PROFILE)),
        ("verify", "--help"),
        ("report", "--help"),
        ("scan", "--help"),
        ("load", "--help"),
        ("run", "--help"),
        ("adr", "draft", "--help"),
    ],
    ids=lambda argv: " ".join(argv[:2]).replace(str(PROFILE), "PROFILE"),
)
def test_a_light_command_imports_none_of_the_heavy_parts(argv: tuple[str, ...]) -> None:
    result = _imports(*argv)
    assert result["code"] in (0, None), result["out"]
    assert result["heavy"] == [], f"{' '.join(argv)} imported {result['heavy']}"


@pytest.mark.parametrize(
    "argv",
    [
        ("--help",),
        ("checks",),
        ("verify", "--help"),
        ("scan", "--help"),
        ("load", "--help"),
        ("run", "--help"),
    ],
    ids=" ".join,
)
def test_listing_checks_and_help_build_no_pydantic_model(argv: tuple[str, ...]) -> None:
    # The catalog is plain dataclasses and each stage's options live in a light module (scan/args.py, ...):
    # none of these imports pydantic, so none builds the profile's models.
    result = _imports(*argv)
    assert result["code"] in (0, None), result["out"]
    assert result["pydantic"] is False, f"{' '.join(argv)} imported pydantic"


def test_the_scan_help_names_the_registry_s_scanners() -> None:
    from stackcheck.scan.args import SCANNER_NAMES
    from stackcheck.scan.registry import SCANNERS

    assert tuple(str(name) for name in SCANNERS) == SCANNER_NAMES


def test_the_command_list_repeats_each_stage_modules_own_help_line() -> None:
    # The top-level list is built without importing the stages; their own HELP is the source.
    from stackcheck.adr.command import HELP as ADR
    from stackcheck.load.command import HELP as LOAD
    from stackcheck.run_command import HELP as RUN
    from stackcheck.scan.command import HELP as SCAN

    assert COMMAND_HELP["scan"] == SCAN
    assert COMMAND_HELP["load"] == LOAD
    assert COMMAND_HELP["run"] == RUN
    assert COMMAND_HELP["adr"] == ADR
