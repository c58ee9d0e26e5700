"""``adr draft``'s core: documents in, a draft profile out, every key traced to the sentence it came from.

Read each document (:mod:`~stackcheck.adr.reader`), skip what was not decided, run every rule of
:data:`~stackcheck.adr.rules.RULES` on each sentence, merge the findings (:mod:`~stackcheck.adr.merge`),
and list every other sentence that reads as a claim as manual, with the reason
(:mod:`~stackcheck.adr.manual`). Keys the profile model refuses are dropped, their claims made manual.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from pydantic import ValidationError

from stackcheck.adr.manual import manual_reason
from stackcheck.adr.merge import Merged, merge
from stackcheck.adr.model import DraftClaim, Environment, Finding, Kind, Sentence, Value
from stackcheck.adr.reader import read_document
from stackcheck.adr.recognize import environment_of, is_excluded
from stackcheck.adr.rules import RULES
from stackcheck.catalog import REGISTRY
from stackcheck.profile.models import Profile

__all__ = ["Draft", "draft", "findings", "profile_data"]

_MAX_ROUNDS = 20  # each round drops at least one refused key: bounded by the keys a draft can have


@dataclass(frozen=True)
class Draft:
    """A drafted profile: its values by dotted key, who set them, and every claim read."""

    name: str
    documents: tuple[str, ...]
    environment: Environment
    values: dict[str, Value]
    owners: dict[str, list[str]]
    claims: tuple[DraftClaim, ...]
    sentences: int

    @property
    def mapped(self) -> tuple[DraftClaim, ...]:
        """Claims verified by keys or checks of the draft."""
        return tuple(c for c in self.claims if c.verified_by)

    @property
    def manual(self) -> tuple[DraftClaim, ...]:
        """Claims the draft lists as manual (with the reason)."""
        return tuple(c for c in self.claims if c.manual is not None)


def findings(sentence: Sentence) -> tuple[Finding, ...]:
    """What every rule makes of one sentence."""
    found = []
    for rule in RULES:
        match = rule.pattern.search(sentence.text)
        if match is None:
            continue
        values = rule.build(match, sentence)
        if values is not None and (values or rule.verifies):
            found.append(Finding(rule.name, values, rule.verifies))
    return tuple(found)


def _candidates(sentences: Sequence[Sentence]) -> list[DraftClaim]:
    claims: list[DraftClaim] = []
    for sentence in sentences:
        if is_excluded(sentence):
            continue
        found = findings(sentence)
        # Headings, configuration statements and lines introducing a list are no claims of their own.
        prose = sentence.kind is not Kind.HEADING and sentence.prose and not sentence.text.endswith(":")
        reason = manual_reason(sentence) if prose and not found else None
        if found or reason:
            claims.append(DraftClaim(f"c-{len(claims) + 1:03d}", sentence, found, manual=reason))
    return claims


def _section_of(key: str) -> str:
    return key.split(".", 1)[0]


def profile_data(values: dict[str, Value]) -> dict[str, dict[str, Value]]:
    """Dotted keys as the nested sections of a profile."""
    data: dict[str, dict[str, Value]] = {}
    for key, value in values.items():
        section, _, field = key.partition(".")
        data.setdefault(section, {})[field] = value
    return data


def _validate(name: str, merged: Merged) -> None:
    """Drop every key whose value the profile model refuses (its claims become manual, saying why)."""
    for _ in range(_MAX_ROUNDS):
        try:
            Profile.model_validate({"name": name, **profile_data(merged.values)})
            return
        except ValidationError as exc:
            error = exc.errors()[0]
            loc = [str(p) for p in error["loc"] if not isinstance(p, int)]
            key = ".".join(loc[:2]) if len(loc) >= 2 else (loc[0] if loc else "")
            if key not in merged.values:
                key = next((k for k in merged.values if k.startswith(key)), "")
            if not key:
                raise
            merged.drop(key, f"the draft could not use it: {key} {error['msg'].lower()}")
    raise RuntimeError("adr draft: the profile model kept refusing keys")  # pragma: no cover


def _companions(merged: Merged) -> None:
    # Application instances only matter to a check beside the pool each one opens.
    if "postgres.app_instances" in merged.values and "postgres.pool_size" not in merged.values:
        merged.drop(
            "postgres.app_instances",
            "application instances count only with the pool each opens (postgres.pool_size), which the ADR "
            "does not give",
        )


def _entry_keys(claim: DraftClaim, key: str) -> str:
    """``postgres.settings.shared_buffers`` for a claim whose findings gave ``postgres.settings`` that one
    entry: the claim rests on that entry's result alone (docs/claims.md), not on every tuned setting."""
    own = [f.values[key] for f in claim.findings if key in f.values]
    if len(own) == 1 and isinstance(own[0], Mapping) and len(own[0]) == 1:
        return f"{key}.{next(iter(own[0]))}"
    return key


