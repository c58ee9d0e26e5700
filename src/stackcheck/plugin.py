"""The stackcheck pytest plugin: options, hooks and fixtures only.

Registered by :mod:`stackcheck.pytest_entry` only when ``--stackcheck-profile`` is given (an unrelated
project's pytest run never sees these hooks, the marker or the fixtures).

Suites mark each test with the check it implements,
``@pytest.mark.check(headers.HSTS)`` (the :class:`CheckSpec` object from :mod:`stackcheck.catalog`); a
team's own tests with the :class:`~stackcheck.team.TeamCheck` they declare (``@check(...)`` from
:mod:`stackcheck.testing`), registered here for this run as they are collected. The plugin turns every
such test into a check result (assertion → ``failed``; could-not-check → ``error``;
skip → ``skipped``), skips checks whose profile section is absent, and writes the report folder.
"""

from __future__ import annotations

import datetime as dt
import re
import signal
import sys
from collections.abc import Generator, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from stackcheck import interrupt
from stackcheck._exceptions import CouldNotCheck, ErrorReason, StackcheckError, UsageError
from stackcheck.catalog import REGISTRY, CheckSpec, check_profile_keys
from stackcheck.collector import EvidenceRecorder, RunCollector
from stackcheck.outcomes import CheckResult
from stackcheck.probes.http import DEFAULT_MAX_BYTES, HttpProbe
from stackcheck.profile import Profile, load_profile
from stackcheck.profile.http import DEFAULT_DEADLINE_S
from stackcheck.progress import ensure_stream
from stackcheck.redact import Redactor
from stackcheck.report import render_console, result_line, shown_live, write_report
from stackcheck.report.publish import run_redactor
from stackcheck.settings import Settings, plugin_option, resolve_target
from stackcheck.team import TeamCheck, TeamCheckError, claim_problem, reserved_namespaces

__all__ = ["COLLECTOR", "Target"]

COLLECTOR = pytest.StashKey[RunCollector]()
EVIDENCE = pytest.StashKey[EvidenceRecorder]()
REFUSED = pytest.StashKey[str]()  # why the collected tests were refused (a usage error: nothing ran)


@dataclass(frozen=True)
class Target:
    """The service under test, as resolved from ``--target`` and the profile."""

    base_url: str
    ca_bundle: str | None
    timeout_s: float
    max_response_bytes: int = DEFAULT_MAX_BYTES
    http_port: int | None = None  # the plain-HTTP port of a service stackcheck launched (`{http_port}`)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "check(spec): the stackcheck check (a CheckSpec) this test implements")
    check_profile_keys()  # a built-in check naming no profile key would be skipped for ever
    # The run's settings, read once (options + environment); handed down as the `settings` fixture.
    try:
        settings = Settings.from_environ(
            infra=str(config.getoption("stackcheck_infra", "auto")),
            allow_remote=bool(config.getoption("stackcheck_allow_remote", False)),
            allow_destructive=bool(config.getoption("stackcheck_allow_destructive", False)),
            target=config.getoption("stackcheck_target", None),
            frameworks=config.getoption("stackcheck_framework", None) or (),
        )
    except StackcheckError as exc:
        raise pytest.UsageError(str(exc)) from None
    config.stash[SETTINGS] = settings
    ensure_stream()  # progress lines reach the terminal while pytest captures the tests' output
    profile_path = config.getoption("stackcheck_profile", None)
    if not profile_path:
        return
    try:
        loaded = load_profile(profile_path, config.getoption("stackcheck_set"))
        target = resolve_target(settings.target, loaded.profile)
    except StackcheckError as exc:
        raise pytest.UsageError(Redactor().text(str(exc))) from None
    overrides = config.getoption("stackcheck_set")
    redactor = run_redactor(loaded.profile, settings.environ, [target, *overrides])
    report_dir = config.getoption("stackcheck_report_dir")
    progress = bool(config.getoption("stackcheck_progress"))
    collector = RunCollector(
        loaded=loaded,
        target=target,
        command=redactor.command(["stackcheck", *sys.argv[1:]] if progress else sys.argv),
        infra=settings.infra,
        frameworks=settings.frameworks,
        report_dir=Path(report_dir) if report_dir else None,
        on_result=_print_result if progress else None,
        redactor=redactor,
    )
    config.stash[COLLECTOR] = collector
    config.pluginmanager.register(_CollectionWatcher(collector), "stackcheck-collection-watcher")


def _print_result(result: CheckResult) -> None:
    if shown_live(result):
        print(result_line(result), flush=True)


