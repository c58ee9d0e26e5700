"""Putting the claims' findings into one profile: lists joined, conflicts resolved or handed to the reviewer.

Each finding (one rule on one sentence) is applied whole or not at all, in document order. When two
claims give one key different values, the stricter value is kept for the keys that have a direction (an
RTO of 60 minutes also meets one of 240); for the others the first claim wins. The claim that lost is
listed as manual, naming the claim that won, so the reviewer decides.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field

from stackcheck.adr.model import DraftClaim, Finding, Value

__all__ = ["PREFER", "Merged", "merge"]

# Keys with a direction: the stricter of two values is kept (it satisfies both claims).
PREFER: dict[str, Callable[[float, float], float]] = {
    "backup.rto_minutes": min,
    "backup.rpo_minutes": min,
    "slo.p95_ms": min,
    "slo.p99_ms": min,
    "slo.error_ratio": min,
    "health.max_latency_ms": min,
    "slo.rps": max,
    "tls.cert_min_days_left": max,
    "headers.hsts_min_age_s": max,
    "postgres.app_instances": max,
    "postgres.pool_size": max,
}


def _token(value: object) -> str:
    return json.dumps(value, sort_keys=True)


@dataclass
class Merged:
    """The draft's values by dotted key, and which claim put each value (or list item, map entry) there."""

    values: dict[str, Value] = field(default_factory=dict)
    owners: dict[str, list[str]] = field(default_factory=dict)  # key, "key=item" or "key.sub" → claim ids
    lost: dict[str, str] = field(default_factory=dict)  # claim id → why its values did not go in

    def owner_of(self, key: str) -> str | None:
        """The claim that set ``key`` (the first, when several agree)."""
        owners = self.owners.get(key)
        return owners[0] if owners else None

    def drop(self, key: str, reason: str) -> list[str]:
        """Remove ``key`` (a model refused its value); returns the claims that had set it."""
        self.values.pop(key, None)
        gone = [
            i
            for k in list(self.owners)
            if k == key or k.startswith((key + "=", key + "."))
            for i in self.owners.pop(k)
        ]
        for claim in gone:
            self.lost.setdefault(claim, reason)
        return gone


def _conflict(merged: Merged, key: str, value: Value) -> str | None:
    """None if ``value`` can go in; "new" if it replaces a laxer value; else the claim it loses to."""
    old = merged.values.get(key)
    if old is None or isinstance(value, list):
        return None
    if isinstance(value, dict):
        assert isinstance(old, dict)
        for sub, item in value.items():
            if sub in old and _token(old[sub]) != _token(item):
                return merged.owner_of(f"{key}.{sub}") or "?"
        return None
    if _token(old) == _token(value):
        return None
    prefer = PREFER.get(key)
    if prefer and isinstance(old, int | float) and isinstance(value, int | float):
        return "new" if prefer(old, value) == value else (merged.owner_of(key) or "?")
    return merged.owner_of(key) or "?"


def _put(merged: Merged, claim: str, key: str, value: Value) -> None:
    if isinstance(value, list):
        current = merged.values.setdefault(key, [])
        assert isinstance(current, list)
        for item in value:
            if _token(item) not in {_token(x) for x in current}:
                current.append(item)
            merged.owners.setdefault(f"{key}={_token(item)}", []).append(claim)
        merged.owners.setdefault(key, []).append(claim)
    elif isinstance(value, dict):
        current_map = merged.values.setdefault(key, {})
        assert isinstance(current_map, dict)
        for sub, item in value.items():
            current_map[sub] = item
            merged.owners.setdefault(f"{key}.{sub}", []).append(claim)
        merged.owners.setdefault(key, []).append(claim)
    else:
        merged.values[key] = value
        merged.owners.setdefault(key, []).append(claim)


# Sections that hold several of one thing: a finding that conflicts with the first goes to the list.
FURTHER = {"rate_limit": "rate_limit.also"}


# What tells two limits apart even when their budgets agree: the endpoint and the key.
_IDENTITY = ("path", "method", "header")


def _further(merged: Merged, finding: Finding, claim: DraftClaim) -> Finding | None:
    """A second whole-section finding ("5 per minute on /login") as an entry of its section's further ones,
    unless it restates the first (the same limit in a table and in prose)."""
    sections = {key.split(".", 1)[0] for key in finding.values}
    if len(sections) != 1 or (section := sections.pop()) not in FURTHER:
        return None
    if not any(key.startswith(section + ".") for key in merged.values):
        return None  # the first: it is the section itself
    fields = {key.split(".", 1)[1]: value for key, value in finding.values.items()}
    clash = any(_conflict(merged, f"{section}.{k}", v) not in (None, "new") for k, v in fields.items())
    other = any(merged.values.get(f"{section}.{k}") != fields.get(k) for k in _IDENTITY if k in fields)
    if not clash and not other:
        return None
    entry: dict[str, object] = {"name": f"line-{claim.sentence.line}", **fields}  # distinct results' subject
    return Finding(finding.rule, {FURTHER[section]: [entry]}, finding.verifies)


def _apply(merged: Merged, claim: DraftClaim, finding: Finding, where: Callable[[str], str]) -> bool:
    further = _further(merged, finding, claim)
    if further is not None:
        return _apply(merged, claim, further, where)
    verdicts = {key: _conflict(merged, key, value) for key, value in finding.values.items()}
    losing = {k: v for k, v in verdicts.items() if v not in (None, "new")}
    if losing:
        key, winner = next(iter(losing.items()))
        kept = _token(merged.values.get(key))
        merged.lost.setdefault(
            claim.id,
            f"conflicts with {winner} ({where(winner)}), whose {key} {kept} the draft keeps: "
            "review which holds",
        )
        return False
    for key, verdict in verdicts.items():
        if verdict == "new":
            for loser in merged.owners.pop(key, []):
                merged.lost.setdefault(
                    loser,
                    f"conflicts with {claim.id} ({claim.sentence.where}), whose stricter {key} "
                    f"{_token(finding.values[key])} the draft keeps: review which holds",
                )
            merged.values.pop(key, None)
        _put(merged, claim.id, key, finding.values[key])
    return True


def merge(claims: list[DraftClaim], where: Callable[[str], str]) -> Merged:
    """The findings of ``claims`` (already filtered to the draft's environment) merged in order.

    ``where(claim_id)`` gives a claim's ``file:line`` for the conflict messages.
    """
    merged = Merged()
    for claim in claims:
        for finding in claim.findings:
            if finding.values:
                _apply(merged, claim, finding, where)
    return merged
