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
from stackcheck.outcomes import CheckResult, ClaimRef, ErrorReason, Evidence, SourceRef, WaiverRef
from stackcheck.profile.schema import field_table
from stackcheck.report.drift import Changes, Drift, TrendPoint, VerdictChange, WaiverExpiry
from stackcheck.report.model import SCHEMA_VERSION, Finding, ProfileInfo, Report, RunInfo, Summary
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
    ("results[].source", SourceRef),
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


REVISIONS = (
    ("1.0", "the run, profile, summary, results with evidence, waivers, findings, load statistics"),
    ("1.1", "claims: `claims`, `summary.claims`, `results[].claims`"),
    ("1.2", "controls (`controls`, `summary.controls`) and history (`drift`)"),
    (
        "1.3",
        "`schema_version`; `results[].remediation` and `results[].source` (the profile line a result "
        "verifies); `profile.root`",
    ),
    (
        "1.4",
        "`run.process_wall_s` (the process's own wall time); `load.window` (the gated steady window and "
        "the generator's lateness) and `load.run_latency_ms`",
    ),
)


def render_report_reference() -> str:
    """Markdown reference of ``report.json`` (schema ``stackcheck.report/v1``)."""
    out = [
        "# report.json reference (`stackcheck.report/v1`)",
        "",
        "<!-- Generated from stackcheck.report.model (`nox -s docs`). Do not edit. -->",
        "",
        "Every `stackcheck run`, `verify`, `scan` and `load` writes `report.json`; `junit.xml`,",
        "`summary.md`, `results.sarif` and `index.html` are rendered from it (`stackcheck report DIR`",
        "re-renders them). Timestamps are ISO 8601 UTC; durations are seconds.",
        "",
        "## Versions",
        "",
        "Fields are only ever added within `stackcheck.report/v1`; a removal or a change of meaning bumps",
        f"the schema id. Each addition raises `schema_version` (this stackcheck writes `{SCHEMA_VERSION}`):",
        "",
        "| schema_version | added |",
        "|---|---|",
        *(f"| {version} | {added} |" for version, added in REVISIONS),
        "",
        "What a reader does with a report of another revision:",
        "",
        "- **Older report, newer stackcheck** (`stackcheck report`, `report merge`, `report diff`):",
        "  read as it is; the fields it lacks take their defaults (no claims, no controls, no `source`),",
        "  and a re-rendered folder is written in the current revision.",
        "- **Newer report, older stackcheck** (1.3 or later): refused with one line naming both revisions",
        "  (`schema_version 1.4 was written by a newer stackcheck; this one reads up to 1.3`), exit 2.",
        "- **Any newer report, stackcheck before 1.3**: its reader accepts no field it does not know, so",
        "  it refuses the report (`... is not a stackcheck.report/v1 report (...)`), exit 2: read newer",
        "  reports with a newer stackcheck. Your own readers should ignore keys they do not know: every",
        "  revision of v1 only adds keys.",
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