def check_spec(item: pytest.Item) -> CheckSpec | None:
    """The spec of the check an item implements: the object its ``check`` marker carries, if it is a
    built-in check or a team check registered in this run."""
    marker = item.get_closest_marker("check")
    if marker is None or not marker.args or not isinstance(marker.args[0], CheckSpec):
        return None
    spec: CheckSpec = marker.args[0]
    if isinstance(spec, TeamCheck):
        collector = item.config.stash.get(COLLECTOR, None)
        return spec if collector is not None and collector.team.get(spec.id) == spec else None
    return spec if REGISTRY.get(spec.id) == spec else None


def _refuse_collection(config: pytest.Config, items: list[pytest.Item], message: str) -> None:
    """A mistake in the suites (a check declared twice, a marker naming no check): nothing runs, the
    report says nothing was checked, pytest exits 4 and the CLI prints ``message`` once and exits 2."""
    collector = config.stash.get(COLLECTOR, None)
    if collector is not None and message not in collector.usage_errors:
        collector.usage_errors.append(message)
    config.stash[REFUSED] = message
    config.hook.pytest_deselected(items=list(items))
    items.clear()


def _unknown_check(item: pytest.Item, marker: pytest.Mark) -> str:
    name = marker.args[0] if marker.args else "(none)"
    shown = name.id if isinstance(name, CheckSpec) else name
    builtin = not isinstance(shown, str) or shown.split(".", 1)[0] in reserved_namespaces()
    fix = (
        "mark the test with the CheckSpec object from stackcheck.catalog (@pytest.mark.check(health.LIVE))"
        if builtin
        else f"declare it with @check({shown!r}, title=..., severity=...) from stackcheck.testing "
        "(docs/team-checks.md)"
    )
    return f"{item.nodeid}: @pytest.mark.check({shown!r}) names no registered check; {fix}"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    collector = config.stash.get(COLLECTOR, None)
    marked = [(item, m) for item in items if (m := item.get_closest_marker("check")) is not None]
    for _, marker in marked:  # the team's checks of this run: registered as their tests are collected
        spec = marker.args[0] if marker.args else None
        if isinstance(spec, TeamCheck) and collector is not None:
            try:
                collector.team.register(spec)
            except TeamCheckError as exc:
                _refuse_collection(config, items, str(exc))
                return
    for item, marker in marked:
        if check_spec(item) is None:
            _refuse_collection(config, items, _unknown_check(item, marker))
            return
    problem = (
        claim_problem(collector.team.specs(), collector.loaded.profile, str(collector.loaded.path))
        if collector
        else None
    )
    if problem is not None:
        _refuse_collection(config, items, problem)


def pytest_runtest_setup(item: pytest.Item) -> None:
    collector = item.config.stash.get(COLLECTOR, None)
    spec = check_spec(item)
    if collector is None or spec is None:
        return
    item.stash[EVIDENCE] = EvidenceRecorder()
    profile = collector.loaded.profile
    # Decided before any fixture runs, so an unset key skips even when the target is unreachable (a team
    # check may need no section).
    unarmed = spec.skip_reason_for(profile)
    if unarmed is not None:
        pytest.skip(unarmed)
    # The run's deadline: once it has passed, what is left ends as `error` at once, saying why.
    deadline_s = profile.target.deadline_s if profile.target else DEFAULT_DEADLINE_S
    elapsed = (dt.datetime.now(dt.UTC) - collector.started_at).total_seconds()
    if elapsed > deadline_s:
        raise CouldNotCheck(
            f"the run's deadline passed ({elapsed:.0f} s > target.deadline_s={deadline_s:g} s) before this "
            "check started",
            ErrorReason.TIMEOUT,
        )


def _subject(item: pytest.Item) -> str | None:
    callspec = getattr(item, "callspec", None)
    return str(callspec.id) if callspec is not None else None


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report = yield
    collector = item.config.stash.get(COLLECTOR, None)
    spec = check_spec(item)
    if collector is not None and spec is not None:
        collector.observe(item.nodeid, spec, _subject(item), call, report, item.stash.get(EVIDENCE, None))
    return report


