"""The pytest plugin, driven with pytester: outcomes, section skips, waivers and the report folder."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

# Loaded before pytester's in-process runs take their sys.modules snapshot: stackcheck.pytest_entry imports
# the plugin only in an active run, and a plugin re-imported per run would hold another catalog's specs.
import stackcheck.catalog
import stackcheck.plugin  # noqa: F401

SUITE = """
import pytest
from stackcheck import CouldNotCheck
from stackcheck.catalog import health
from stackcheck.outcomes import ErrorReason

@pytest.mark.check(health.LIVE)
def test_passes(evidence):
    evidence.record(expected="2xx", observed=200)
    evidence.message = "GET /health/live -> 200"

@pytest.mark.check(health.READY)
def test_assertion_means_failed(evidence):
    evidence.record(expected="2xx", observed=503)
    assert 503 < 300, "GET /health/ready answered 503, not 2xx"

@pytest.mark.check(health.STARTUP)
def test_could_not_check_means_error():
    raise CouldNotCheck("cannot connect to 127.0.0.1:9: connection refused", ErrorReason.UNREACHABLE)

@pytest.mark.check(health.EXTRA)
def test_connection_error_means_error():
    raise ConnectionRefusedError(111, "Connection refused")

@pytest.mark.check(health.LATENCY)
def test_unexpected_exception_is_error_not_failed():
    raise KeyError("bug in a suite")
"""


def run_active(
    pytester: pytest.Pytester, profile: str, suite: str, *args: str
) -> tuple[int, dict[str, Any], pytest.RunResult]:
    """Run ``suite`` (as ``test_suite.py``) with ``profile``, the plugin active; its report folder ``out``."""
    pytester.makefile(".yaml", profile=profile)
    pytester.makepyfile(test_suite=suite)
    result = pytester.runpytest(
        "-p",
        "no:cacheprovider",
        "--stackcheck-profile",
        "profile.yaml",
        "--stackcheck-report-dir",
        "out",
        *args,
    )
    report = json.loads((pytester.path / "out" / "report.json").read_text())
    return int(result.ret), report, result


def run(
    pytester: pytest.Pytester, profile: str, suite: str = SUITE, *args: str
) -> tuple[int, dict[str, Any]]:
    code, report, _ = run_active(pytester, profile, suite, *args)
    return code, report


def statuses(report: dict[str, Any]) -> dict[str, str]:
    return {r["id"]: r["status"] for r in report["results"]}


CLAIMS = """
claims:
  - {id: live, text: "Liveness answers 200", source: "adr/1.md:3", verified_by: [health.live]}
  - {id: ready, text: "Readiness answers 200", source: "adr/0001.md:4", verified_by: [health.ready]}
  - {id: probes, text: "Every probe answers", source: "adr/0001.md:5", verified_by: [health]}
  - {id: cost, text: "Hosting costs < $50/month", source: "adr/0001.md:9", manual: "billing, not the service"}
