"""A suite module an absent extra keeps from loading (stackcheck.absent_extras), driven with pytester.

Absence is simulated with ``sys.modules[name] = None`` (the seam); tests/integration/test_wheel.py runs the
real thing, from a venv with the core alone.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

import stackcheck.absent_extras
import stackcheck.plugin
import stackcheck.service_fixtures  # in the snapshot pytester's in-process runs restore
from stackcheck.absent_extras import marked_checks
from stackcheck.catalog import SUITES, SuiteName
from stackcheck.extras import missing_message

SUITES_DIR = Path(__file__).resolve().parents[2] / "suites"


def test_a_builtin_suite_without_its_extra_errors_on_what_the_profile_asks_and_skips_the_rest(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "redis", None)
    pytester.makefile(".yaml", profile="name: acme\nredis: {version: '>=7', url: 'redis://127.0.0.1:1'}\n")
    result = pytester.runpytest(
        str(SUITES_DIR / "redis"),
        "-c",
        str(SUITES_DIR / "pytest.ini"),
        "--rootdir",
        str(SUITES_DIR),
        "-p",
        "no:cacheprovider",
        "--stackcheck-profile",
        str(pytester.path / "profile.yaml"),
        "--stackcheck-report-dir",
        str(pytester.path / "out"),
    )
    report = json.loads((pytester.path / "out" / "report.json").read_text())
    statuses = {r["id"]: (r["status"], r["message"]) for r in report["results"]}
    assert set(statuses) == {spec.id for spec in SUITES[SuiteName.REDIS]}
    assert statuses["redis.version"] == ("error", missing_message("redis"))
    assert {r["error_reason"] for r in report["results"] if r["status"] == "error"} == {"tool_missing"}
    assert statuses["redis.eviction"][0] == "skipped"  # not asked by the profile: as without the extra
    assert "failed" not in {status for status, _ in statuses.values()}
    assert result.ret != 0


def test_a_team_module_without_the_extra_is_a_load_error_naming_it(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "psycopg", None)
    pytester.makefile(".yaml", profile="name: acme\n")
    pytester.makepyfile(test_team="import psycopg\n\ndef test_x():\n    pass\n")
    result = pytester.runpytest(
        "-p", "no:cacheprovider", "--stackcheck-profile", "profile.yaml", "--stackcheck-report-dir", "out"
    )
    assert result.ret == pytest.ExitCode.INTERRUPTED  # pytest's own code for a module it cannot load
    assert missing_message("psycopg") in result.stdout.str()  # the collection error is the one line
    assert stackcheck.absent_extras.SuiteModule and stackcheck.plugin.COLLECTOR


def test_the_checks_each_suite_module_implements_are_read_from_its_source() -> None:
    # What a module an absent extra keeps from loading would have checked: every check of every suite,
    # each from the module that marks it (a new marking pattern must keep this mapping complete).
    for suite, specs in SUITES.items():
        read = [s.id for p in sorted((SUITES_DIR / suite).glob("test_*.py")) for s in marked_checks(p)]
        assert sorted(read) == sorted(spec.id for spec in specs), suite
