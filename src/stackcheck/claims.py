"""The team's claims: which results verify each profile claim, and each claim's verdict in a run.

A claim (:class:`~stackcheck.profile.models.Claim`) names check ids and profile keys in ``verified_by``. A
key stands for every check that reads it (``CheckSpec.section`` for a whole section, ``reads`` and
``requires`` for a key), so a claim written as ``verified_by: [rate_limit.requests]`` is verified by the
rate-limit checks without the team knowing their ids. Each result then carries the claims it verifies, and
each claim gets one verdict from its results:

- ``violated``: a result behind it failed (a waived failure too: the claim does not hold, the waiver only
  accepts that for a while);
- ``could_not_check``: none failed, but one could not be checked (``error``);
- ``verified``: none failed or errored, at least one passed, and every check behind it ran (a skipped
  result counts as run: the check looked and found nothing to apply to);
- ``not_run``: nothing failed or errored, but a check behind it did not run in this run (not selected,
  another stage's, or no check reads its keys yet), or every result was skipped;
- ``manual``: the profile says no machine can check it, and why.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING

from pydantic import BaseModel, ConfigDict, Field

from stackcheck.catalog import REGISTRY, reserved_namespaces
from stackcheck.catalog.spec import CheckSpec, profile_key_exists, profile_value
from stackcheck.profile.models import PROFILE_SECTIONS, Claim, Profile

if TYPE_CHECKING:  # the results' models are imported where claims are judged: `profile validate` needs none
    from stackcheck.outcomes import CheckResult, ClaimRef

__all__ = [
    "ClaimCounts",
    "ClaimStatus",
    "ClaimVerdict",
    "apply_claims",
    "attach_claims",
    "check_keys",
    "claim_checks",
    "claim_problems",
    "count_claims",
    "judge_claims",
    "rejudge_claims",
]


class ClaimStatus(StrEnum):
    """A claim's verdict in one run."""

    VERIFIED = "verified"
    VIOLATED = "violated"
    COULD_NOT_CHECK = "could_not_check"
    MANUAL = "manual"
    NOT_RUN = "not_run"


class ClaimVerdict(BaseModel):
    """One profile claim and what this run found about it."""

    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)

    id: str = Field(description="The claim's id in the profile.")
    text: str = Field(description="The sentence, quoted.")
    source: str = Field(description="Where it is written (document:line).")
    status: ClaimStatus = Field(description="verified | violated | could_not_check | manual | not_run.")
    message: str = Field(description="One line: why the claim has this verdict.")
    verified_by: tuple[str, ...] = Field((), description="The check ids and profile keys the profile names.")
    checks: tuple[str, ...] = Field((), description="The check ids those stand for.")
    results: tuple[str, ...] = Field((), description="Labels of this run's results behind the claim.")
    manual: str | None = Field(None, description="Why no machine can check it (manual claims).")


class ClaimCounts(BaseModel):
    """How many of the profile's claims ended in each verdict."""

    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)

    total: int = Field(0, description="Claims in the profile.")
    verified: int = Field(0, description="Claims whose checks all passed.")
    violated: int = Field(0, description="Claims with a failed (or waived) result.")
    could_not_check: int = Field(0, description="Claims with a result that could not be checked.")
    manual: int = Field(0, description="Claims no machine can check, with the reason.")
    not_run: int = Field(0, description="Claims none of whose checks ran in this run.")


def _key_matches(key: str, read: str) -> bool:
    return key == read or key.startswith(read + ".") or read.startswith(key + ".")


def check_keys(spec: CheckSpec) -> tuple[str, ...]:
    """The profile keys a check's verdict depends on: what it reads, then what it requires."""
    return (*spec.reads, *(k for r in spec.requires for k in r.keys))


def checks_for(item: str, specs: Iterable[CheckSpec] | None = None) -> tuple[str, ...]:
    """The check ids a ``verified_by`` entry stands for: itself if it is a check id, else every check that
    reads the key (a section name stands for every check of that section)."""
    specs = tuple(REGISTRY.values()) if specs is None else tuple(specs)
    if any(s.id == item for s in specs):
        return (item,)
    if "." not in item:
        return tuple(s.id for s in specs if s.section == item)
    return tuple(s.id for s in specs if any(_key_matches(item, r) for r in check_keys(s)))


def _is_builtin_namespace(item: str) -> bool:
    return item.split(".", 1)[0] in reserved_namespaces()


