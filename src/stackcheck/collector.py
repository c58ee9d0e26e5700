"""Turn pytest's test reports into check results, and the finished run into a :class:`Report`."""

from __future__ import annotations

import datetime as dt
import platform
import socket
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any, NamedTuple

import httpx
import pytest

from stackcheck._exceptions import CouldNotCheck, ErrorReason, UsageError
from stackcheck.catalog import REGISTRY, CheckSpec
from stackcheck.claims import apply_claims
from stackcheck.clock import process_wall_s
from stackcheck.controls import apply_controls
from stackcheck.locations import locate_results
from stackcheck.outcomes import CheckResult, Evidence, Status
from stackcheck.profile import LoadedProfile
from stackcheck.redact import Redactor
from stackcheck.report.model import ProfileInfo, Report, RunInfo, mark_interrupted, summarize
from stackcheck.report.publish import publishable, publishable_result
from stackcheck.team import TeamRegistry, link_claims
from stackcheck.waivers import apply_waivers

__all__ = ["Classification", "EvidenceRecorder", "RunCollector", "classify_exception", "tool_versions"]

# Exceptions that mean "we could not check", never "the target is non-compliant".
COULD_NOT_CHECK: tuple[type[BaseException], ...] = (
    CouldNotCheck,
    UsageError,
    httpx.TransportError,
    OSError,
    TimeoutError,
)


class Classification(NamedTuple):
    """What an exception raised by a check means: its status, its one-line message and, for an error, why."""

    status: Status
    message: str
    reason: ErrorReason | None  # set exactly when status is error


@dataclass
class EvidenceRecorder:
    """What a check observed; a suite fills it through the ``evidence`` fixture."""

    expected: Any = None
    observed: Any = None
    unit: str | None = None
    op: str | None = None
    message: str = ""
    details: dict[str, Any] = field(default_factory=dict)

    def record(
        self,
        *,
        expected: Any = None,
        observed: Any = None,
        unit: str | None = None,
        op: str | None = None,
        **details: Any,
    ) -> None:
        """Set expected/observed (in the profile's unit), the comparison, and any further facts."""
        if op is not None:
            self.op = op
        if expected is not None:
            self.expected = expected
        if observed is not None:
            self.observed = observed
        if unit is not None:
            self.unit = unit
        self.details.update(details)

    def freeze(self) -> Evidence:
        """The immutable evidence for the report."""
        return Evidence(
            expected=self.expected,
            observed=self.observed,
            op=self.op,
            unit=self.unit,
            details=dict(self.details),
        )


def _first_line(exc: BaseException) -> str:
    text = str(exc)
    return text.splitlines()[0] if text else ""


def _reason(exc: BaseException) -> ErrorReason:
    """The :class:`ErrorReason` of a "could not check" exception (one of ``COULD_NOT_CHECK``)."""
    if isinstance(exc, CouldNotCheck):
        return exc.reason
    if isinstance(exc, UsageError):
        return ErrorReason.MISCONFIGURED
    # httpx.TimeoutException is a TransportError, TimeoutError an OSError: the narrower test comes first.
    if isinstance(exc, (httpx.TimeoutException, TimeoutError)):
        return ErrorReason.TIMEOUT
    return ErrorReason.UNREACHABLE  # any other transport error or OSError: the connection failed


def classify_exception(exc: BaseException, *, setup: bool = False) -> Classification:
    """``AssertionError`` → failed; "could not check" exceptions → error; anything else → error too.

    An unexpected exception is the harness's or the suite's problem (``internal``), not proof of
    non-compliance. In a fixture (``setup=True``) even an assertion means the check could not run.
    """
    if isinstance(exc, AssertionError):
        text = str(exc).split("\nassert ")[0].strip()
        message = text.splitlines()[0] if text else "assertion failed"
        if setup:
            return Classification(Status.ERROR, message, ErrorReason.INTERNAL)
        return Classification(Status.FAILED, message, None)
    if isinstance(exc, COULD_NOT_CHECK):
        return Classification(Status.ERROR, _first_line(exc) or exc.__class__.__name__, _reason(exc))
    return Classification(
        Status.ERROR,
        f"could not check: {exc.__class__.__name__}: {_first_line(exc)}",
        ErrorReason.INTERNAL,
    )


