"""``docs/report.md``: the ``report.json`` schema documented field by field, generated from the models."""

from __future__ import annotations

from pydantic import BaseModel

from stackcheck.claims import ClaimCounts, ClaimVerdict
from stackcheck.controls import ControlCounts, ControlVerdict
from stackcheck.load.stats import (
    EndpointStats,
    ErrorCount,
    GeneratorProcess,
    HistogramBin,
    LatencyStats,
    LoadStats,
    SecondPoint,
)
from stackcheck.outcomes import CheckResult, ClaimRef, ErrorReason, Evidence, WaiverRef
from stackcheck.profile.schema import field_table
from stackcheck.report.drift import Changes, Drift, TrendPoint, VerdictChange, WaiverExpiry
from stackcheck.report.model import Finding, ProfileInfo, Report, RunInfo, Summary
from stackcheck.waivers import WaiverStatus

__all__ = ["render_report_reference"]

_PARTS: list[tuple[str, type[BaseModel]]] = [
    ("report.json (top level)", Report),
    ("run", RunInfo),
    ("profile", ProfileInfo),
    ("summary", Summary),
    ("summary.claims", ClaimCounts),
    ("claims[]", ClaimVerdict),
    ("summary.controls", ControlCounts),
    ("controls[]", ControlVerdict),
    ("results[]", CheckResult),
    ("results[].claims[]", ClaimRef),
    ("results[].evidence", Evidence),
    ("results[].waiver", WaiverRef),
    ("waivers[]", WaiverStatus),
    ("findings[]", Finding),
    ("load", LoadStats),
    ("load.latency_ms, load.service_ms, load.endpoints[].latency_ms", LatencyStats),
    ("load.generator[]", GeneratorProcess),
    ("load.endpoints[]", EndpointStats),
    ("load.errors[]", ErrorCount),
    ("load.timeseries[]", SecondPoint),
    ("load.histogram[]", HistogramBin),
    ("drift", Drift),
    ("drift.changes", Changes),
    ("drift.changes.claims[], drift.changes.controls[]", VerdictChange),
    ("drift.changes.waivers_expired[], drift.changes.waivers_expiring[]", WaiverExpiry),
    ("drift.trend[]", TrendPoint),
]


def _error_reasons() -> list[str]:
    lines = [
        "",
        "## `results[].error_reason`",
        "",
        "Why a check could not be carried out; set exactly when `status` is `error`, null otherwise.",
        "",
        "| value | meaning |",
        "|---|---|",
    ]
    return lines + [f"| `{reason}` | {reason.meaning} |" for reason in ErrorReason]


def render_report_reference() -> str:
    """Markdown reference of ``report.json`` (schema ``stackcheck.report/v1``)."""
    out = [
        "# report.json reference (`stackcheck.report/v1`)",
        "",
        "<!-- Generated from stackcheck.report.model (`nox -s docs`). Do not edit. -->",
        "",
        "Every `stackcheck verify`, `scan` and `load` run writes `report.json`; `junit.xml`, `summary.md`,",
        "`results.sarif` and `index.html` are rendered from it (`stackcheck report DIR` re-renders them).",
        "Fields are only ever added within `v1`; a",
        "removal or a change of meaning bumps the schema id. Timestamps are ISO 8601 UTC; durations are",
        "seconds.",
    ]
    for title, model in _PARTS:
        out += [
            "",
            f"## `{title}`",
            "",
            (model.__doc__ or "").strip().splitlines()[0],
            "",
            *field_table(model),
        ]
        if model is CheckResult:
            out += _error_reasons()
    return "\n".join(out) + "\n"
