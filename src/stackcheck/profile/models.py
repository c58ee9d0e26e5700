"""The profile: what a team's architecture decisions promise, as a validated pydantic model.

Every section is optional: a section that is absent means its checks are ``skipped`` with that reason.
Unknown keys are errors (``extra="forbid"``) so a typo never silently disables a check. The sections live
by kind in :mod:`~stackcheck.profile.http`, :mod:`~stackcheck.profile.data` and
:mod:`~stackcheck.profile.stages` (building blocks in :mod:`~stackcheck.profile.fields`); this module
assembles them into :class:`Profile` and re-exports them.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from pydantic import Field

from stackcheck.profile.data import BackupSection, PostgresHypertable, PostgresSection, RedisSection
from stackcheck.profile.fields import Section, version_specifier
from stackcheck.profile.http import (
    CorsSection,
    ExposureSection,
    HeadersSection,
    HealthSection,
    MetricsSection,
    RateLimitSection,
    ServiceSection,
    TargetSection,
    TlsSection,
)
from stackcheck.profile.stages import LoadEndpoint, LoadSection, ScanSection, SloSection

__all__ = [
    "PROFILE_SECTIONS",
    "BackupSection",
    "CorsSection",
    "ExposureSection",
    "HeadersSection",
    "HealthSection",
    "LoadEndpoint",
    "LoadSection",
    "MetricsSection",
    "PostgresHypertable",
    "PostgresSection",
    "Profile",
    "RateLimitSection",
    "RedisSection",
    "ScanSection",
    "ServiceSection",
    "SloSection",
    "TargetSection",
    "TlsSection",
    "Waiver",
    "version_specifier",
]


class Waiver(Section):
    """An accepted, time-boxed exception: a failing check reported as ``waived`` until ``expires``."""

    check: str = Field(description="Check id the waiver covers, e.g. tls.protocols.")
    subject: str | None = Field(None, description="Only this subject of the check (e.g. one endpoint).")
    reason: Annotated[str, Field(min_length=1)] = Field(description="Why the exception is accepted.")
    owner: Annotated[str, Field(min_length=1)] = Field(description="Who answers for it.")
    expires: dt.date = Field(description="Last day the waiver holds (YYYY-MM-DD).")


class Profile(Section):
    """One system in one environment: the checkable claims of its architecture decisions."""

    name: Annotated[str, Field(min_length=1)] = Field(description="Profile name, e.g. chimera-staging.")
    extends: str | list[str] | None = Field(
        None, description="Profile file(s) this one overlays, relative to this file (deep-merged)."
    )
    description: str | None = Field(None, description="Free text: the system and where its claims come from.")
    target: TargetSection | None = None
    service: ServiceSection | None = None
    health: HealthSection | None = None
    metrics: MetricsSection | None = None
    rate_limit: RateLimitSection | None = None
    headers: HeadersSection | None = None
    cors: CorsSection | None = None
    exposure: ExposureSection | None = None
    tls: TlsSection | None = None
    postgres: PostgresSection | None = None
    redis: RedisSection | None = None
    slo: SloSection | None = None
    load: LoadSection | None = None
    backup: BackupSection | None = None
    scan: ScanSection | None = None
    waivers: list[Waiver] = Field(default_factory=list)


PROFILE_SECTIONS: tuple[str, ...] = tuple(
    name for name in Profile.model_fields if name not in {"name", "extends", "description", "waivers"}
)
