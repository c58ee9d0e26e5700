"""What a check is: one typed object, referred to by symbol everywhere.

A :class:`CheckSpec` holds everything generic about a check: its stable id, title, severity, the suite that
runs it, the profile keys it reads (validated against the profile model when the spec is built, so a typo is
an import error, not a check skipped for ever), the remediation line a failing result shows, the controls it
supports, and the failing examples that prove it can fail (:data:`FailingExample`). Suites mark their tests
with the object (``@pytest.mark.check(headers.HSTS)``), the scan engine judges into it, and the harness's
tests state their expectations with it; the registry in :mod:`stackcheck.catalog` is built from the objects.
"""

from __future__ import annotations

import types
import typing
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, field_validator

from stackcheck.profile.models import Profile

__all__ = ["CheckSpec", "Requires", "Severity", "SuiteName", "profile_key_exists", "profile_value"]


class Severity(StrEnum):
    """How bad a failure of the check is (SARIF/JUnit map from this)."""

    CRITICAL = "critical"
    HIGH = "high"
    MEDIUM = "medium"
    LOW = "low"
    INFO = "info"


class SuiteName(StrEnum):
    """Where a check runs: a folder under ``suites/`` (``--suite NAME``), a stage command of its own, or a
    team's own suite folder (``TEAM``: ``--suite-dir``, its checks registered at run time, see
    :mod:`stackcheck.team`)."""

    HEALTH = "health"
    POSTGRES = "postgres"
    REDIS = "redis"
    PGBOUNCER = "pgbouncer"
    RATELIMIT = "ratelimit"
    HEADERS = "headers"
    CORS = "cors"
    INPUTS = "inputs"
    EXPOSURE = "exposure"
    METRICS = "metrics"
    TLS = "tls"
    SCAN = "scan"
    SECRETS = "secrets"
    LOGS = "logs"
    DRILLS = "drills"
    LOAD = "load"  # the `stackcheck load` stage: no folder under suites/
    TEAM = "team"  # a team's own suite folder: no catalog module, checks registered by its tests


#: Suites that are stage commands of their own rather than folders under ``suites/``.
STAGE_SUITES: frozenset[SuiteName] = frozenset({SuiteName.LOAD})


def _unwrap_model(annotation: object) -> type[BaseModel] | None:
    """The pydantic model inside ``X | None`` / ``list[X]`` / ``dict[str, X]`` annotations, if any."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType, typing.Annotated):
        for arg in typing.get_args(annotation):
            found = _unwrap_model(arg)
            if found is not None:
                return found
    return None


def profile_value(profile: Profile, dotted: str) -> object:
    """The value of a dotted key in ``profile`` (``None`` when a section on the way is unset)."""
    value: object = profile
    for part in dotted.split("."):
        value = getattr(value, part, None)
    return value


def profile_key_exists(dotted: str) -> bool:
    """Whether ``dotted`` (``redis.maxmemory_policy``) names a field of the profile model."""
    model: type[BaseModel] | None = Profile
    for part in dotted.split("."):
        if model is None or part not in model.model_fields:
            return False
        model = _unwrap_model(model.model_fields[part].annotation)
    return True


class Requires(BaseModel):
    """Profile keys a check needs beyond its section; unset (or false, or empty) → the check is skipped.

    ``any_of=True`` skips only when every key is unset (``None``, or an empty list/mapping): for keys whose
    false value is a requirement of its own (``redis.appendonly: false``).
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    keys: tuple[str, ...] = Field(min_length=1)
    reason: str | None = Field(None, description="The skip message; default: which keys are not set.")
    any_of: bool = False

    @field_validator("keys")
    @classmethod
    def _keys_exist(cls, keys: tuple[str, ...]) -> tuple[str, ...]:
        unknown = [k for k in keys if not profile_key_exists(k)]
        if unknown:
            raise ValueError(f"unknown profile key(s) {', '.join(unknown)}")
        return keys

    def skip_reason(self) -> str:
        """Why the check is skipped when the keys are not set."""
        return self.reason or f"`{' / '.join(self.keys)}` is not set in the profile"

    def unmet(self, profile: Profile) -> bool:
        """Whether ``profile`` leaves these keys unset, so that the check is skipped."""
        values = [profile_value(profile, key) for key in self.keys]
        if self.any_of:
            # Keys whose false is a requirement of its own (appendonly: false): one set suffices; an
            # empty list or mapping says nothing.
            return all(v is None or v == [] or v == {} for v in values)
        return any(v is None or v is False or v == [] or v == {} for v in values)

    def missing(self, profile: Profile) -> tuple[str, ...]:
        """The keys to set so that these requirements are met (every key for ``any_of``: one of them)."""
        if not self.unmet(profile):
            return ()
        if self.any_of:
            return self.keys
        return tuple(
            k
            for k in self.keys
            if (v := profile_value(profile, k)) is None or v is False or v == [] or v == {}
        )