class _CollectionWatcher:
    """Keeps suite import errors (registered only in an active run; the CLI exits 2 on them)."""

    def __init__(self, collector: RunCollector) -> None:
        self.collector = collector

    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        if report.failed:
            lines = [ln for ln in str(report.longrepr).strip().splitlines() if ln.strip()]
            detail = lines[-1].strip() if lines else "collection error"
            # A mistake stackcheck raised on purpose (a team check declared wrongly) is its message alone.
            detail = re.sub(r"^E\s+stackcheck(\.\w+)+: ", "", detail)
            self.collector.collection_errors.append(f"{report.nodeid or 'suite'}: cannot load: {detail}")


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    collector = session.config.stash.get(COLLECTOR, None)
    if collector is None:
        return
    # Ctrl-C, or SIGTERM/SIGHUP under stackcheck.interrupt.guard: a partial report, marked interrupted.
    # pytest also stops with INTERRUPTED on a suite that cannot be loaded: that is no signal.
    stopped = exitstatus == pytest.ExitCode.INTERRUPTED and not collector.collection_errors
    signum = interrupt.received() or (signal.SIGINT if stopped else None)
    report = collector.finish(interrupted_by=signum)
    if collector.report_dir is not None:
        write_report(report, collector.report_dir, collector.redactor)
    progress = session.config.getoption("stackcheck_progress")
    if progress and not _pytest_terminal(session.config):  # else pytest_terminal_summary prints it, last
        print(render_console(report, str(collector.report_dir) if collector.report_dir else None), flush=True)
    refused = session.config.stash.get(REFUSED, None)
    if refused is not None:
        session.exitstatus = pytest.ExitCode.USAGE_ERROR
        if not progress:  # the CLI prints it itself, once
            print(f"ERROR: {refused}", file=sys.stderr, flush=True)


def _pytest_terminal(config: pytest.Config) -> bool:
    """Whether pytest's terminal reporter runs (``stackcheck verify --verbose``, or a plain pytest run)."""
    return config.pluginmanager.get_plugin("terminalreporter") is not None


@pytest.hookimpl(tryfirst=True)
def pytest_report_teststatus(report: pytest.TestReport, config: pytest.Config) -> tuple[str, str, str] | None:
    """Under ``stackcheck verify --verbose`` no progress dot or letter: each result has its own line."""
    if not config.getoption("stackcheck_progress", False) or config.stash.get(COLLECTOR, None) is None:
        return None
    if report.when != "call" and report.passed:
        return "", "", ""
    failed_around = report.when != "call" and report.failed
    return ("error" if failed_around else report.outcome), "", ""


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    collector = terminalreporter.config.stash.get(COLLECTOR, None)
    if collector is None or collector.report is None:
        return
    terminalreporter.section("stackcheck")
    live = bool(terminalreporter.config.getoption("stackcheck_progress"))
    for result in collector.report.results:
        if shown_live(result) and not live:  # a CLI run printed each line as its result came
            terminalreporter.write_line(result_line(result))
    terminalreporter.write_line(render_console(collector.report, str(collector.report_dir or "") or None))


# ---- fixtures -------------------------------------------------------------------------------------------

SETTINGS = pytest.StashKey[Settings]()


@pytest.fixture(scope="session")
def settings(request: pytest.FixtureRequest) -> Settings:
    """The run's :class:`~stackcheck.settings.Settings` (options and environment, read once at start)."""
    return request.config.stash[SETTINGS]


def _collector(request: pytest.FixtureRequest) -> RunCollector:
    collector = request.config.stash.get(COLLECTOR, None)
    if collector is None:
        raise UsageError("no profile given", f"run with {plugin_option('profile')} FILE")
    return collector


@pytest.fixture(scope="session")
def profile(request: pytest.FixtureRequest) -> Profile:
    """The validated profile of this run (after ``extends`` and ``--set``)."""
    return _collector(request).loaded.profile


@pytest.fixture(scope="session")
def target(request: pytest.FixtureRequest) -> Target:
    """The service under test: ``--target``, else ``target.base_url``, else the service stackcheck starts
    itself from ``service.command`` (fixture ``launched_service`` of the suites). Missing → ``error``."""
    collector = _collector(request)
    launched = None
    if not collector.target and collector.loaded.profile.service is not None:
        launched = request.getfixturevalue("launched_service")
        collector.target = str(launched.url)
    if not collector.target:
        raise UsageError("no target URL", "pass --target URL or set target.base_url in the profile")
    section = collector.loaded.profile.target
    ca_bundle = section.ca_bundle if section else None
    return Target(
        base_url=collector.target,
        ca_bundle=(launched.ca_bundle if launched else None) or ca_bundle,
        timeout_s=section.timeout_s if section else 5.0,
        max_response_bytes=section.max_response_bytes if section else DEFAULT_MAX_BYTES,
        http_port=launched.http_port if launched else None,
    )


@pytest.fixture(scope="session")
def http(target: Target) -> Iterator[HttpProbe]:
    """An :class:`HttpProbe` on the target, shared by the session."""
    with HttpProbe(
        target.base_url,
        timeout_s=target.timeout_s,
        verify=target.ca_bundle or True,
        max_bytes=target.max_response_bytes,
    ) as probe:
        yield probe


@pytest.fixture
def evidence(request: pytest.FixtureRequest) -> EvidenceRecorder:
    """Record what the current check expected and observed: ``evidence.record(expected=.., observed=..)``."""
    node: pytest.Item = request.node
    recorder = node.stash.get(EVIDENCE, None)
    if recorder is None:
        recorder = EvidenceRecorder()
        node.stash[EVIDENCE] = recorder
    return recorder