def tool_versions(extra: dict[str, str] | None = None) -> dict[str, str]:
    """Versions of stackcheck and the libraries and tools that shaped the run."""
    versions = {"python": platform.python_version(), "platform": sys.platform}
    for dist in ("stackcheck", "pytest", "httpx", "pydantic"):
        try:
            versions[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            versions[dist] = "unknown"
    versions.update(extra or {})
    return versions


def _skip_reason(report: pytest.TestReport) -> str:
    longrepr = report.longrepr
    if isinstance(longrepr, tuple) and len(longrepr) == 3:
        return str(longrepr[2]).removeprefix("Skipped: ")
    return str(longrepr or "skipped")


@dataclass
class RunCollector:
    """State of one verification run inside pytest: the profile, and results as they arrive."""

    loaded: LoadedProfile
    target: str | None
    command: str
    infra: str | None = None
    frameworks: tuple[str, ...] = ()  # --framework: the control frameworks the report shows
    report_dir: Path | None = None
    on_result: Callable[[CheckResult], None] | None = None
    results: list[CheckResult] = field(default_factory=list)
    started_at: dt.datetime = field(default_factory=lambda: dt.datetime.now(dt.UTC))
    collection_errors: list[str] = field(default_factory=list)
    # Configuration mistakes a check ran into (UsageError): the CLI exits 2 on them, naming the key.
    usage_errors: list[str] = field(default_factory=list)
    suites: set[str] = field(default_factory=set)
    report: Report | None = None
    redactor: Redactor = field(default_factory=Redactor)  # the run's secrets: results are kept redacted
    team: TeamRegistry = field(default_factory=TeamRegistry)  # the team's own checks, for this run only
    _pending: dict[str, tuple[Status, str, float]] = field(default_factory=dict)

    def observe(
        self,
        nodeid: str,
        spec: CheckSpec,
        subject: str | None,
        call: pytest.CallInfo[None],
        report: pytest.TestReport,
        evidence: EvidenceRecorder | None,
    ) -> None:
        """Record the outcome of one phase of one test item."""
        status: Status | None = None
        message = ""
        reason: ErrorReason | None = None
        if report.when == "setup":
            if report.skipped:
                status, message = Status.SKIPPED, _skip_reason(report)
            elif report.failed:
                # A fixture that cannot reach the target is "could not check", whatever it raised.
                exc = call.excinfo.value if call.excinfo else None
                status, message, reason = (
                    classify_exception(exc, setup=True)
                    if exc is not None
                    else Classification(Status.ERROR, "setup failed", ErrorReason.INTERNAL)
                )
        elif report.when == "call":
            if report.passed:
                status = Status.PASSED
            elif report.skipped:
                status, message = Status.SKIPPED, _skip_reason(report)
            elif call.excinfo is not None:
                status, message, reason = classify_exception(call.excinfo.value)
        if status is None:
            return
        raised = call.excinfo.value if call.excinfo is not None else None
        if isinstance(raised, UsageError) and message not in self.usage_errors:
            self.usage_errors.append(message)
        if evidence is not None and status is Status.PASSED and evidence.message:
            message = evidence.message
        result = CheckResult.of(
            spec,
            status,
            message,
            subject=subject,
            evidence=evidence.freeze() if evidence is not None else None,
            duration_s=report.duration,
            error_reason=reason,
        )
        result = publishable_result(result, self.redactor)  # before it is printed or kept
        self.results.append(result)
        self.suites.add(spec.suite)
        if self.on_result is not None:
            # Show the line as the report will: a failure an active waiver covers reads WAIVED.
            shown, _ = apply_waivers(
                [result], list(self.loaded.profile.waivers), self.known_ids(), dt.date.today()
            )
            self.on_result(shown[0])

    def known_ids(self) -> set[str]:
        """Every check id of this run: the catalog's and the team's (a waiver naming neither is stale)."""
        return set(REGISTRY) | self.team.ids()

    def finish(self, today: dt.date | None = None, *, interrupted_by: int | None = None) -> Report:
        """Apply waivers, summarise, and build the report: publishable (redacted and sanitised), and
        marked partial if a signal ended the run."""
        finished = dt.datetime.now(dt.UTC)
        profile = self.loaded.profile
        results, waivers = apply_waivers(
            self.results, list(profile.waivers), self.known_ids(), today or dt.date.today()
        )
        claimed = link_claims(profile, self.team.specs())  # claims a team check says it verifies
        results_t, claims = apply_claims(results, claimed, self.team.specs())
        results_t = locate_results(results_t, self.loaded, self.team.specs())
        controls = apply_controls(results_t, self.frameworks, self.team.specs())
        waivers_t = tuple(waivers)
        self.report = Report(
            run=RunInfo(
                command=self.command,
                started_at=self.started_at,
                finished_at=finished,
                duration_s=round((finished - self.started_at).total_seconds(), 3),
                process_wall_s=process_wall_s(),
                host=socket.gethostname(),
                tool_versions=tool_versions(),
                suites=tuple(sorted(self.suites)),
                infra=self.infra,
            ),
            profile=ProfileInfo.of(self.loaded),
            target=self.target,
            summary=summarize(results_t, waivers_t, claims, controls),
            claims=claims,
            controls=controls,
            results=results_t,
            waivers=waivers_t,
        )
        self.report = publishable(self.report, self.redactor)
        if interrupted_by is not None:
            self.report = mark_interrupted(self.report, interrupted_by)
        return self.report