def _all_keys() -> list[str]:
    from stackcheck.catalog.spec import _unwrap_model

    keys = []
    for section in PROFILE_SECTIONS:
        model = _unwrap_model(Profile.model_fields[section].annotation)
        keys += [f"{section}.{name}" for name in (model.model_fields if model else ())]
    return keys


def claim_problems(profile: Profile) -> list[tuple[tuple[str | int, ...], str]]:
    """Mistakes in the profile's claims, each with the key path it is at: a ``verified_by`` entry that is
    neither a check id nor a profile key, or a key whose section the profile does not set."""
    problems: list[tuple[tuple[str | int, ...], str]] = []
    for i, claim in enumerate(profile.claims):
        for j, item in enumerate(claim.verified_by):
            where: tuple[str | int, ...] = ("claims", i, "verified_by", j)
            if item in REGISTRY:
                continue
            section = item.split(".", 1)[0]
            if profile_key_exists(item) and section in PROFILE_SECTIONS:
                if getattr(profile, section) is None:
                    problems.append(
                        (
                            where,
                            f"claim {claim.id!r} is verified by {item}, but the profile has no `{section}` "
                            f"section: set {item}, or name a check id",
                        )
                    )
                continue
            entry = _mapping_entry(item)
            if entry is not None:
                value = profile_value(profile, entry[0])
                if not isinstance(value, dict) or entry[1] not in value:
                    problems.append(
                        (
                            where,
                            f"claim {claim.id!r} is verified by {item}, but {entry[0]} sets no {entry[1]!r}: "
                            f"set {item}, or name {entry[0]}",
                        )
                    )
                continue
            near = difflib.get_close_matches(item, [*REGISTRY, *_all_keys()], n=1, cutoff=0.85)
            if _is_builtin_namespace(item) or "." not in item or near:
                hint = f" (did you mean {near[0]}?)" if near else ""
                problems.append(
                    (
                        where,
                        f"claim {claim.id!r}: {item!r} is neither a check id (`stackcheck checks` lists "
                        f"them) nor a profile key (`stackcheck profile schema`){hint}",
                    )
                )
            # Otherwise: a check id in a team's own namespace, resolved when its suite registers it.
    return problems


# Keys that say where the system runs rather than what it promises: the run supplies them (an overlay that
# launches the service, `--set pgbouncer.admin_dsn=...`, a DR-drill job's overlay arming the backup drills
# on a schedule of its own), so a shipped profile may leave them unset.
RUN_SUPPLIED: tuple[str, ...] = ("service", "pgbouncer.admin_dsn", "backup.drill", "backup.fresh")


@dataclass(frozen=True)
class Unarmed:
    """A claim's ``verified_by`` entry whose checks the profile leaves unarmed (skipped before they run)."""

    claim: str
    item: str
    check: str
    keys: tuple[str, ...]  # what to set to arm it
    reason: str  # the check's skip message

    @property
    def run_supplied(self) -> bool:
        """Whether only keys the run supplies are missing (see :data:`RUN_SUPPLIED`)."""
        return all(k in RUN_SUPPLIED for k in self.keys)

    def __str__(self) -> str:
        what = "it" if self.item == self.check else self.check
        return f"{self.item}: the profile does not arm {what} ({self.reason}): set {' and '.join(self.keys)}"


def unarmed_claims(profile: Profile) -> list[Unarmed]:
    """What keeps the profile's claims from being verified as written: a check behind a ``verified_by``
    entry (or every check behind a key) that the profile leaves unarmed (its section or a key it requires
    unset), so it is skipped and the claim reported ``not_run``. Not a mistake of the file: an overlay,
    ``--set`` or the run may arm it; ``profile validate`` shows these as warnings."""
    out: list[Unarmed] = []
    for claim in profile.claims:
        if claim.manual is not None:
            continue
        for item in claim.verified_by:
            behind = [REGISTRY[c] for c in checks_for(item) if c in REGISTRY]
            if not behind or any(s.skip_reason_for(profile) is None for s in behind):
                continue
            spec = behind[0]
            keys = tuple(k for r in spec.requires for k in r.missing(profile))
            if getattr(profile, spec.section, None) is None:
                keys = (spec.section,)
            out.append(Unarmed(claim.id, item, spec.id, keys, spec.skip_reason_for(profile) or ""))
    return out


