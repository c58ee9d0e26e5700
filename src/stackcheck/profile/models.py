"""The profile: what a team's architecture decisions promise, as a validated pydantic model.

Every section is optional: a section that is absent means its checks are ``skipped`` with that reason.
Unknown keys are errors (``extra="forbid"``) so a typo never silently disables a check. The sections live
by kind in :mod:`~stackcheck.profile.http`, :mod:`~stackcheck.profile.data` and
:mod:`~stackcheck.profile.stages` (building blocks in :mod:`~stackcheck.profile.fields`); this module
assembles them into :class:`Profile` and re-exports them.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Self

from pydantic import Field, model_validator

from stackcheck.profile.backup import BackupSection, RestoreDrill
from stackcheck.profile.data import (
    PostgresExtension,
    PostgresHypertable,
    PostgresPartitionedTable,
    PostgresSection,
    RedisSection,
    RedisTtl,
)
from stackcheck.profile.deploy import DeploySection
from stackcheck.profile.fields import Section, version_specifier
from stackcheck.profile.http import (
    CorsSection,
    ExposureSection,
    HeadersSection,
    HealthSection,
    MetricsSection,
    ReadyDependency,
    ServiceSection,
    TargetSection,
    TlsSection,
)
from stackcheck.profile.inputs import InputEndpoint, InputParam, InputsSection, UploadEndpoint
from stackcheck.profile.logs import LogsSection
from stackcheck.profile.pgbouncer import PgBouncerSection, PoolMode
from stackcheck.profile.ratelimit import RateLimit, RateLimitSection
from stackcheck.profile.resilience import ResilienceSection
from stackcheck.profile.stages import LoadEndpoint, LoadSection, ScanSection, SloSection

__all__ = [
    "PROFILE_SECTIONS",
    "BackupSection",
    "Claim",
    "CorsSection",
    "DeploySection",
    "ExposureSection",
    "HeadersSection",
    "HealthSection",
    "InputEndpoint",
    "InputParam",
    "InputsSection",
    "LoadEndpoint",
    "LoadSection",
    "LogsSection",
    "MetricsSection",
    "PgBouncerSection",
    "PoolMode",
    "PostgresExtension",
    "PostgresHypertable",
    "PostgresPartitionedTable",
    "PostgresSection",
    "Profile",
    "RateLimit",
    "RateLimitSection",
    "ReadyDependency",
    "RedisSection",
    "RedisTtl",
    "ResilienceSection",
    "RestoreDrill",
    "ScanSection",
    "ServiceSection",
    "SloSection",
    "TargetSection",
    "TlsSection",
    "UploadEndpoint",
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


class Claim(Section):
    """One sentence of the team's architecture documents and what verifies it.

    ``verified_by`` names check ids (``ratelimit.enforced``) or profile keys (``rate_limit.requests``, or a
    whole section, ``rate_limit``): every check that reads one of those keys verifies the claim, and each of
    their results carries the claim in the report. A claim no machine can check is ``manual`` instead, with
    the reason.
    """

    id: Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.:-]*$", max_length=64)] = Field(
        description="Stable id of the claim, e.g. adr-0003-rate-limit or c-007."
    )
    text: Annotated[str, Field(min_length=1, max_length=2000)] = Field(
        description="The sentence, quoted as the document writes it (abridge with ...)."
    )
    source: Annotated[str, Field(min_length=1, max_length=500)] = Field(
        description="Where it is written: document and line, e.g. docs/adr/0003-data.md:14."
    )
    verified_by: list[Annotated[str, Field(min_length=1)]] = Field(
        default_factory=list,
        description="Check ids and/or profile keys whose checks verify the claim (the keys must be set in "
        "the profile). Check ids of a team's own suite are allowed (their namespace is theirs).",
    )
    manual: Annotated[str, Field(min_length=1, max_length=500)] | None = Field(
        None,
        description="Why no machine can check the claim (e.g. cost, an organisational rule): it is reported "
        "as `manual`, never as verified.",
    )

    @model_validator(mode="after")
    def _verified_xor_manual(self) -> Self:
        if bool(self.verified_by) == (self.manual is not None):
            raise ValueError(
                f"claim {self.id!r}: give either verified_by (the checks or keys that verify it) or manual "
                "(why no machine can), not both and not neither"
            )
        return self


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
    inputs: InputsSection | None = None
    exposure: ExposureSection | None = None
    tls: TlsSection | None = None
    logs: LogsSection | None = None
    postgres: PostgresSection | None = None
    redis: RedisSection | None = None
    pgbouncer: PgBouncerSection | None = None
    slo: SloSection | None = None
    load: LoadSection | None = None
    backup: BackupSection | None = None
    resilience: ResilienceSection | None = None
    scan: ScanSection | None = None
    deploy: DeploySection | None = None
    waivers: list[Waiver] = Field(default_factory=list)
    claims: list[Claim] = Field(
        default_factory=list,
        description="The sentences of the team's architecture documents this profile verifies, each with "
        "its source and what verifies it; the report gives each a verdict.",
    )
    suite_dirs: list[Annotated[str, Field(min_length=1)]] = Field(
        default_factory=list,
        description="The team's own suite folders (e.g. `[./checks]`), relative to the folder of the profile "
        "file given to `--profile`: `stackcheck verify` runs their tests with the built-in suites, like "
        "`--suite-dir DIR` (`--suite team` runs only them). Their tests declare their checks with "
        "`stackcheck.testing.check` (docs/team-checks.md).",
    )

    @model_validator(mode="after")
    def _claim_ids_unique(self) -> Self:
        seen: set[str] = set()
        for claim in self.claims:
            if claim.id in seen:
                raise ValueError(f"claim id {claim.id!r} is used twice (each claim needs its own id)")
            seen.add(claim.id)
        return self


PROFILE_SECTIONS: tuple[str, ...] = tuple(
    name
    for name in Profile.model_fields
    if name not in {"name", "extends", "description", "waivers", "claims", "suite_dirs"}
)