class CheckSpec(BaseModel):
    """A check's identity card. The id is a contract: scripts and waivers depend on it.

    ``fails_on`` lists the failing examples that prove the check can fail, each ``kind:value``:

    - ``defect:NAME[=ARG]`` — a defect of the reference service (``fixtures/refservice``);
    - ``profile:FILE`` — a profile under ``tests/data/profiles`` whose stack breaks the claim;
    - ``sample:PATH`` — a failing sample (IaC, code, image recipe) for a static check, from the repo root.

    The harness's tests fail when a check lists none, or names one that does not exist.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str = Field(pattern=r"^[a-z0-9_]+(\.[a-z0-9_]+)+$")
    title: str
    severity: Severity
    suite: SuiteName
    section: str = Field(description="Profile section the check needs; absent section → skipped.")
    requires: tuple[Requires, ...] = Field(
        (), description="Further profile keys the check needs (each entry skips on its own)."
    )
    reads: tuple[str, ...] = Field(
        (),
        description="Profile keys (dotted) the check's verdict depends on, besides `section` and "
        "`requires`: a claim that lists one of them in `verified_by` is verified by this check.",
    )
    needs_target: bool = Field(True, description="Whether the check talks to the service under test.")
    remediation: str = Field("", description="What to change when the check fails (one line).")
    fails_on: tuple[str, ...] = Field((), description="Failing examples: defect:, profile: or sample:.")
    controls: tuple[str, ...] = ()

    @field_validator("section")
    @classmethod
    def _section_exists(cls, section: str) -> str:
        if (
            section not in Profile.model_fields
            or _unwrap_model(Profile.model_fields[section].annotation) is None
        ):
            raise ValueError(f"{section!r} is not a section of the profile model")
        return section

    @field_validator("reads")
    @classmethod
    def _reads_exist(cls, keys: tuple[str, ...]) -> tuple[str, ...]:
        unknown = [k for k in keys if not profile_key_exists(k)]
        if unknown:
            raise ValueError(f"reads unknown profile key(s) {', '.join(unknown)}")
        return keys

    @field_validator("fails_on")
    @classmethod
    def _examples_are_typed(cls, examples: tuple[str, ...]) -> tuple[str, ...]:
        for example in examples:
            kind, _, value = example.partition(":")
            if kind not in ("defect", "profile", "sample", "test") or not value:
                raise ValueError(
                    f"failing example {example!r}: write defect:NAME, profile:FILE or sample:PATH"
                )
        return examples

    def skip_reason_for(self, profile: Profile) -> str | None:
        """Why this check is skipped on ``profile`` before it runs (its section or a required key unset),
        or ``None`` when the profile arms it."""
        if self.section and getattr(profile, self.section, None) is None:
            return f"profile has no `{self.section}` section"
        for requirement in self.requires:
            if requirement.unmet(profile):
                return requirement.skip_reason()
        return None

    def examples(self, kind: str) -> tuple[str, ...]:
        """The values of this check's failing examples of one kind (``defect``, ``profile``, ``sample``)."""
        return tuple(v for k, _, v in (e.partition(":") for e in self.fails_on) if k == kind)

    def __str__(self) -> str:
        return self.id