def _scopes(verified_by: Iterable[str], specs: tuple[CheckSpec, ...]) -> dict[str, frozenset[str] | None]:
    """Check id → the subjects a claim rests on (``None``: every result of the check). An entry naming a key
    inside one a check reads (``postgres.settings.shared_buffers`` of ``pg.settings``'s
    ``postgres.settings``) rests on that subject alone: one tuned setting is one claim."""
    scopes: dict[str, frozenset[str] | None] = {}
    for item in verified_by:
        for check_id in checks_for(item, specs):
            spec = next((s for s in specs if s.id == check_id), None)
            subject = _subject_of(item, spec) if spec is not None else None
            before = scopes.get(check_id, frozenset())
            if subject is None or before is None:
                scopes[check_id] = None
            else:
                scopes[check_id] = before | {subject}
    return scopes


def _claim_scopes(
    verified_by: Iterable[str], checks: Iterable[str], specs: tuple[CheckSpec, ...]
) -> dict[str, frozenset[str] | None]:
    """:func:`_scopes` for each of a claim's ``checks`` (a team's check that did not register: whole)."""
    scopes = _scopes(verified_by, specs)
    return {check: scopes.get(check) for check in checks}


def _mapping_entry(item: str) -> tuple[str, str] | None:
    """``("postgres.settings", "shared_buffers")`` for ``postgres.settings.shared_buffers``: a ``verified_by``
    entry naming one entry of a profile mapping that checks read; ``None`` for anything else."""
    if profile_key_exists(item):
        return None
    parts = item.split(".")
    for k in range(len(parts) - 1, 1, -1):
        prefix = ".".join(parts[:k])
        if profile_key_exists(prefix):
            return (prefix, ".".join(parts[k:])) if checks_for(prefix) else None
    return None


def _subject_of(item: str, spec: CheckSpec) -> str | None:
    """``shared_buffers`` for ``postgres.settings.shared_buffers`` and a check reading ``postgres.settings``
    (a mapping of the profile whose entries are the check's subjects); ``None`` for anything else."""
    entry = _mapping_entry(item)
    return entry[1] if entry is not None and entry[0] in check_keys(spec) else None


def _behind(results: Iterable[CheckResult], scopes: dict[str, frozenset[str] | None]) -> list[CheckResult]:
    """The results a claim rests on: of its checks, within its subjects (a result about no subject, such as
    a check that could not run at all, always)."""
    out = []
    for r in results:
        if r.id not in scopes:
            continue
        scope = scopes[r.id]
        if scope is None or r.subject is None or r.subject in scope:
            out.append(r)
    return out


def _refs(claims: Sequence[Claim]) -> tuple[ClaimRef, ...]:
    from stackcheck.outcomes import ClaimRef

    return tuple(ClaimRef(id=c.id, text=c.text, source=c.source) for c in claims)


def _claim_checks(claim: Claim, specs: tuple[CheckSpec, ...]) -> tuple[str, ...]:
    ids: dict[str, None] = {}
    for item in claim.verified_by:
        found = checks_for(item, specs)
        if not found and "." in item and not profile_key_exists(item):
            found = (item,)  # a check id of a team's suite that did not register in this run
        ids.update(dict.fromkeys(found))
    return tuple(ids)


def _specs(extra: Iterable[CheckSpec]) -> tuple[CheckSpec, ...]:
    return (*REGISTRY.values(), *(s for s in extra if s.id not in REGISTRY))


def claim_checks(claim: Claim, extra_specs: Iterable[CheckSpec] = ()) -> tuple[str, ...]:
    """The check ids behind ``claim``'s ``verified_by`` (none for a manual claim, or a key no check reads)."""
    return _claim_checks(claim, _specs(extra_specs)) if claim.manual is None else ()


def attach_claims(
    results: Iterable[CheckResult], profile: Profile, extra_specs: Iterable[CheckSpec] = ()
) -> tuple[CheckResult, ...]:
    """Each result with the profile's claims it verifies (none when no claim points at its check)."""
    specs = _specs(extra_specs)
    scoped = [(c, _claim_scopes(c.verified_by, _claim_checks(c, specs), specs)) for c in profile.claims]
    out = []
    for r in results:
        mine = [c for c, scopes in scoped if _behind((r,), scopes)]
        out.append(r.model_copy(update={"claims": _refs(mine)}) if mine or r.claims else r)
    return tuple(out)


