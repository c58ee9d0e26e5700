"""What a check is: one typed object, referred to by symbol everywhere.

A :class:`CheckSpec` holds everything generic about a check: its stable id, title, severity, the suite that
runs it, the profile keys it reads (validated against the profile model when a run starts and by the
catalog's tests, so a typo is an error, not a check skipped for ever), the remediation line a failing result
shows, the controls it supports, and the failing examples that prove it can fail (:data:`FailingExample`).
Suites mark their tests with the object (``@pytest.mark.check(headers.HSTS)``), the scan engine judges
into it, and the harness's tests state their expectations with it; the registry in :mod:`stackcheck.catalog`
is built from the objects.
"""

from __future__ import annotations

import re
import types
import typing
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pydantic import BaseModel

    from stackcheck.profile.models import Profile

__all__ = [
    "CheckSpec",
    "Requires",
    "Severity",
    "SuiteName",
    "profile_key_exists",
    "profile_key_problems",
    "profile_value",
]


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
    from pydantic import BaseModel

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
    from stackcheck.profile.models import Profile

    model: type[BaseModel] | None = Profile
    for part in dotted.split("."):
        if model is None or part not in model.model_fields:
            return False
        model = _unwrap_model(model.model_fields[part].annotation)
    return True


def profile_key_problems(spec: CheckSpec) -> list[str]:
    """What in ``spec`` names no part of the profile model: its section, a ``reads`` or ``requires`` key.

    Not checked when a spec is built: that would import the profile's models into every command that
    lists checks (``stackcheck checks``, issue 17). :func:`stackcheck.catalog.check_profile_keys` runs it
    over the registry when a run starts, and the catalog's unit tests over every check.
    """
    from stackcheck.profile.models import Profile

    problems = []
    if spec.section and (
        spec.section not in Profile.model_fields
        or _unwrap_model(Profile.model_fields[spec.section].annotation) is None
    ):
        problems.append(f"{spec.id}: {spec.section!r} is not a section of the profile model")
    unknown = [k for k in spec.reads if not profile_key_exists(k)]
    if unknown:
        problems.append(f"{spec.id}: reads unknown profile key(s) {', '.join(unknown)}")
    for requirement in spec.requires:
        missing = [k for k in requirement.keys if not profile_key_exists(k)]
        if missing:
            problems.append(f"{spec.id}: requires unknown profile key(s) {', '.join(missing)}")
    return problems


def _tuple(value: object, what: str) -> tuple[str, ...]:
    if isinstance(value, str) or not isinstance(value, (tuple, list)):
        raise ValueError(f"{what} must be a tuple of strings, got {value!r}")
    if not all(isinstance(v, str) for v in value):
        raise ValueError(f"{what} must hold strings only, got {value!r}")
    return tuple(value)


@dataclass(frozen=True, kw_only=True)
class Requires:
    """Profile keys a check needs beyond its section; unset (or false, or empty) → the check is skipped.

    ``any_of=True`` skips only when every key is unset (``None``, or an empty list/mapping): for keys whose
    false value is a requirement of its own (``redis.appendonly: false``).
    """

    keys: tuple[str, ...]
    reason: str | None = None  # the skip message; default: which keys are not set
    any_of: bool = False

    def __post_init__(self) -> None:
        keys = _tuple(self.keys, "Requires.keys")
        if not keys:
            raise ValueError("Requires.keys names no profile key")
        object.__setattr__(self, "keys", keys)

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


_ID = re.compile(r"^[a-z0-9_]+(\.[a-z0-9_]+)+$")
_EXAMPLE_KINDS = ("defect", "profile", "sample", "test")


@dataclass(frozen=True, kw_only=True)
class CheckSpec:
    """A check's identity card. The id is a contract: scripts and waivers depend on it.

    ``fails_on`` lists the failing examples that prove the check can fail, each ``kind:value``:

    - ``defect:NAME[=ARG]`` — a defect of the reference service (``fixtures/refservice``);
    - ``profile:FILE`` — a profile under ``tests/data/profiles`` whose stack breaks the claim;
    - ``sample:PATH`` — a failing sample (IaC, code, image recipe) for a static check, from the repo root.

    The harness's tests fail when a check lists none, or names one that does not exist. A plain frozen
    dataclass, not a pydantic model: listing the checks builds no validator (issue 17, start-up).
    """

    id: str
    title: str
    severity: Severity
    suite: SuiteName
    section: str  # the profile section the check needs; absent section → skipped
    requires: tuple[Requires, ...] = ()  # further profile keys the check needs (each skips on its own)
    # Profile keys (dotted) the verdict depends on besides `section` and `requires`: a claim that lists
    # one of them in `verified_by` is verified by this check.
    reads: tuple[str, ...] = ()
    needs_target: bool = True  # whether the check talks to the service under test
    remediation: str = ""  # what to change when the check fails (one line)
    fails_on: tuple[str, ...] = ()  # failing examples: defect:, profile:, sample: or test:
    controls: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not isinstance(self.id, str) or not _ID.match(self.id):
            raise ValueError(f"check id {self.id!r} must be dotted lowercase words (a-z, 0-9, _)")
        if not isinstance(self.title, str) or not isinstance(self.section, str):
            raise ValueError(f"{self.id}: title and section must be strings")
        object.__setattr__(self, "severity", Severity(self.severity))
        object.__setattr__(self, "suite", SuiteName(self.suite))
        requires = tuple(self.requires)
        if not all(isinstance(r, Requires) for r in requires):
            raise ValueError(f"{self.id}: requires must hold Requires(...) entries")
        object.__setattr__(self, "requires", requires)
        for name in ("reads", "fails_on", "controls"):
            object.__setattr__(self, name, _tuple(getattr(self, name), f"{self.id}: {name}"))
        for example in self.fails_on:
            kind, _, value = example.partition(":")
            if kind not in _EXAMPLE_KINDS or not value:
                raise ValueError(
                    f"failing example {example!r}: write defect:NAME, profile:FILE or sample:PATH"
                )

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
