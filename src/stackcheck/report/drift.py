"""History records and drift: what changed between two runs, and the trend over the recorded ones.

A :class:`HistoryRecord` (schema ``stackcheck.history/v1``) is one compact line of a ``--history`` file; the
comparison works on records, so ``stackcheck report diff`` and the history of a run say the same thing.
Pure data and pure functions: reading and writing the file is :mod:`stackcheck.report.history`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Final, Literal

from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "HISTORY_SCHEMA",
    "TREND_RUNS",
    "WAIVER_SOON_DAYS",
    "Changes",
    "Drift",
    "HistoryRecord",
    "TrendPoint",
    "VerdictChange",
    "WaiverExpiry",
    "compare",
    "previous_of",
    "trend",
]

HISTORY_SCHEMA: Final = "stackcheck.history/v1"
TREND_RUNS: Final = 20  # the trend shows the last 20 runs of the profile
WAIVER_SOON_DAYS: Final = 14


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")  # a newer writer's extra fields are ignored


class WaiverExpiry(_Model):
    """A profile waiver and its last day."""

    check: str = Field(description="Check id the waiver names.")
    subject: str | None = Field(None, description="Subject it is limited to, if any.")
    owner: str = Field("", description="Who answers for it.")
    expires: dt.date = Field(description="Last day it holds.")


class HistoryRecord(_Model):
    """One run, as a line of the history file."""

    schema_: Literal["stackcheck.history/v1"] = Field(HISTORY_SCHEMA, alias="schema")
    time: dt.datetime = Field(description="UTC end of the run.")
    command: str = Field("", description="stackcheck verify, scan, load or run.")
    profile: str = Field(description="The profile's name.")
    sha256: str = Field("", description="SHA-256 of the effective profile.")
    target: str | None = Field(None, description="Base URL verified.")
    exit_code: int = Field(0, description="The run's exit code.")
    counts: dict[str, int] = Field(default_factory=dict, description="Results by status, and total.")
    pass_ratio: float | None = Field(None, description="passed / (passed + failed + error); null if none.")
    p95_ms: float | None = Field(None, description="The load's p95 latency (ms), when a load ran.")
    findings: dict[str, int] = Field(default_factory=dict, description="Open findings by severity.")
    failing: tuple[str, ...] = Field((), description="Labels of the failed and errored results.")
    fingerprints: tuple[str, ...] = Field((), description="Fingerprints of the open findings.")
    claim_counts: dict[str, int] = Field(default_factory=dict, description="Claims by verdict.")
    control_counts: dict[str, int] = Field(default_factory=dict, description="Controls by verdict.")
    claims: dict[str, str] = Field(default_factory=dict, description="Claim id → verdict.")
    controls: dict[str, str] = Field(default_factory=dict, description="Control id → verdict.")
    waivers: tuple[WaiverExpiry, ...] = Field((), description="The profile's waivers and their last day.")
    truncated: bool = Field(False, description="Lists were cut to keep the line short.")

    model_config = ConfigDict(frozen=True, extra="ignore", populate_by_name=True)


class VerdictChange(_Model):
    """A claim or control whose verdict changed."""

    id: str = Field(description="Claim or control id.")
    before: str | None = Field(description="Verdict in the older run (null: not there).")
    after: str | None = Field(description="Verdict in the newer run (null: not there).")


class Changes(_Model):
    """What changed from one run to the next."""

    previous_time: dt.datetime | None = Field(None, description="When the older run ended.")
    profile_changed: bool = Field(False, description="The profile's sha256 differs between the two runs.")
    new_failures: tuple[str, ...] = Field((), description="Results failed or errored now, not before.")
    fixed: tuple[str, ...] = Field((), description="Results failed or errored before, not now.")
    new_findings: tuple[str, ...] = Field((), description="Fingerprints of findings open now, not before.")
    removed_findings: tuple[str, ...] = Field((), description="Fingerprints of findings no longer open.")
    claims: tuple[VerdictChange, ...] = Field((), description="Claims whose verdict changed.")
    controls: tuple[VerdictChange, ...] = Field((), description="Controls whose verdict changed.")
    waivers_expired: tuple[WaiverExpiry, ...] = Field((), description="Waivers past their last day.")
    waivers_expiring: tuple[WaiverExpiry, ...] = Field(
        (), description=f"Waivers whose last day is within {WAIVER_SOON_DAYS} days."
    )

    def empty(self) -> bool:
        """Nothing changed (expired and expiring waivers aside)."""
        return not (self.new_failures or self.fixed or self.new_findings or self.removed_findings) and not (
            self.claims or self.controls
        )


class TrendPoint(_Model):
    """One recorded run of the profile, for the trend."""

    time: dt.datetime = Field(description="When the run ended.")
    exit_code: int = Field(description="Its exit code.")
    pass_ratio: float | None = Field(description="passed / (passed + failed + error).")
    p95_ms: float | None = Field(None, description="Load p95 (ms), when a load ran.")
    findings: dict[str, int] = Field(default_factory=dict, description="Open findings by severity.")


class Drift(_Model):
    """The ``--history`` view of a run: what changed since the previous run of the profile, and the trend."""

    history: str = Field(description="The history file read (as given).")
    runs: int = Field(0, description="Recorded runs of this profile before this one (read).")
    skipped_lines: int = Field(0, description="Malformed or foreign lines skipped.")
    partial: str | None = Field(None, description="Why only part of the file was read, if it was.")
    changes: Changes | None = Field(None, description="Since the previous run (null: first run recorded).")
    trend: tuple[TrendPoint, ...] = Field(
        (), description=f"The last {TREND_RUNS} runs of the profile, this one last."
    )


def previous_of(records: Sequence[HistoryRecord], profile: str) -> HistoryRecord | None:
    """The latest record of ``profile`` (same name; a different sha256 is noted by :func:`compare`)."""
    same = [r for r in records if r.profile == profile]
    return same[-1] if same else None


def _verdicts(before: dict[str, str], after: dict[str, str]) -> tuple[VerdictChange, ...]:
    ids = sorted(set(before) | set(after))
    return tuple(
        VerdictChange(id=i, before=before.get(i), after=after.get(i))
        for i in ids
        if before.get(i) != after.get(i)
    )


def compare(old: HistoryRecord | None, new: HistoryRecord, today: dt.date) -> Changes:
    """What changed from ``old`` to ``new`` (``old`` None: everything failing is new), with the waivers of
    ``new`` that expired or expire within :data:`WAIVER_SOON_DAYS` days of ``today``."""
    old_failing = old.failing if old else ()
    old_prints = old.fingerprints if old else ()
    before_failing, now_failing = set(old_failing), set(new.failing)
    before_prints, now_prints = set(old_prints), set(new.fingerprints)
    soon = today + dt.timedelta(days=WAIVER_SOON_DAYS)
    return Changes(
        previous_time=old.time if old else None,
        profile_changed=bool(old and old.sha256 != new.sha256),
        new_failures=tuple(x for x in new.failing if x not in before_failing),
        fixed=tuple(x for x in old_failing if x not in now_failing),
        new_findings=tuple(x for x in new.fingerprints if x not in before_prints),
        removed_findings=tuple(x for x in old_prints if x not in now_prints),
        claims=_verdicts(old.claims, new.claims) if old else (),
        controls=_verdicts(old.controls, new.controls) if old else (),
        waivers_expired=tuple(w for w in new.waivers if w.expires < today),
        waivers_expiring=tuple(w for w in new.waivers if today <= w.expires <= soon),
    )


def trend(records: Sequence[HistoryRecord], new: HistoryRecord) -> tuple[TrendPoint, ...]:
    """The last :data:`TREND_RUNS` runs of ``new``'s profile, ``new`` last."""
    same = [r for r in records if r.profile == new.profile][-(TREND_RUNS - 1) :]
    return tuple(
        TrendPoint(
            time=r.time, exit_code=r.exit_code, pass_ratio=r.pass_ratio, p95_ms=r.p95_ms, findings=r.findings
        )
        for r in [*same, new]
    )