"""


def test_each_outcome_is_classified(pytester: pytest.Pytester) -> None:
    _, report = run(pytester, "name: p\nhealth: {}\n" + CLAIMS)
    assert statuses(report) == {
        "health.live": "passed",
        "health.ready": "failed",
        "health.startup": "error",
        "health.extra": "error",
        "health.latency": "error",
    }
    by_id = {r["id"]: r for r in report["results"]}
    assert by_id["health.ready"]["message"] == "GET /health/ready answered 503, not 2xx"
    assert by_id["health.ready"]["evidence"]["observed"] == 503
    assert by_id["health.live"]["message"] == "GET /health/live -> 200"
    assert by_id["health.latency"]["message"].startswith("could not check: KeyError")
    reasons = {r["id"]: r["error_reason"] for r in report["results"]}
    assert reasons == {
        "health.live": None,
        "health.ready": None,
        "health.startup": "unreachable",
        "health.extra": "unreachable",
        "health.latency": "internal",
    }
    assert report["summary"]["exit_code"] == 1
    assert by_id["health.live"]["controls"]
    # Each result carries the profile's claims it verifies, quoted with their source; each claim a verdict.
    assert [c["id"] for c in by_id["health.live"]["claims"]] == ["live", "probes"]
    assert by_id["health.live"]["claims"][0] == {
        "id": "live",
        "text": "Liveness answers 200",
        "source": "adr/1.md:3",
    }
    verdicts = {c["id"]: c["status"] for c in report["claims"]}
    assert verdicts == {"live": "verified", "ready": "violated", "probes": "violated", "cost": "manual"}
    assert report["summary"]["claims"] == {
        "total": 4,
        "verified": 1,
        "violated": 2,
        "could_not_check": 0,
        "manual": 1,
        "not_run": 0,
    }


def test_absent_section_skips_every_check_with_the_reason(pytester: pytest.Pytester) -> None:
    _, report = run(pytester, "name: p\n")
    assert set(statuses(report).values()) == {"skipped"}
    assert {r["message"] for r in report["results"]} == {"profile has no `health` section"}
    assert report["summary"]["exit_code"] == 0


def test_errors_without_failures_give_exit_code_3(pytester: pytest.Pytester) -> None:
    suite = SUITE.replace('assert 503 < 300, "GET /health/ready answered 503, not 2xx"', "pass")
    _, report = run(pytester, "name: p\nhealth: {}\n", suite)
    assert report["summary"]["exit_code"] == 3


def test_waivers_are_applied_and_expired_ones_fail_the_run(pytester: pytest.Pytester) -> None:
    profile = """
name: p
health: {}
waivers:
  - {check: health.ready, reason: known outage, owner: ops, expires: 2999-01-01}
  - {check: health.live, reason: old, owner: ops, expires: 2020-01-01}
"""
    _, report = run(pytester, profile)
    assert statuses(report)["health.ready"] == "waived"
    assert [w["state"] for w in report["waivers"]] == ["active", "expired"]
    assert report["summary"]["expired_waivers"] == 1 and report["summary"]["exit_code"] == 1


def test_setup_failure_is_error(pytester: pytest.Pytester) -> None:
    suite = """
import pytest
from stackcheck.catalog import health

@pytest.fixture
def broken():
    raise OSError("database unreachable")

@pytest.mark.check(health.LIVE)
def test_x(broken):
    pass
