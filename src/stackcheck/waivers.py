"""Waivers: time-boxed, owned exceptions applied to results after a run."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from stackcheck.outcomes import CheckResult, Status, WaiverRef
from stackcheck.profile.models import Waiver

__all__ = ["WaiverState", "WaiverStatus", "apply_waivers"]


class WaiverState(StrEnum):
    """How a profile waiver stood in this run."""

    ACTIVE = "active"  # covered at least one failure
    EXPIRED = "expired"  # past its date: the run fails until it is renewed or removed
    STALE = "stale"  # its check ran and did not fail, or the id is unknown: remove it
    UNUSED = "unused"  # its check did not run in this run


class WaiverStatus(BaseModel):
    """A profile waiver, and what it did in this run."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    check: str = Field(description="Check id the waiver names.")
    subject: str | None = Field(description="Subject it is limited to, if any.")
    owner: str = Field(description="Who answers for it.")
    reason: str = Field(description="Why it is accepted.")
    expires: dt.date = Field(description="Last day it holds.")
    state: WaiverState = Field(
        description="active | expired (fails the run) | stale (covers nothing) | unused."
    )
    covered: tuple[str, ...] = Field((), description="Result labels it covered (or would have, if expired).")


def _matches(waiver: Waiver, result: CheckResult) -> bool:
    return waiver.check == result.id and (waiver.subject is None or waiver.subject == result.subject)


def apply_waivers(
    results: list[CheckResult], waivers: list[Waiver], known_ids: set[str], today: dt.date
) -> tuple[list[CheckResult], list[WaiverStatus]]:
    """Turn failures covered by a valid waiver into ``waived``; report each waiver's state.

    An expired waiver covers nothing (its failures stay ``failed``) and is reported ``expired``, which
    fails the run. A waiver whose check did not fail is ``stale``.
    """
    out = list(results)
    statuses: list[WaiverStatus] = []
    for waiver in waivers:
        if ":" in waiver.check:
            # `tool:RULE` waivers cover scanner findings (stackcheck scan), not check results.
            statuses.append(_status(waiver, WaiverState.UNUSED, ()))
            continue
        matching = [i for i, r in enumerate(out) if _matches(waiver, r)]
        covered: list[str] = []
        if waiver.expires < today:
            state = WaiverState.EXPIRED
            covered = [out[i].label for i in matching if out[i].status is Status.FAILED]
        else:
            for i in matching:
                if out[i].status is Status.FAILED:
                    ref = WaiverRef(owner=waiver.owner, reason=waiver.reason, expires=waiver.expires)
                    out[i] = out[i].model_copy(update={"status": Status.WAIVED, "waiver": ref})
                    covered.append(out[i].label)
            if covered:
                state = WaiverState.ACTIVE
            elif waiver.check not in known_ids or matching:
                state = WaiverState.STALE
            else:
                state = WaiverState.UNUSED
        statuses.append(_status(waiver, state, tuple(covered)))
    return out, statuses


def _status(waiver: Waiver, state: WaiverState, covered: tuple[str, ...]) -> WaiverStatus:
    return WaiverStatus(
        check=waiver.check,
        subject=waiver.subject,
        owner=waiver.owner,
        reason=waiver.reason,
        expires=waiver.expires,
        state=state,
        covered=covered,
    )