def _settle(claim: DraftClaim, merged: Merged, environment: Environment) -> DraftClaim:
    """The claim's final verified_by or manual reason."""
    env = environment_of(claim.sentence)
    if env is not None and env != environment:
        return replace(
            claim, manual=f"applies to the {env} environment; this draft is for {environment} (--env {env})"
        )
    if claim.manual is not None and not claim.findings:
        return claim
    keys = [k for k in merged.values if claim.id in merged.owners.get(k, [])]
    checks = [
        c
        for f in claim.findings
        for c in f.verifies
        if REGISTRY[c].section in {_section_of(k) for k in merged.values}
    ]
    verified = tuple(dict.fromkeys([*(_entry_keys(claim, k) for k in keys), *checks]))
    if verified:
        applied = {k: merged.values[k] for k in keys}
        return replace(claim, verified_by=verified, manual=None, applied=applied)
    waiting = [c for f in claim.findings for c in f.verifies]
    reason = merged.lost.get(claim.id) or (
        f"{waiting[0]} verifies it once the {REGISTRY[waiting[0]].section} section is set"
        if waiting
        else None
    )
    return replace(claim, manual=reason or manual_reason(claim.sentence) or "no profile key expresses it")


def slug(text: str) -> str:
    """A profile name from a file name: ``0007-Quayside Runtime.md`` → ``0007-quayside-runtime``."""
    return re.sub(r"[^a-z0-9]+", "-", Path(text).stem.lower()).strip("-") or "draft"


def draft(paths: Sequence[Path], environment: Environment = "production", name: str | None = None) -> Draft:
    """Draft a profile for ``environment`` from the documents at ``paths`` (in order)."""
    sentences = [s for path in paths for s in read_document(path)]
    claims = [c for c in _candidates(sentences) if not (c.sentence.kind is Kind.HEADING and not c.findings)]
    by_id = {c.id: c for c in claims}
    in_env = [c for c in claims if environment_of(c.sentence) in (None, environment)]
    merged = merge(in_env, lambda claim_id: by_id[claim_id].sentence.where if claim_id in by_id else "?")
    _companions(merged)
    profile_name = name or slug(paths[0].name)
    _validate(profile_name, merged)
    settled = [_settle(c, merged, environment) for c in claims]
    # A heading that mapped nothing more than its section repeats is no claim of its own; the other
    # environments' columns of a table row that also has this environment's are the same claim.
    in_draft = {
        (c.sentence.line, c.sentence.quoted) for c in settled if environment_of(c.sentence) == environment
    }
    kept = tuple(
        c
        for c in settled
        if (c.sentence.kind is not Kind.HEADING or c.verified_by)
        and not (
            c.sentence.env not in (None, environment) and (c.sentence.line, c.sentence.quoted) in in_draft
        )
    )
    # Ids in order without gaps: c-001, c-002... (what was dropped above leaves none).
    ids = {c.id: f"c-{n:03d}" for n, c in enumerate(kept, 1)}

    def renumber(text: str) -> str:
        return re.sub(r"\bc-\d{3,}\b", lambda m: ids.get(m.group(0), m.group(0)), text)

    final = tuple(
        replace(c, id=ids[c.id], manual=renumber(c.manual) if c.manual is not None else None) for c in kept
    )
    owners = {key: [ids[i] for i in who if i in ids] for key, who in merged.owners.items()}
    return Draft(
        name=profile_name,
        documents=tuple(p.as_posix() for p in paths),
        environment=environment,
        values=merged.values,
        owners=owners,
        claims=final,
        sentences=len(sentences),
    )
