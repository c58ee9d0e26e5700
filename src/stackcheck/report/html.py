"""``index.html``: a self-contained page (inline CSS and SVG, no scripts, nothing fetched) of one run."""

from __future__ import annotations

from html import escape

from stackcheck.claims import ClaimStatus, ClaimVerdict
from stackcheck.load.stats import LoadStats
from stackcheck.outcomes import CheckResult, Status
from stackcheck.report.controls_view import controls_html
from stackcheck.report.history_view import history_html
from stackcheck.report.model import Report
from stackcheck.report.summary import (
    CLAIM_MARK,
    CLAIM_ORDER,
    STATUS_MARK,
    claim_counts_line,
    format_evidence,
    verdict,
)

__all__ = ["render_html"]

_COLOR: dict[Status, str] = {
    Status.PASSED: "#2e7d32",
    Status.FAILED: "#c62828",
    Status.ERROR: "#ef6c00",
    Status.SKIPPED: "#9e9e9e",
    Status.WAIVED: "#6a1b9a",
}
_ORDER = [Status.FAILED, Status.ERROR, Status.WAIVED, Status.PASSED, Status.SKIPPED]
_CLAIM_COLOR: dict[ClaimStatus, str] = {
    ClaimStatus.VERIFIED: _COLOR[Status.PASSED],
    ClaimStatus.VIOLATED: _COLOR[Status.FAILED],
    ClaimStatus.COULD_NOT_CHECK: _COLOR[Status.ERROR],
    ClaimStatus.MANUAL: "#455a64",
    ClaimStatus.NOT_RUN: _COLOR[Status.SKIPPED],
}

_CSS = """
body{font:14px/1.45 system-ui,sans-serif;margin:2rem;color:#222;max-width:1200px}
h1{font-size:1.4rem;margin:0 0 .3rem}h2{font-size:1.1rem;margin-top:2rem}
table{border-collapse:collapse;width:100%}td,th{border-bottom:1px solid #ddd;padding:.3rem .5rem;
text-align:left;vertical-align:top}th{background:#f5f5f5}.tag{color:#fff;border-radius:3px;padding:0 .4rem;
font-size:.8rem;font-weight:600}.muted{color:#666;font-size:.85rem}code{font-size:.85rem}
details summary{cursor:pointer}.verdict{font-weight:700;font-size:1.1rem}
"""


_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'"


def _tag(status: Status) -> str:
    return f'<span class="tag" style="background:{_COLOR[status]}">{STATUS_MARK[status]}</span>'


def _status_bar(report: Report, width: int = 600, height: int = 22) -> str:
    """A stacked bar of result counts by status."""
    total = max(report.summary.total, 1)
    x = 0.0
    parts = []
    for status in _ORDER:
        count = sum(1 for r in report.results if r.status is status)
        if not count:
            continue
        w = width * count / total
        parts.append(
            f'<rect x="{x:.1f}" y="0" width="{w:.1f}" height="{height}" fill="{_COLOR[status]}">'
            f"<title>{status}: {count}</title></rect>"
        )
        x += w
    label = 'role="img" aria-label="results by status"'
    return f'<svg width="{width}" height="{height}" {label}>{"".join(parts)}</svg>'


def _bars(points: list[tuple[str, float]], title: str, unit: str, width: int = 600, height: int = 160) -> str:
    """A bar chart (SVG) of labelled values."""
    if not points:
        return ""
    top = max(v for _, v in points) or 1.0
    bar = width / len(points)
    rects = []
    for i, (label, value) in enumerate(points):
        h = (height - 20) * value / top
        rects.append(
            f'<rect x="{i * bar + 1:.1f}" y="{height - 20 - h:.1f}" width="{max(bar - 2, 1):.1f}" '
            f'height="{h:.1f}" fill="#1565c0"><title>{escape(label)}: {value:g} {unit}</title></rect>'
        )
    first, last = escape(points[0][0]), escape(points[-1][0])
    labels = (
        f'<text x="0" y="{height - 4}" font-size="11">{first}</text>'
        f'<text x="{width}" y="{height - 4}" font-size="11" text-anchor="end">{last}</text>'
    )
    return (
        f"<figure><figcaption>{escape(title)} (max {top:g} {unit})</figcaption>"
        f'<svg width="{width}" height="{height}" role="img">{"".join(rects)}{labels}</svg></figure>'
    )


def _load_section(load: LoadStats) -> list[str]:
    pct = load.latency_ms.percentiles
    out = [
        "<h2>Load</h2>",
        f"<p>{load.requests} requests, {load.failures} failed, "
        f"{load.steady_rps} req/s ({escape(load.model)} model, "
        f"{load.users} users, {load.duration_s} s); latency "
        + ", ".join(f"{escape(k)} {v} ms" for k, v in pct.items())
        + "</p>",
    ]
    histogram = [(f"≤ {b.le} ms", float(b.count)) for b in load.histogram]
    out.append(_bars(histogram, "Latency histogram (requests per bucket)", "requests"))
    series = load.timeseries
    out.append(_bars([(f"t={p.t} s", float(p.p95_ms or 0)) for p in series], "p95 per second", "ms"))
    out.append(_bars([(f"t={p.t} s", float(p.requests)) for p in series], "Requests per second", "req"))
    return out


