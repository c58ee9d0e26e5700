"""``--history PATH``: read the recorded runs (bounded), add the drift to a written report, append its line.

The file is JSON Lines, one :class:`~stackcheck.report.drift.HistoryRecord` per run. Reading is bounded: a
file larger than :data:`MAX_FILE_BYTES` is read from its last :data:`MAX_FILE_BYTES` only, a line longer than
:data:`MAX_LINE_BYTES` is skipped, and malformed lines are skipped and counted, never a traceback.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from pydantic import ValidationError

from stackcheck.outcomes import Status
from stackcheck.report.drift import (
    Drift,
    HistoryRecord,
    WaiverExpiry,
    compare,
    previous_of,
    trend,
)
from stackcheck.report.model import Report

__all__ = [
    "MAX_FILE_BYTES",
    "MAX_LINE_BYTES",
    "HistoryRead",
    "append_record",
    "read_history",
    "record_history",
    "record_of",
]

MAX_FILE_BYTES: Final = 20 * 1024 * 1024
MAX_LINE_BYTES: Final = 64 * 1024
_MAX_ITEMS: Final = 500  # failing labels, fingerprints, claims, controls kept per line (then truncated)


@dataclass(frozen=True)
class HistoryRead:
    """The records of a history file, and what reading it had to leave out."""

    records: tuple[HistoryRecord, ...]
    skipped: int = 0
    partial: str | None = None


def record_of(report: Report) -> HistoryRecord:
    """The compact record of ``report`` (its line in the history file)."""
    s = report.summary
    judged = s.passed + s.failed + s.error
    findings: dict[str, int] = {}
    for f in report.findings:
        if f.status == "open":
            findings[str(f.severity)] = findings.get(str(f.severity), 0) + 1
    failing = [r.label for r in report.results if r.status in (Status.FAILED, Status.ERROR)]
    prints = [f.fingerprint for f in report.findings if f.status == "open"]
    claims = {c.id: str(c.status) for c in report.claims}
    controls = {c.id: str(c.status) for c in report.controls}
    cut = any(len(x) > _MAX_ITEMS for x in (failing, prints, claims, controls))
    return HistoryRecord(
        time=report.run.finished_at,
        command=" ".join(report.run.command.split()[:2]),
        profile=report.profile.name,
        sha256=report.profile.sha256,
        target=report.target,
        exit_code=s.exit_code,
        counts={
            "total": s.total,
            "passed": s.passed,
            "failed": s.failed,
            "error": s.error,
            "skipped": s.skipped,
            "waived": s.waived,
        },
        pass_ratio=round(s.passed / judged, 4) if judged else None,
        p95_ms=report.load.percentile(95) if report.load else None,
        findings=findings,
        claim_counts=s.claims.model_dump(),
        control_counts=s.controls.model_dump(),
        failing=tuple(failing[:_MAX_ITEMS]),
        fingerprints=tuple(prints[:_MAX_ITEMS]),
        claims=dict(list(claims.items())[:_MAX_ITEMS]),
        controls=dict(list(controls.items())[:_MAX_ITEMS]),
        waivers=tuple(
            WaiverExpiry(check=w.check, subject=w.subject, owner=w.owner, expires=w.expires)
            for w in report.waivers[:_MAX_ITEMS]
        ),
        truncated=cut,
    )


def _line(record: HistoryRecord) -> str:
    text = record.model_dump_json(by_alias=True, exclude_defaults=False)
    if len(text.encode()) < MAX_LINE_BYTES:
        return text
    short = record.model_copy(update={"failing": (), "fingerprints": (), "claims": {}, "controls": {}})
    return short.model_copy(update={"truncated": True}).model_dump_json(by_alias=True)


def read_history(path: Path) -> HistoryRead:
    """The records of ``path`` in file order (a missing file: none), read within the bounds above."""
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        return HistoryRead(())
    partial = None
    with path.open("rb") as fh:
        if size > MAX_FILE_BYTES:
            fh.seek(size - MAX_FILE_BYTES)
            fh.readline()  # the first line read is a part of one: dropped
            partial = f"the file is {size} bytes: only its last {MAX_FILE_BYTES} were read"
        data = fh.read(MAX_FILE_BYTES)
    records: list[HistoryRecord] = []
    skipped = 0
    long_lines = 0
    for raw in data.splitlines():
        if not raw.strip():
            continue
        if len(raw) > MAX_LINE_BYTES:
            long_lines += 1
            continue
        try:
            records.append(HistoryRecord.model_validate(json.loads(raw)))
        except (ValueError, ValidationError):  # JSON, UTF-8 and model errors are all ValueErrors
            skipped += 1
    if long_lines:
        note = f"{long_lines} line(s) longer than {MAX_LINE_BYTES} bytes skipped"
        partial = f"{partial}; {note}" if partial else note
    return HistoryRead(tuple(records), skipped + long_lines, partial)


def append_record(path: Path, record: HistoryRecord) -> None:
    """Append ``record`` as one line (the file and its folder are created if needed)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as fh:
        fh.write(_line(record) + "\n")
        fh.flush()
        os.fsync(fh.fileno())


def drift_of(report: Report, history: Path, read: HistoryRead, today: dt.date) -> Drift:
    """The drift of ``report`` against the records ``read`` from ``history``."""
    new = record_of(report)
    old = previous_of(read.records, new.profile)
    return Drift(
        history=str(history),
        runs=sum(1 for r in read.records if r.profile == new.profile),
        skipped_lines=read.skipped,
        partial=read.partial,
        changes=compare(old, new, today) if old else None,
        trend=trend(read.records, new),
    )


def record_history(report: Report, history: Path, today: dt.date | None = None) -> tuple[Report, str]:
    """``report`` with its drift against ``history``, after appending its record there; and one line to
    print. An interrupted (partial) run is shown against the history but not recorded."""
    read = read_history(history)
    day = today or dt.datetime.now(dt.UTC).date()
    drift = drift_of(report, history, read, day)
    done = "not recorded (interrupted run)"
    if not report.run.interrupted:
        append_record(history, record_of(report))
        done = "recorded"
    line = f"history: {done} in {history} ({drift.runs} earlier run(s) of {report.profile.name})"
    if drift.changes is not None:
        c = drift.changes
        line += f"; since the previous: {len(c.new_failures)} new failure(s), {len(c.fixed)} fixed"
    if read.skipped or read.partial:
        line += f"; {read.skipped} line(s) skipped" + (f" ({read.partial})" if read.partial else "")
    return report.model_copy(update={"drift": drift}), line
