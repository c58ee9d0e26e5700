"""What a check is: a stable id, what it proves, and which controls it supports."""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

__all__ = ["CheckSpec", "Claim", "Severity", "System"]


class Severity(StrEnum):
    """How bad a failure of the check is (SARIF/JUnit map from this)."""

    CRITICAL = "critical"
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"
    INFO = "info"


class System(StrEnum):
    """The architecture documents under ``shared/seeds`` whose claims the checks prove."""

    CHIMERA = "Chimera (000)"
    DJINN = "Djinn (001)"
    BLUEGREEN = "Railway blue-green platform (002)"
    AI_PLATFORM = "AI Community Platform (003)"
    MONTE_CARLO = "Monte Carlo planner (004)"


class Claim(BaseModel):
    """One sentence of an architecture decision record that a check proves, quoted."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    system: System = Field(description="The seed system whose ADR makes the claim.")
    quote: str = Field(description="The claim, quoted (abridged with ...).")


class CheckSpec(BaseModel):
    """A check's identity card. The id is a contract: scripts and waivers depend on it."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str = Field(pattern=r"^[a-z0-9_]+(\.[a-z0-9_]+)+$")
    title: str
    severity: Severity
    suite: str
    section: str = Field(description="Profile section the check needs; absent section → skipped.")
    needs_target: bool = Field(True, description="Whether the check talks to the service under test.")
    claims: tuple[Claim, ...] = ()
    controls: tuple[str, ...] = ()