def _claim_row(c: ClaimVerdict) -> str:
    tag = f'<span class="tag" style="background:{_CLAIM_COLOR[c.status]}">{CLAIM_MARK[c.status]}</span>'
    return (
        f"<tr><td>{tag}</td><td><code>{escape(c.id)}</code></td><td>“{escape(c.text)}”</td>"
        f"<td><code>{escape(c.source)}</code></td><td>{escape(c.message)}</td></tr>"
    )


def _claims_section(report: Report) -> list[str]:
    rows = [_claim_row(c) for c in sorted(report.claims, key=lambda c: CLAIM_ORDER.index(c.status))]
    if not rows:
        return []
    return [
        *_table("Claims", ("verdict", "claim", "sentence", "source", "why"), rows),
        f'<p class="muted">{escape(claim_counts_line(report))}</p>',
    ]


def _result_row(r: CheckResult) -> str:
    claims = " ".join(f"<code>{escape(c.id)}</code>" for c in r.claims) or "-"
    waiver = (
        f"<br><span class=muted>waived by {escape(r.waiver.owner)} until {r.waiver.expires}: "
        f"{escape(r.waiver.reason)}</span>"
        if r.waiver
        else ""
    )
    reason = f"<br><span class=muted>{escape(r.error_reason)}</span>" if r.error_reason else ""
    return (
        f"<tr><td>{_tag(r.status)}{reason}</td><td><code>{escape(r.label)}</code><br>"
        f"<span class=muted>{escape(r.title)}</span></td><td>{escape(r.message)}{waiver}</td>"
        f"<td>{escape(format_evidence(r))}</td><td>{escape(str(r.severity))}</td><td>{claims}<br>"
        f"<span class=muted>{escape(', '.join(r.controls))}</span></td></tr>"
    )


def _table(title: str, headers: tuple[str, ...], rows: list[str]) -> list[str]:
    """A titled table, or nothing when there are no rows."""
    if not rows:
        return []
    head = "".join(f"<th>{h}</th>" for h in headers)
    return [f"<h2>{title}</h2><table><tr>{head}</tr>", *rows, "</table>"]


def _finding_rows(report: Report) -> list[str]:
    return [
        f"<tr><td>{escape(f.status)}</td><td>{escape(f.tool)}</td><td><code>{escape(f.rule_id)}</code></td>"
        f"<td>{escape(str(f.severity))}</td>"
        f"<td><code>{escape(f.file or '-')}{f':{f.line}' if f.line else ''}</code>"
        f"</td><td>{escape(f.message)}</td></tr>"
        for f in report.findings
    ]


def _waiver_rows(report: Report) -> list[str]:
    return [
        f"<tr><td><code>{escape(w.check)}</code></td><td>{escape(w.state)}</td><td>{escape(w.owner)}</td>"
        f"<td>{w.expires}</td><td>{escape(w.reason)}</td></tr>"
        for w in report.waivers
    ]


def _heading(report: Report) -> list[str]:
    s = report.summary
    return [
        f"<h1>stackcheck: {escape(report.profile.name)}</h1>",
        f'<p class="verdict">{escape(verdict(report))} (exit code {s.exit_code})</p>',
        f"<p>Target <code>{escape(report.target or '-')}</code> · {s.total} results: {s.passed} passed, "
        f"{s.failed} failed, {s.error} error, {s.skipped} skipped, {s.waived} waived · "
        f"{report.run.duration_s:.1f} s · {report.run.finished_at:%Y-%m-%d %H:%M} UTC</p>",
        _status_bar(report),
    ]


def _footer(report: Report) -> str:
    tools = ", ".join(f"{escape(k)} {escape(v)}" for k, v in sorted(report.run.tool_versions.items()))
    return (
        f'<p class="muted">Profile <code>{escape(report.profile.path)}</code> (sha256 '
        f"{escape(report.profile.sha256[:12])}) · {escape(report.run.command)} · {tools}</p>"
    )


def render_html(report: Report) -> str:
    """The run as one HTML page (pure function of the report)."""
    ordered = sorted(report.results, key=lambda r: (_ORDER.index(r.status), r.id, r.subject or ""))
    body = [
        *_heading(report),
        *history_html(report),
        *_claims_section(report),
        *controls_html(report),
        "<h2>Results</h2><table><tr><th>status</th><th>check</th><th>message</th><th>evidence</th>"
        "<th>severity</th><th>claims · controls</th></tr>",
        *(_result_row(r) for r in ordered),
        "</table>",
        *_table("Waivers", ("check", "state", "owner", "expires", "reason"), _waiver_rows(report)),
        *_table(
            "Findings", ("status", "tool", "rule", "severity", "where", "message"), _finding_rows(report)
        ),
        *(_load_section(report.load) if report.load else []),
        _footer(report),
    ]
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        # Belt and braces over the escaping: the page may load nothing and run no script.
        f'<meta http-equiv="Content-Security-Policy" content="{_CSP}">'
        f"<title>stackcheck {escape(report.profile.name)}</title><style>{_CSS}</style></head><body>"
        + "\n".join(body)
        + "</body></html>\n"
    )
