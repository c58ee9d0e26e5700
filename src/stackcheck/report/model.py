"""``report.json``: the versioned record of one run (schema ``stackcheck.report/v1``).

Every renderer (summary, JUnit, later SARIF and HTML) is a pure function of :class:`Report`.
Field-by-field documentation: ``docs/report.md``.
"""

from __future__ import annotations

import datetime as dt
from enum import IntEnum
from typing import Any, Final, Literal

from pydantic import BaseModel, ConfigDict, Field

from stackcheck.catalog.spec import Severity
from stackcheck.outcomes import CheckResult, Status
from stackcheck.waivers import WaiverState, WaiverStatus

__all__ = [
    "SCHEMA",
    "ExitCode",
    "Finding",
    "ProfileInfo",
    "Report",
    "RunInfo",
    "Summary",
    "exit_code",
    "summarize",
]

SCHEMA: Final = "stackcheck.report/v1"


class ExitCode(IntEnum):
    """The CLI's exit codes (a contract, SPEC §4)."""

    OK = 0  # nothing failed, nothing errored
    FAILED = 1  # at least one check failed (or a waiver expired)
    USAGE = 2  # usage or configuration error: nothing was checked
    ERROR = 3  # nothing failed, but at least one check could not be run


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class RunInfo(_Model):
    """When, where and with what the run happened."""

    command: str = Field(description="The command line (stackcheck verify ...).")
    started_at: dt.datetime
    finished_at: dt.datetime
    duration_s: float
    host: str
    tool_versions: dict[str, str] = Field(
        description="stackcheck, python, pytest and every external tool used."
    )
    suites: tuple[str, ...] = ()
    infra: str | None = None


class ProfileInfo(_Model):
    """Which profile the run verified."""

    name: str
    path: str
    files: tuple[str, ...] = Field(description="The file and every file it extends, base first.")
    sha256: str = Field(
        description="SHA-256 of the effective profile (after extends and --set), canonical JSON."
    )
    overrides: tuple[str, ...] = Field(default=(), description="The --set options given.")


class Summary(_Model):
    """Counts of results by status, and the run's verdict."""

    total: int = 0
    passed: int = 0
    failed: int = 0
    error: int = 0
    skipped: int = 0
    waived: int = 0
    expired_waivers: int = 0
    stale_waivers: int = 0
    exit_code: int = 0


class Finding(_Model):
    """A static scanner finding (checkov, trivy, bandit, secrets); filled by the scan stage."""

    tool: str
    rule_id: str
    severity: Severity
    file: str | None = None
    line: int | None = None
    message: str
    fingerprint: str
    status: Literal["open", "waived", "suppressed"] = "open"


class Report(_Model):
    """One run of stackcheck."""

    schema_: Literal["stackcheck.report/v1"] = Field("stackcheck.report/v1", alias="schema")
    run: RunInfo
    profile: ProfileInfo
    target: str | None
    summary: Summary
    results: tuple[CheckResult, ...] = ()
    waivers: tuple[WaiverStatus, ...] = ()
    findings: tuple[Finding, ...] = ()
    load: dict[str, Any] | None = None

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)

    def to_json(self) -> str:
        """Serialise as ``report.json`` text."""
        return self.model_dump_json(by_alias=True, indent=2) + "\n"

    @classmethod
    def from_json(cls, text: str) -> Report:
        """Parse ``report.json`` text."""
        return cls.model_validate_json(text)


def exit_code(
    results: tuple[CheckResult, ...] | list[CheckResult], waivers: tuple[WaiverStatus, ...]
) -> ExitCode:
    """0 all good; 1 a failure or an expired waiver; 3 no failure but something could not be checked."""
    statuses = {r.status for r in results}
    if Status.FAILED in statuses or any(w.state is WaiverState.EXPIRED for w in waivers):
        return ExitCode.FAILED
    if Status.ERROR in statuses:
        return ExitCode.ERROR
    return ExitCode.OK


def summarize(results: tuple[CheckResult, ...], waivers: tuple[WaiverStatus, ...]) -> Summary:
    """Count results by status and compute the exit code."""
    counts = {s: sum(1 for r in results if r.status is s) for s in Status}
    return Summary(
        total=len(results),
        passed=counts[Status.PASSED],
        failed=counts[Status.FAILED],
        error=counts[Status.ERROR],
        skipped=counts[Status.SKIPPED],
        waived=counts[Status.WAIVED],
        expired_waivers=sum(1 for w in waivers if w.state is WaiverState.EXPIRED),
        stale_waivers=sum(1 for w in waivers if w.state is WaiverState.STALE),
        exit_code=int(exit_code(results, waivers)),
    )