def _verdict(claim: Claim, checks: tuple[str, ...], behind: list[CheckResult]) -> tuple[ClaimStatus, str]:
    from stackcheck.outcomes import Status

    if claim.manual is not None:
        return ClaimStatus.MANUAL, f"manual: {claim.manual}"
    if not checks:
        keys = ", ".join(claim.verified_by)
        return ClaimStatus.NOT_RUN, f"no stackcheck check reads {keys} yet"
    labels = {s: [r.label for r in behind if r.status is s] for s in Status}
    bad = labels[Status.FAILED] + labels[Status.WAIVED]
    if bad:
        waived = f" ({len(labels[Status.WAIVED])} waived)" if labels[Status.WAIVED] else ""
        return ClaimStatus.VIOLATED, f"{len(bad)} result(s) failed{waived}: {', '.join(bad[:5])}"
    if labels[Status.ERROR]:
        return ClaimStatus.COULD_NOT_CHECK, f"could not check: {', '.join(labels[Status.ERROR][:5])}"
    ran = {r.id for r in behind}
    missing = [c for c in checks if c not in ran]
    if missing and behind:
        return ClaimStatus.NOT_RUN, (
            f"{', '.join(missing[:5])} did not run in this run (not selected, or another stage's); "
            f"{len(labels[Status.PASSED])} result(s) behind it passed"
        )
    if labels[Status.PASSED]:
        return ClaimStatus.VERIFIED, f"{len(labels[Status.PASSED])} result(s) passed"
    if behind:
        return ClaimStatus.NOT_RUN, f"every check behind it was skipped ({', '.join(checks[:5])})"
    return ClaimStatus.NOT_RUN, f"none of its checks ran in this run ({', '.join(checks[:5])})"


def judge_claims(
    results: Sequence[CheckResult], profile: Profile, extra_specs: Iterable[CheckSpec] = ()
) -> tuple[ClaimVerdict, ...]:
    """The verdict of every profile claim, from the results of this run."""
    from stackcheck.outcomes import Status

    specs = _specs(extra_specs)
    verdicts = []
    for claim in profile.claims:
        checks = _claim_checks(claim, specs)
        behind = _behind(results, _claim_scopes(claim.verified_by, checks, specs))
        status, message = _verdict(claim, checks, behind)
        verdicts.append(
            ClaimVerdict(
                id=claim.id,
                text=claim.text,
                source=claim.source,
                status=status,
                message=message,
                verified_by=tuple(claim.verified_by),
                checks=checks,
                results=tuple(r.label for r in behind if r.status is not Status.SKIPPED),
                manual=claim.manual,
            )
        )
    return tuple(verdicts)


def count_claims(verdicts: Sequence[ClaimVerdict]) -> ClaimCounts:
    """Counts by verdict."""
    counts = {s: sum(1 for v in verdicts if v.status is s) for s in ClaimStatus}
    return ClaimCounts(total=len(verdicts), **{s.value: n for s, n in counts.items()})


def apply_claims(
    results: Iterable[CheckResult], profile: Profile, extra_specs: Iterable[CheckSpec] = ()
) -> tuple[tuple[CheckResult, ...], tuple[ClaimVerdict, ...]]:
    """The results with their claims attached, and every claim's verdict: what a report holds."""
    extra = tuple(extra_specs)
    attached = attach_claims(results, profile, extra)
    return attached, judge_claims(attached, profile, extra)


def rejudge_claims(
    stages: Sequence[Sequence[ClaimVerdict]], results: Sequence[CheckResult]
) -> tuple[ClaimVerdict, ...]:
    """The claims' verdicts over the results of several stages of one profile (``stackcheck run``,
    ``report merge``), by :func:`judge_claims`'s rules: each stage judged the same claims with only its own
    results, so a claim whose checks span stages is verified only here, once every stage has run. Needs no
    profile: every verdict carries its claim and the check ids it stands for (a team's checks included)."""
    from stackcheck.outcomes import Status

    merged: dict[str, ClaimVerdict] = {}
    checks: dict[str, dict[str, None]] = {}
    for verdicts in stages:
        for verdict in verdicts:
            merged.setdefault(verdict.id, verdict)
            checks.setdefault(verdict.id, {}).update(dict.fromkeys(verdict.checks))
    out = []
    for claim_id, first in merged.items():
        ids = tuple(checks[claim_id])
        claim = Claim.model_construct(
            id=first.id,
            text=first.text,
            source=first.source,
            verified_by=list(first.verified_by),
            manual=first.manual,
        )
        behind = _behind(results, _claim_scopes(claim.verified_by, ids, _specs(())))
        status, message = _verdict(claim, ids, behind)
        labels = tuple(r.label for r in behind if r.status is not Status.SKIPPED)
        out.append(
            first.model_copy(update={"status": status, "message": message, "checks": ids, "results": labels})
        )
    return tuple(out)
