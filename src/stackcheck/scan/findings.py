"""One finding model for every scanner, and one waiver policy for findings.

Each scanner module turns its tool's JSON into :class:`~stackcheck.report.model.Finding` objects with
:func:`make_finding`; the fingerprint hashes what identifies a finding across runs (tool, rule, file and
the scanner's stable anchor: a resource name, a code line, a secret's hash), never its line number.

Profile waivers cover findings when their ``check`` is ``tool:rule`` (or a bare rule id) rather than a
registered check id; ``subject`` narrows them to a file (glob) or a fingerprint. They follow the same
rules as check waivers: expired → the finding stays open and the run fails; matching nothing → stale.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from fnmatch import fnmatch
from typing import Any

from stackcheck._exceptions import ErrorReason
from stackcheck.catalog.spec import CheckSpec, Severity
from stackcheck.profile.models import Waiver
from stackcheck.report.model import Finding
from stackcheck.waivers import WaiverState, WaiverStatus

__all__ = [
    "SEVERITY_RANK",
    "ToolOutcome",
    "apply_finding_waivers",
    "at_least",
    "covering_waiver",
    "finding_label",
    "is_finding_waiver",
    "make_finding",
    "severity_of",
]

SEVERITY_RANK: dict[Severity, int] = {
    Severity.INFO: 0,
    Severity.LOW: 1,
    Severity.MEDIUM: 2,
    Severity.HIGH: 3,
    Severity.CRITICAL: 4,
}

_ALIASES = {
    "unknown": Severity.INFO,
    "undefined": Severity.INFO,
    "warning": Severity.MEDIUM,
    "error": Severity.HIGH,
}


def severity_of(text: str | None, default: Severity = Severity.MEDIUM) -> Severity:
    """Map a tool's severity word (``HIGH``, ``warning``, ``UNKNOWN``) to :class:`Severity`."""
    if not text:
        return default
    word = text.strip().lower()
    try:
        return Severity(word)
    except ValueError:
        return _ALIASES.get(word, default)


def at_least(severity: Severity, threshold: str) -> bool:
    """Whether ``severity`` is at or above ``threshold`` (a severity word, or ``any``: every severity)."""
    return threshold == "any" or SEVERITY_RANK[severity] >= SEVERITY_RANK[Severity(threshold)]


def make_finding(
    *,
    tool: str,
    rule_id: str,
    severity: Severity,
    message: str,
    anchor: str,
    file: str | None = None,
    line: int | None = None,
    status: str = "open",
) -> Finding:
    """A finding with a fingerprint of ``tool|rule|file|anchor`` (stable when lines move)."""
    digest = hashlib.sha256("\x1f".join([tool, rule_id, file or "", anchor]).encode()).hexdigest()[:24]
    return Finding(
        tool=tool,
        rule_id=rule_id,
        severity=severity,
        file=file,
        line=line if line and line > 0 else None,
        message=" ".join(message.split()),
        fingerprint=digest,
        status=status,
    )


def finding_label(finding: Finding) -> str:
    """``checkov:CKV_AWS_21 main.tf:4`` — how a waiver names what it covered."""
    where = f"{finding.file}:{finding.line}" if finding.line else (finding.file or "-")
    return f"{finding.tool}:{finding.rule_id} {where}"


@dataclass(frozen=True)
class ToolOutcome:
    """What one scanner job established for one subject (a path set or an image)."""

    tool: str  # the scanner's name (a ScannerName)
    check: CheckSpec  # the check this outcome decides
    subject: str | None
    findings: tuple[Finding, ...] = ()
    error: str | None = None  # could not check: missing tool, crash, unparsable output
    error_reason: ErrorReason = ErrorReason.TOOL_FAILED  # why, when ``error`` is set
    skipped: str | None = None  # nothing to do here, with the reason
    duration_s: float = 0.0
    details: dict[str, Any] = field(default_factory=dict)
    secret_values: frozenset[str] = frozenset()  # literal secrets seen: redacted everywhere, never stored
    # Files the scanner could not read ("path: why"): without a failing finding elsewhere, the check is
    # ``error`` naming them — a file nobody read is no evidence of compliance.
    unscanned: tuple[str, ...] = ()


def is_finding_waiver(waiver: Waiver, check_ids: Iterable[str]) -> bool:
    """A waiver covers findings when its ``check`` is not a registered check id."""
    return waiver.check not in set(check_ids)


def _matches(waiver: Waiver, finding: Finding) -> bool:
    rule = waiver.check
    if rule not in (f"{finding.tool}:{finding.rule_id}", finding.rule_id):
        return False
    if waiver.subject is None:
        return True
    return waiver.subject == finding.fingerprint or fnmatch(finding.file or "", waiver.subject)


def covering_waiver(finding: Finding, waivers: Sequence[Waiver], today: dt.date) -> Waiver | None:
    """The first unexpired waiver that covers ``finding``."""
    return next((w for w in waivers if w.expires >= today and _matches(w, finding)), None)


def apply_finding_waivers(
    findings: Sequence[Finding], waivers: Sequence[Waiver], today: dt.date
) -> tuple[list[Finding], list[WaiverStatus]]:
    """Mark open findings covered by a valid waiver ``waived``; report every waiver's state.

    Inline-suppressed findings stay ``suppressed`` (the tool's own mechanism already covered them).
    """
    out = list(findings)
    statuses = []
    for waiver in waivers:
        matching = [i for i, f in enumerate(out) if f.status != "suppressed" and _matches(waiver, f)]
        labels = [finding_label(out[i]) for i in matching]
        if waiver.expires < today:
            state = WaiverState.EXPIRED
        elif matching:
            state = WaiverState.ACTIVE
            for i in matching:
                out[i] = out[i].model_copy(update={"status": "waived"})
        else:
            state = WaiverState.STALE
        statuses.append(
            WaiverStatus(
                check=waiver.check,
                subject=waiver.subject,
                owner=waiver.owner,
                reason=waiver.reason,
                expires=waiver.expires,
                state=state,
                covered=tuple(labels),
            )
        )
    return out, statuses