"""
    _, report = run(pytester, "name: p\nhealth: {}\n", suite)
    assert statuses(report) == {"health.live": "error"}
    assert report["results"][0]["message"] == "database unreachable"


@pytest.mark.parametrize("marker", ['"no.such"', '"health.live"'])
def test_a_check_named_by_string_is_a_usage_error(pytester: pytest.Pytester, marker: str) -> None:
    # Checks are referred to by their CheckSpec object: a string (even a registered id) is refused.
    pytester.makefile(".yaml", profile="name: p\n")
    pytester.makepyfile(test_suite=f"import pytest\n@pytest.mark.check({marker})\ndef test_x():\n    pass\n")
    result = pytester.runpytest("-p", "no:cacheprovider", "--stackcheck-profile", "profile.yaml")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines([f"*@pytest.mark.check({marker[1:-1]!r}) names no registered check*"])


def test_an_unregistered_spec_is_a_usage_error(pytester: pytest.Pytester) -> None:
    pytester.makefile(".yaml", profile="name: p\nhealth: {}\n")
    suite = (
        "import dataclasses\nimport pytest\nfrom stackcheck.catalog import health\n"
        "ROGUE = dataclasses.replace(health.LIVE, id='health.rogue')\n"
        "@pytest.mark.check(ROGUE)\ndef test_x():\n    pass\n"
    )
    pytester.makepyfile(test_suite=suite)
    result = pytester.runpytest("-p", "no:cacheprovider", "--stackcheck-profile", "profile.yaml")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*names no registered check*"])


def test_invalid_profile_is_a_usage_error_naming_the_key(pytester: pytest.Pytester) -> None:
    pytester.makefile(".yaml", profile="name: p\nhealth:\n  samples: 0\n")
    pytester.makepyfile(test_suite="def test_x():\n    pass\n")
    result = pytester.runpytest("-p", "no:cacheprovider", "--stackcheck-profile", "profile.yaml")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*profile.yaml:3:3 health.samples: must be at least 1*"])


def test_plugin_is_inert_without_a_profile(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        test_suite=(
            "import pytest\nfrom stackcheck.catalog import health\n"
            "@pytest.mark.check(health.LIVE)\ndef test_x():\n    pass\n"
        )
    )
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)
    assert not Path(pytester.path / "out").exists()


def test_terminal_summary_lists_results(pytester: pytest.Pytester) -> None:
    pytester.makefile(".yaml", profile="name: p\nhealth: {}\n")
    pytester.makepyfile(test_suite=SUITE)
    result = pytester.runpytest("-p", "no:cacheprovider", "--stackcheck-profile", "profile.yaml")
    result.stdout.fnmatch_lines(["*stackcheck*", "*FAIL*health.ready*503*", "*NON-COMPLIANT*exit code 1*"])


def test_an_unrelated_project_with_its_own_check_marker_and_fixtures_is_unaffected(
    pytester: pytest.Pytester,
) -> None:
    # stackcheck installed next to another project: its marker, its `profile`/`http` fixtures and its
    # `--target` option (a name stackcheck's plugin used to take) are its own; stackcheck adds nothing.
    pytester.makeconftest(
        "import pytest\n"
        "def pytest_addoption(parser):\n"
        "    parser.addoption('--target', action='store_true', dest='target')\n"
        "def pytest_configure(config):\n"
        "    config.addinivalue_line('markers', 'check(kind): the project\\'s own marker')\n"
        "@pytest.fixture\ndef profile():\n    return 'theirs'\n"
        "@pytest.fixture\ndef http():\n    return 'their client'\n"
    )
    pytester.makepyfile(
        test_app=(
            "import pytest\n"
            "@pytest.mark.check('fast')\n"
            "def test_x(profile, http, request):\n"
            "    assert profile == 'theirs' and http == 'their client'\n"
            "    assert request.config.getoption('target') is True\n"
            "    assert not request.config.pluginmanager.has_plugin('stackcheck-run')\n"
        )
    )
    result = pytester.runpytest("-p", "no:cacheprovider", "--target", "--strict-markers")
    result.assert_outcomes(passed=1)
    out = result.stdout.str()
    assert "results:" not in out and "COMPLIANT" not in out and not (pytester.path / "reports").exists()


def test_the_options_are_prefixed_and_the_help_says_when_the_plugin_is_active(
    pytester: pytest.Pytester,
) -> None:
    result = pytester.runpytest("--help")
    text = result.stdout.str()
    assert "inactive unless --stackcheck-profile" in text
    for flag in ("--stackcheck-profile", "--stackcheck-target", "--stackcheck-set", "--stackcheck-infra"):
        assert flag in text, flag
    assert "\n  --target" not in text and "\n  --infra" not in text  # (--profile is pytest-profiling's)


def test_pytest_profiling_installed_next_to_stackcheck_both_work(pytester: pytest.Pytester) -> None:
    # pytest-profiling declares --profile (dest "profile"): with stackcheck's options prefixed, one run uses
    # both — the profiler writes its stats, stackcheck its report.
    pytest.importorskip("pytest_profiling")
    code, report = run(pytester, "name: p\nhealth: {}\n", SUITE, "--profile")
    assert code == 1 and statuses(report)["health.live"] == "passed"
    assert (pytester.path / "prof" / "combined.prof").is_file()
