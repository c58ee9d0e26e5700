"""A team's own checks: declared by the tests of its suite folder, registered for one run only.

A team's suite folder (``stackcheck verify --suite-dir DIR``, or ``suite_dirs:`` in the profile) holds
pytest tests like the built-in suites. Each test says which check it is with :func:`check` (re-exported by
:mod:`stackcheck.testing`)::

    from stackcheck.testing import check

    @check("acme.orders_paginated", title="GET /orders pages its answer", severity="medium",
           controls=["OWASP-ASVS:13.2.1"], remediation="cap the page size", claims=["adr-7-paging"])
    def test_orders_are_paginated(http, evidence): ...

:func:`check` only builds a :class:`TeamCheck` and marks the test with it (``@pytest.mark.check(spec)``,
like a built-in check); nothing is registered when a module is imported. The plugin registers the checks
of the tests it collects into the run's :class:`TeamRegistry`, so a team's ids exist for that run and no
other, and two checks claiming one id are a usage error (exit 2) naming both places.

A team's ids live in a namespace of their own: their first part must not be one stackcheck uses
(:func:`reserved_namespaces`: ``health``, ``pg``, ``tls``, ...), so a built-in check added later never
takes a team's id.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from stackcheck._exceptions import UsageError
from stackcheck.catalog import reserved_namespaces
from stackcheck.catalog.spec import CheckSpec, Severity, SuiteName
from stackcheck.profile.models import PROFILE_SECTIONS, Profile
from stackcheck.resources import resolve_suites

__all__ = [
    "TeamCheck",
    "TeamCheckError",
    "TeamRegistry",
    "check",
    "claim_problem",
    "link_claims",
    "module_clash",
    "reserved_namespaces",
    "select_suites",
    "suite_folders",
]

F = TypeVar("F", bound=Callable[..., object])

_ID = re.compile(r"^[a-z0-9_]+(\.[a-z0-9_]+)+$")


class TeamCheckError(UsageError):
    """A team check declared wrongly (its id, severity, section) or twice: exit 2, never a result."""


@dataclass(frozen=True, kw_only=True)
class TeamCheck(CheckSpec):
    """A check a team declared with :func:`check`: a :class:`CheckSpec` of the ``team`` suite, plus the
    profile claims it verifies and where it was declared. Calling it marks a test function with it."""

    suite: SuiteName = SuiteName.TEAM
    section: str = ""  # the profile section the check needs (absent section → skipped); empty: none
    claim_ids: tuple[str, ...] = ()  # ids of the profile claims (claims[].id) it verifies
    defined_at: str = ""  # where it was declared (file:line), for error messages

    def __post_init__(self) -> None:
        super().__post_init__()
        namespace = self.id.split(".", 1)[0]
        if namespace in reserved_namespaces():
            raise ValueError(f"check id {self.id!r} is in stackcheck's namespace {namespace!r}")
        if self.section and self.section not in PROFILE_SECTIONS:
            raise ValueError(
                f"section {self.section!r} is not a profile section ({', '.join(PROFILE_SECTIONS)})"
            )
        object.__setattr__(self, "claim_ids", tuple(self.claim_ids))

    def __call__(self, function: F) -> F:
        """Mark ``function`` (a test) as implementing this check: ``@ORDERS`` above several tests."""
        import pytest  # imported by the tests that use it: `profile validate` needs no pytest

        marked: F = pytest.mark.check(self)(function)
        return marked


def _where(depth: int) -> str:
    frame = sys._getframe(depth + 1)
    path = Path(frame.f_code.co_filename)
    try:
        shown = str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        shown = str(path)
    return f"{shown}:{frame.f_lineno}"


def _names(values: Sequence[str] | str, what: str, where: str) -> tuple[str, ...]:
    items = (values,) if isinstance(values, str) else tuple(values)  # controls="SOC2:CC7.1" is one, not 9
    bad = [v for v in items if not isinstance(v, str) or not v.strip()]
    if bad:
        raise TeamCheckError(f"{where}: {what} must be non-empty strings, got {bad[0]!r}")
    return items


def check(
    check_id: str,
    *,
    title: str,
    severity: Severity | str,
    controls: Sequence[str] | str = (),
    remediation: str = "",
    claims: Sequence[str] | str = (),
    section: str | None = None,
) -> TeamCheck:
    """Declare a check of the team's own; use the result as a decorator (``@check(...)`` above the test).

    - ``check_id``: dotted, lowercase (``acme.orders_paginated``); its first part is the team's namespace
      and must not be one stackcheck uses (:func:`reserved_namespaces`);
    - ``title``: what the check verifies, in words; ``severity``: critical, high, medium, low or info;
    - ``controls``: control ids it supports (``SOC2:CC7.2``); ``remediation``: what to change when it fails;
    - ``claims``: ids of the profile's claims (``claims[].id``) it verifies;
    - ``section``: a profile section it needs (``postgres``): without it the check is ``skipped``.

    A mistake raises :class:`TeamCheckError` (one line naming this call's file and line): the run stops
    with exit code 2 before anything is checked.
    """
    where = _where(1)
    if not isinstance(check_id, str) or not _ID.match(check_id):
        raise TeamCheckError(
            f"{where}: check id {check_id!r} must be dotted lowercase words (a-z, 0-9, _), "
            "e.g. acme.orders_paginated"
        )
    namespace = check_id.split(".", 1)[0]
    if namespace in reserved_namespaces():
        raise TeamCheckError(
            f"{where}: check id {check_id!r} is in stackcheck's namespace {namespace!r}",
            f"start it with your team's own name, e.g. acme.{check_id.split('.', 1)[1]}",
        )
    if not isinstance(title, str) or not title.strip():
        raise TeamCheckError(f"{where}: check {check_id!r} needs a title (what it verifies, in words)")
    levels = ", ".join(s.value for s in Severity)
    if severity not in {s.value for s in Severity}:
        raise TeamCheckError(f"{where}: check {check_id!r}: severity {severity!r} is not one of {levels}")
    try:
        return TeamCheck(
            id=check_id,
            title=title.strip(),
            severity=Severity(severity),
            section=section or "",
            remediation=remediation,
            controls=_names(controls, "controls", where),
            claim_ids=_names(claims, "claims", where),
            defined_at=where,
        )
    except ValueError as exc:
        raise TeamCheckError(f"{where}: check {check_id!r}: {exc}") from None


class TeamRegistry:
    """The team checks of one run, by id: filled by the plugin as it collects tests, dropped with the run."""

    def __init__(self) -> None:
        self._checks: dict[str, TeamCheck] = {}

    def register(self, spec: TeamCheck) -> None:
        """Add ``spec``; the same declaration again is no change, another declaration of the same id is a
        :class:`TeamCheckError`."""
        known = self._checks.get(spec.id)
        if known is None:
            self._checks[spec.id] = spec
        elif known != spec:
            raise TeamCheckError(
                f"check id {spec.id!r} is declared twice: at {known.defined_at} and at {spec.defined_at}",
                "give each check its own id, or declare it once and mark every test with that object",
            )

    def get(self, check_id: str) -> TeamCheck | None:
        """The check registered as ``check_id`` in this run, if any."""
        return self._checks.get(check_id)

    def specs(self) -> tuple[TeamCheck, ...]:
        """Every team check of the run, in registration order."""
        return tuple(self._checks.values())

    def ids(self) -> set[str]:
        """The ids of this run's team checks."""
        return set(self._checks)


def module_clash(folders: Iterable[Path]) -> str | None:
    """A test file name that two of ``folders`` (suite folders) both hold at a top level that is not a
    package: pytest imports both under one module name and fails (``import file mismatch``). The first
    such clash, described, or ``None``."""
    seen: dict[str, Path] = {}
    for folder in folders:
        for path in sorted(folder.rglob("test_*.py")):
            if (path.parent / "__init__.py").is_file():
                continue  # inside a package: imported under its dotted name
            first = seen.setdefault(path.name, path)
            if first != path:
                return f"{first} and {path} are both named {path.name}"
    return None


def suite_folders(options: Sequence[str], profile_dirs: Sequence[str], profile_path: Path) -> list[Path]:
    """The team's suite folders of a run: ``--suite-dir`` values (relative to the working directory), then
    the profile's ``suite_dirs`` (relative to the profile file's folder); each must be a folder."""
    found: list[Path] = []
    named = [(Path(o), f"--suite-dir {o}", "pass an existing folder") for o in options]
    named += [
        (profile_path.parent / d, f"{profile_path} suite_dirs[{i}]: {d}", "paths are relative to the profile")
        for i, d in enumerate(profile_dirs)
    ]
    for path, where, fix in named:
        if not path.is_dir():
            raise UsageError(f"{where}: {path} is not a folder", fix)
        resolved = path.resolve()
        if resolved not in found:
            found.append(resolved)
    return found


def claim_problem(specs: Iterable[TeamCheck], profile: Profile, source: str) -> str | None:
    """The first team check that says it verifies a claim the profile does not list, or marks ``manual``."""
    claims = {c.id: c for c in profile.claims}
    for spec in specs:
        for claim_id in spec.claim_ids:
            claim = claims.get(claim_id)
            if claim is None:
                listed = ", ".join(claims) or "none"
                return (
                    f"{spec.defined_at}: check {spec.id!r} verifies claim {claim_id!r}, but {source} lists "
                    f"no claim with that id (claims[].id: {listed})"
                )
            if claim.manual is not None:
                return (
                    f"{spec.defined_at}: check {spec.id!r} verifies claim {claim_id!r}, which {source} marks "
                    "manual (no machine can check it): drop one of the two"
                )
    return None


def link_claims(profile: Profile, specs: Iterable[TeamCheck]) -> Profile:
    """``profile`` with each claim a team check names (``claims=``) verified by that check too (for this
    run's verdicts: the profile file is unchanged)."""
    adds: dict[str, list[str]] = {}
    for spec in specs:
        for claim_id in spec.claim_ids:
            adds.setdefault(claim_id, []).append(spec.id)
    if not adds:
        return profile
    claims = [
        c.model_copy(update={"verified_by": list(dict.fromkeys([*c.verified_by, *adds[c.id]]))})
        if c.id in adds and c.manual is None
        else c
        for c in profile.claims
    ]
    return profile.model_copy(update={"claims": claims})


def select_suites(
    names: Sequence[str], options: Sequence[str], profile_dirs: Sequence[str], profile_path: Path
) -> tuple[list[Path], list[Path]]:
    """The built-in suite folders and the team's folders of a verify run.

    ``names`` (``--suite``) are built-in suites and ``team``: the team's folders (``options`` from
    ``--suite-dir``, ``profile_dirs`` from ``suite_dirs``) run when no name is given or ``team`` is one; a
    folder given with ``--suite-dir`` always runs.
    """
    chosen = list(names)
    builtin = [name for name in chosen if name != "team"]
    suite_paths = resolve_suites(builtin) if builtin or not chosen else []
    team_dirs = suite_folders(options, profile_dirs if not chosen or "team" in chosen else [], profile_path)
    if "team" in chosen and not team_dirs:
        raise UsageError(
            "--suite team: the run has no team suite folder", "pass --suite-dir, or set suite_dirs"
        )
    clash = module_clash([*suite_paths, *team_dirs])
    if clash:
        raise UsageError(f"test file names clash: {clash}", "rename one: pytest imports both as one module")
    return suite_paths, team_dirs
