"""Outcomes of checks: the result model every suite, renderer and script shares."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from stackcheck.catalog.spec import Claim, Severity

__all__ = ["CheckResult", "Evidence", "Status", "WaiverRef"]


class Status(StrEnum):
    """What happened to one check.

    ``failed`` means the target is non-compliant; ``error`` means we could not tell (unreachable, timeout,
    tool missing) and is never reported as ``failed`` or ``passed``.
    """

    PASSED = "passed"
    FAILED = "failed"
    ERROR = "error"
    SKIPPED = "skipped"
    WAIVED = "waived"


class Evidence(BaseModel):
    """Why a check ended as it did: what the profile expected and what the target showed."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    expected: Any = None
    observed: Any = None
    op: str | None = Field(None, description="How observed is compared with expected: <=, >=, ==, in.")
    unit: str | None = Field(
        None, description="Unit of expected/observed, as the profile uses it (ms, days)."
    )
    details: dict[str, Any] = Field(
        default_factory=dict, description="Further facts (samples, URLs, versions)."
    )


class WaiverRef(BaseModel):
    """The waiver that turned a failure into ``waived``."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    owner: str
    reason: str
    expires: dt.date


class CheckResult(BaseModel):
    """One check applied to one subject (an endpoint, an extension, ...)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str
    subject: str | None = None
    status: Status
    severity: Severity
    title: str
    suite: str
    claims: tuple[Claim, ...] = ()
    controls: tuple[str, ...] = ()
    message: str = ""
    evidence: Evidence = Field(default_factory=Evidence)
    duration_s: float = 0.0
    waiver: WaiverRef | None = None

    @property
    def label(self) -> str:
        """``health.extra[/freshness]`` — the id with its subject."""
        return f"{self.id}[{self.subject}]" if self.subject else self.id
