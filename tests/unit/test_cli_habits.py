"""Unit tests of the command line's habits: did-you-mean, --format parsing, output options, progress lines
during waits, and default report folder names."""

from __future__ import annotations

import argparse
import time

import pytest

from stackcheck import progress
from stackcheck._exceptions import UsageError
from stackcheck.cli import main
from stackcheck.output import command_output, parse_formats
from stackcheck.report.folders import default_report_dir
from stackcheck.resources import resolve_suites
from stackcheck.suggest import did_you_mean
from stackcheck.wait import wait_until


def test_did_you_mean_names_the_closest_name_or_nothing() -> None:
    assert did_you_mean("verfy", ["verify", "scan", "load"]) == "; did you mean 'verify'?"
    assert did_you_mean("zzzz", ["verify", "scan", "load"]) == ""


def test_a_mistyped_command_is_one_line_with_a_suggestion_and_exit_2(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["verfy", "--profile", "x.yaml"]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err.startswith("stackcheck: error: unknown command 'verfy'; did you mean 'verify'?")
    assert len(err.strip().splitlines()) == 1


def test_a_mistyped_suite_gets_a_suggestion() -> None:
    with pytest.raises(UsageError, match=r"unknown suite 'helth'; did you mean 'health'\?"):
        resolve_suites(["helth"])


def test_formats_are_repeatable_or_comma_separated_and_checked() -> None:
    assert parse_formats(["json,sarif", "HTML", "json"]) == ("json", "sarif", "html")
    assert parse_formats([]) == ()
    with pytest.raises(UsageError, match=r"--format 'jsn' is not a format; did you mean 'json'\?"):
        parse_formats(["jsn"])


def _args(**given: object) -> argparse.Namespace:
    base = {"quiet": False, "formats": [], "output": None, "report_dir": None, "verbose": False}
    return argparse.Namespace(**{**base, **given})


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ({"output": "out.json", "formats": ["json"]}, r"only `-` \(stdout\) is supported"),
        ({"output": "-"}, "--output - prints one format"),
        ({"output": "-", "formats": ["json,sarif"]}, "--output - prints one format"),
        ({"quiet": True, "verbose": True}, "--quiet and --verbose contradict each other"),
    ],
)
def test_output_options_that_cannot_be_honoured_are_usage_errors(
    given: dict[str, object], expected: str
) -> None:
    with pytest.raises(UsageError, match=expected), command_output(_args(**given), time.time()):
        pytest.fail("the command must not run")


def test_a_wait_longer_than_a_second_says_what_it_waits_for(capsys: pytest.CaptureFixture[str]) -> None:
    progress.configure(quiet=False)
    progress._STATE.stream = None  # (this test reads sys.stderr)
    deadline = time.monotonic() + 1.3
    assert wait_until(lambda: time.monotonic() >= deadline, 5, 0.05, what="the slow thing")
    assert not wait_until(lambda: False, 0.2, 0.05, what="a quick thing")  # too short to announce
    err = capsys.readouterr().err.splitlines()
    assert err[0] == "stackcheck: waiting for the slow thing (up to 5 s)"
    assert err[1].startswith("stackcheck: the slow thing: done after 1.")
    assert len(err) == 2
    progress.configure(quiet=True)
    wait_until(lambda: time.monotonic() >= deadline + 1.1, 5, 0.05, what="the slow thing")
    assert capsys.readouterr().err == ""
    progress.configure(quiet=False)


def test_a_profile_named_after_its_stage_gets_the_stage_once() -> None:
    assert default_report_dir("demo-load", "load").name.startswith("demo-load-2")
    assert default_report_dir("demo", "load").name.startswith("demo-load-2")
    assert default_report_dir("demo").name.startswith("demo-2")
