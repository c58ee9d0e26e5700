"""Outcomes of checks: the result model every suite, renderer and script shares."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Any, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

from stackcheck._exceptions import ErrorReason
from stackcheck.catalog.spec import CheckSpec, Severity

__all__ = ["CheckResult", "ClaimRef", "ErrorReason", "Evidence", "SourceRef", "Status", "WaiverRef"]


class Status(StrEnum):
    """What happened to one check.

    ``failed`` means the target is non-compliant; ``error`` means we could not tell (unreachable, timeout,
    tool missing: the result's :class:`ErrorReason`) and is never reported as ``failed`` or ``passed``.
    """

    PASSED = "passed"
    FAILED = "failed"
    ERROR = "error"
    SKIPPED = "skipped"
    WAIVED = "waived"


class Evidence(BaseModel):
    """Why a check ended as it did: what the profile expected and what the target showed."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    expected: Any = Field(
        None, description="What the profile promises (a number in `unit`, or a text like 2xx)."
    )
    observed: Any = Field(None, description="What the target showed, in the same unit.")
    op: str | None = Field(None, description="How observed is compared with expected: <=, >=, ==, in.")
    unit: str | None = Field(
        None, description="Unit of expected/observed, as the profile uses it (ms, days)."
    )
    details: dict[str, Any] = Field(
        default_factory=dict, description="Further facts (samples, URLs, versions)."
    )


class ClaimRef(BaseModel):
    """A claim of the profile that a result verifies: the team's sentence and where it is written."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str = Field(description="The claim's id in the profile.")
    text: str = Field(description="The sentence, quoted.")
    source: str = Field(description="Where it is written (document:line).")


class SourceRef(BaseModel):
    """Where the profile makes the promise a result verifies: the claim's line, else the key's."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    file: str = Field(
        description="The profile file, relative to the profile's folder (`profile.root`) when it lies below "
        "it, else absolute."
    )
    line: int | None = Field(None, description="1-based line of the key or claim; null for a --set option.")
    key: str = Field(description="The dotted key (`claims[ID]` for a claim), e.g. `slo.p95_ms`.")


class WaiverRef(BaseModel):
    """The waiver that turned a failure into ``waived``."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    owner: str = Field(description="Who answers for the exception.")
    reason: str = Field(description="Why it is accepted.")
    expires: dt.date = Field(description="Last day it holds.")


class CheckResult(BaseModel):
    """One check applied to one subject (an endpoint, an extension, ...)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str = Field(description="Stable check id, e.g. health.latency (docs/checks.md).")
    subject: str | None = Field(None, description="What the check was applied to, e.g. an endpoint path.")
    status: Status = Field(description="passed | failed | error | skipped | waived.")
    severity: Severity = Field(description="critical | high | medium | low | info.")
    title: str = Field(description="What the check verifies, in words.")
    suite: str = Field(description="Suite (folder under suites/) the check belongs to.")
    claims: tuple[ClaimRef, ...] = Field(
        (), description="The profile's claims this result verifies: {id, text, source} (profile `claims`)."
    )
    controls: tuple[str, ...] = Field((), description="Control ids supported, e.g. SOC2:A1.2.")
    message: str = Field("", description="One line: why it passed, failed, errored or was skipped.")
    error_reason: ErrorReason | None = Field(
        None, description="Why the check could not be carried out; set exactly when status is error."
    )
    evidence: Evidence = Field(default_factory=Evidence, description="Expected vs observed, and details.")
    duration_s: float = Field(0.0, description="Time the check took (s).")
    waiver: WaiverRef | None = Field(None, description="The waiver that made a failure `waived`.")
    remediation: str = Field("", description="What to change when the check fails (the catalog's line).")
    source: SourceRef | None = Field(
        None,
        description="The profile line this result verifies (a claim's, else the key's): SARIF's location.",
    )

    @model_validator(mode="after")
    def _reason_iff_error(self) -> Self:
        if (self.status is Status.ERROR) != (self.error_reason is not None):
            raise ValueError(
                f"error_reason must be set exactly when status is error (status {self.status}, "
                f"error_reason {self.error_reason})"
            )
        return self

    @classmethod
    def of(
        cls,
        spec: CheckSpec,
        status: Status,
        message: str = "",
        *,
        subject: str | None = None,
        evidence: Evidence | None = None,
        duration_s: float = 0.0,
        waiver: WaiverRef | None = None,
        error_reason: ErrorReason | None = None,
    ) -> CheckResult:
        """A result of the check ``spec`` describes: its identity card copied, the outcome added.

        An ``error`` without ``error_reason`` is taken as ``tool_failed``, the scan engine's usual case.
        """
        if status is Status.ERROR and error_reason is None:
            error_reason = ErrorReason.TOOL_FAILED
        return cls(
            id=spec.id,
            subject=subject,
            status=status,
            severity=spec.severity,
            title=spec.title,
            suite=spec.suite,
            controls=spec.controls,
            message=message,
            error_reason=error_reason,
            evidence=evidence or Evidence(),
            duration_s=round(duration_s, 4),
            waiver=waiver,
            remediation=spec.remediation,
        )

    @property
    def label(self) -> str:
        """``health.extra[/freshness]`` — the id with its subject."""
        return f"{self.id}[{self.subject}]" if self.subject else self.id
