"""``report.json``: the versioned record of one run (schema ``stackcheck.report/v1``).

Every renderer (summary, JUnit, later SARIF and HTML) is a pure function of :class:`Report`.
Field-by-field documentation: ``docs/report.md``.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from enum import IntEnum
from typing import Final, Literal

from pydantic import BaseModel, ConfigDict, Field

from stackcheck.catalog.spec import Severity
from stackcheck.claims import ClaimCounts, ClaimVerdict, count_claims
from stackcheck.controls import ControlCounts, ControlVerdict, count_controls
from stackcheck.interrupt import exit_code_for, signal_name
from stackcheck.load.stats import LoadStats
from stackcheck.outcomes import CheckResult, Status
from stackcheck.profile import LoadedProfile
from stackcheck.report.drift import Drift
from stackcheck.waivers import WaiverState, WaiverStatus

__all__ = [
    "SCHEMA",
    "SCHEMA_VERSION",
    "ExitCode",
    "Finding",
    "ProfileInfo",
    "Report",
    "RunInfo",
    "Summary",
    "exit_code",
    "mark_interrupted",
    "summarize",
]

SCHEMA: Final = "stackcheck.report/v1"
# Fields are only added within v1; each addition raises the revision (docs/report.md lists them).
# 1.0 results, waivers, findings, load · 1.1 claims · 1.2 controls, drift · 1.3 remediation, source, root
# · 1.4 run.process_wall_s, load.window, load.run_latency_ms.
SCHEMA_VERSION: Final = "1.4"


def _revision(version: str) -> tuple[int, int]:
    major, _, minor = version.partition(".")
    return int(major), int(minor or 0)


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
    started_at: dt.datetime = Field(description="UTC start time (ISO 8601).")
    finished_at: dt.datetime = Field(description="UTC end time (ISO 8601).")
    duration_s: float = Field(description="Wall time of the run (s).")
    process_wall_s: float | None = Field(
        None,
        description="Wall time of the stackcheck process until this report was made (s): duration_s plus "
        "what it leaves out (start-up, imports, profile validation, starting the throwaway servers). "
        "`stackcheck run`: its one process's; `report merge` of stages run apart: their sum. Null in "
        "reports before 1.4.",
    )
    host: str = Field(description="Host name of the machine that ran the checks.")
    tool_versions: dict[str, str] = Field(
        description="stackcheck, python, pytest and every external tool used."
    )
    suites: tuple[str, ...] = Field((), description="Suites that produced results.")
    infra: str | None = Field(None, description="--infra provider: auto, docker, local or external.")
    interrupted: bool = Field(
        False, description="A signal stopped the run before its end: the report is partial, with no verdict."
    )
    signal: str | None = Field(None, description="The signal that stopped it: SIGINT, SIGTERM or SIGHUP.")
    scan_root: str | None = Field(
        None,
        description="stackcheck scan: the folder (a file:// URI) every finding's `file` is relative to — the "
        "profile's folder; SARIF's `SRCROOT`.",
    )


class ProfileInfo(_Model):
    """Which profile the run verified."""

    name: str = Field(description="The profile's `name`.")
    path: str = Field(description="The profile file given on the command line.")
    files: tuple[str, ...] = Field(description="The file and every file it extends, base first.")
    sha256: str = Field(
        description="SHA-256 of the effective profile (after extends and --set), canonical JSON."
    )
    overrides: tuple[str, ...] = Field(default=(), description="The --set options given.")
    root: str | None = Field(
        None,
        description="The profile's folder (a file:// URI): results' `source.file` is relative to it, as "
        "scanner findings are (`run.scan_root`, the same folder); SARIF's `SRCROOT`. "
        "Null in reports before 1.3.",
    )

    @classmethod
    def of(cls, loaded: LoadedProfile) -> ProfileInfo:
        """What a report records of the profile it verified."""
        return cls(
            name=loaded.profile.name,
            path=str(loaded.path),
            files=tuple(str(f) for f in loaded.files),
            sha256=loaded.sha256,
            overrides=loaded.overrides,
            root=loaded.path.resolve().parent.as_uri() + "/",
        )


class Summary(_Model):
    """Counts of results by status, and the run's verdict."""

    total: int = Field(0, description="Number of results.")
    passed: int = Field(0, description="Results with status passed.")
    failed: int = Field(0, description="Results with status failed.")
    error: int = Field(0, description="Results with status error (could not check).")
    skipped: int = Field(0, description="Results with status skipped.")
    waived: int = Field(0, description="Results with status waived.")
    expired_waivers: int = Field(0, description="Profile waivers past their date (each fails the run).")
    stale_waivers: int = Field(0, description="Profile waivers that covered nothing.")
    claims: ClaimCounts = Field(
        default_factory=ClaimCounts, description="The profile's claims by verdict (see `claims` below)."
    )
    controls: ControlCounts = Field(
        default_factory=ControlCounts,
        description="The shown frameworks' controls by verdict (see `controls` below); checks support "
        "a control, they do not certify it.",
    )
    exit_code: int = Field(
        0,
        description="The CLI's exit code for this run: 0, 1 or 3, or 2 when the run produced no result "
        "(nothing was checked); when interrupted, 128 + the signal's number (130 SIGINT, 143 SIGTERM, 129 "
        "SIGHUP).",
    )


class Finding(_Model):
    """A static scanner finding (checkov, trivy, bandit, secrets); filled by the scan stage."""

    tool: str = Field(description="Scanner: checkov, trivy, bandit, ...")
    rule_id: str = Field(description="The scanner's rule id.")
    severity: Severity = Field(description="Normalised severity.")
    file: str | None = Field(None, description="File the finding is in.")
    line: int | None = Field(None, description="Line in that file.")
    message: str = Field(description="What is wrong (secrets redacted).")
    fingerprint: str = Field(description="Stable hash identifying the finding across runs.")
    status: Literal["open", "waived", "suppressed"] = Field(
        "open", description="Waived or inline-suppressed."
    )


class Report(_Model):
    """One run of stackcheck."""

    schema_: Literal["stackcheck.report/v1"] = Field(
        "stackcheck.report/v1",
        alias="schema",
        description="Schema id; changes only with a new major version.",
    )
    schema_version: str = Field(
        SCHEMA_VERSION,
        pattern=r"^1\.[0-9]+$",
        description="Revision within the schema id: fields are only added, each addition raises it. A reader "
        "reads every revision up to its own (missing fields take their defaults) and refuses a newer one. "
        "Absent (read as 1.0) in reports written before 1.3.",
    )
    run: RunInfo = Field(description="When, where and with which tool versions.")
    profile: ProfileInfo = Field(description="Which profile, with its hash.")
    target: str | None = Field(description="Base URL verified (null when no suite needed one).")
    summary: Summary = Field(description="Counts and the exit code.")
    claims: tuple[ClaimVerdict, ...] = Field(
        (), description="Each claim of the profile with its verdict and the results behind it."
    )
    controls: tuple[ControlVerdict, ...] = Field(
        (),
        description="Each control of the shown frameworks (--framework, default: every framework a check "
        "that ran, not skipped, supports) with its verdict and the checks behind it. A `supported` "
        "control is one the run's evidence supports; no check certifies a control.",
    )
    results: tuple[CheckResult, ...] = Field((), description="One entry per check and subject.")
    waivers: tuple[WaiverStatus, ...] = Field(
        (), description="Each profile waiver and its state in this run."
    )
    findings: tuple[Finding, ...] = Field((), description="Static scanner findings (scan stage).")
    load: LoadStats | None = Field(
        None, description="Load statistics (load stage, schema stackcheck.load/v1): see `load` below."
    )
    drift: Drift | None = Field(
        None,
        description="With --history: what changed since the previous run of the profile and the trend "
        "over the recorded runs (docs/history.md); null without it. Readers of reports without it see null.",
    )

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True)

    def to_json(self) -> str:
        """Serialise as ``report.json`` text."""
        return self.model_dump_json(by_alias=True, indent=2) + "\n"

    @classmethod
    def from_json(cls, text: str) -> Report:
        """Parse ``report.json`` text of any revision up to :data:`SCHEMA_VERSION`; raise ``ValueError``
        naming the revision for a newer one (an older stackcheck cannot tell what a newer field means)."""
        try:
            raw = json.loads(text)
        except json.JSONDecodeError as exc:
            raise ValueError(f"not JSON: {exc}") from None
        version = raw.get("schema_version", "1.0") if isinstance(raw, dict) else "1.0"
        newer = (
            isinstance(version, str)
            and re.fullmatch(r"[0-9]+\.[0-9]+", version) is not None
            and _revision(version) > _revision(SCHEMA_VERSION)
        )
        if newer:
            raise ValueError(
                f"schema_version {version} was written by a newer stackcheck; this one reads up to "
                f"{SCHEMA_VERSION}: upgrade stackcheck to read it"
            )
        return cls.model_validate(raw)


def exit_code(
    results: tuple[CheckResult, ...] | list[CheckResult], waivers: tuple[WaiverStatus, ...]
) -> ExitCode:
    """0 all good; 1 a failure or an expired waiver; 3 no failure but something could not be checked; 2 no
    result at all (nothing was checked: a run that checked nothing is never compliant)."""
    if not results:
        return ExitCode.USAGE
    statuses = {r.status for r in results}
    if Status.FAILED in statuses or any(w.state is WaiverState.EXPIRED for w in waivers):
        return ExitCode.FAILED
    if Status.ERROR in statuses:
        return ExitCode.ERROR
    return ExitCode.OK


def summarize(
    results: tuple[CheckResult, ...],
    waivers: tuple[WaiverStatus, ...],
    claims: tuple[ClaimVerdict, ...] = (),
    controls: tuple[ControlVerdict, ...] = (),
) -> Summary:
    """Count results by status, claims and controls by verdict, and compute the exit code."""
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
        claims=count_claims(claims),
        controls=count_controls(controls),
        exit_code=int(exit_code(results, waivers)),
    )


def mark_interrupted(report: Report, signum: int) -> Report:
    """The partial report of a run stopped by ``signum``: marked interrupted, with the process's exit code."""
    run = report.run.model_copy(update={"interrupted": True, "signal": signal_name(signum)})
    summary = report.summary.model_copy(update={"exit_code": exit_code_for(signum)})
    return report.model_copy(update={"run": run, "summary": summary})
