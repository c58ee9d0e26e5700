"""``index.html``: a self-contained page (inline CSS and SVG, no scripts, nothing fetched) of one run."""

from __future__ import annotations

from html import escape

from stackcheck.claims import ClaimStatus, ClaimVerdict
from stackcheck.load.stats import LoadStats
from stackcheck.outcomes import CheckResult, Status
from stackcheck.report.charts import Threshold, bar_chart, legend, stacked_bars
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

_SEVERITY_COLOR = {
    "critical": "#b71c1c",
    "high": "#e65100",
    "medium": "#f9a825",
    "low": "#1565c0",
    "info": "#78909c",
}
_SEVERITIES = tuple(_SEVERITY_COLOR)
FINDINGS_SHOWN = 500  # rows of the findings list; report.json and results.sarif hold every one

_CSS = """
*{-webkit-print-color-adjust:exact;print-color-adjust:exact}
body{font:14px/1.45 system-ui,sans-serif;margin:2rem;color:#222;max-width:1200px}
h1{font-size:1.4rem;margin:0 0 .3rem}h2{font-size:1.15rem;margin-top:2rem;border-bottom:2px solid #ddd}
h3{font-size:1rem}table{border-collapse:collapse;width:100%;margin:.5rem 0}
td,th{border-bottom:1px solid #ddd;padding:.3rem .5rem;text-align:left;vertical-align:top}
th{background:#f5f5f5}.tag{color:#fff;border-radius:3px;padding:0 .4rem;font-size:.8rem;font-weight:600;
white-space:nowrap}.muted{color:#555;font-size:.85rem}code{font-size:.85rem;overflow-wrap:anywhere}
.verdict{font-weight:700;font-size:1.2rem;padding:.4rem .7rem;border-left:6px solid;background:#fafafa}
nav a{margin-right:.8rem}figure{margin:1rem 0}figcaption{font-weight:600;margin-bottom:.3rem}
.legend{margin:.2rem 0 0;font-size:.85rem}.key{margin-right:1.2rem;white-space:nowrap}
.swatch{display:inline-block;width:.8rem;height:.8rem;margin-right:.35rem;vertical-align:-.1rem}
.swatch.line{height:0;border-top:2px dashed;width:1.2rem;vertical-align:.2rem}
td.num{text-align:right}td.id code{white-space:nowrap}
@media print{body{margin:0;max-width:none;font-size:9pt}nav{display:none}h2{break-after:avoid}
tr,figure{break-inside:avoid}thead{display:table-header-group}svg{max-width:100%;height:auto}
a{color:inherit;text-decoration:none}}
"""


_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'"


def _tag(status: Status) -> str:
    return f'<span class="tag" style="background:{_COLOR[status]}">{STATUS_MARK[status]}</span>'


def _count(report: Report, status: Status) -> int:
    return sum(1 for r in report.results if r.status is status)


def _status_bar(report: Report, width: int = 600, height: int = 22) -> str:
    """A stacked bar of result counts by status, with its legend."""
    total = max(report.summary.total, 1)
    x = 0.0
    parts = []
    for status in _ORDER:
        count = _count(report, status)
        if not count:
            continue
        w = width * count / total
        parts.append(
            f'<rect x="{x:.1f}" y="0" width="{w:.1f}" height="{height}" fill="{_COLOR[status]}">'
            f"<title>{status}: {count}</title></rect>"
        )
        x += w
    label = 'role="img" aria-label="results by status"'
    keys = [(f"{status}: {_count(report, status)}", _COLOR[status]) for status in _ORDER]
    return (
        f'<figure><svg width="{width}" height="{height}" {label}>{"".join(parts)}</svg>'
        f"{legend(keys)}</figure>"
    )


def _thead(*headers: str) -> str:
    return "<thead><tr>" + "".join(f"<th>{h}</th>" for h in headers) + "</tr></thead>"


def _table(title: str, anchor: str, headers: tuple[str, ...], rows: list[str], note: str = "") -> list[str]:
    """A titled table, or nothing when there are no rows."""
    if not rows:
        return []
    extra = f'<p class="muted">{note}</p>' if note else ""
    head = f'<h2 id="{anchor}">{title}</h2>{extra}<table>{_thead(*headers)}<tbody>'
    return [head, *rows, "</tbody></table>"]


def _expected(report: Report, check: str) -> float | None:
    """The limit a load gate held the run to (its evidence's expected value)."""
    for r in report.results:
        if r.id == check and isinstance(r.evidence.expected, (int, float)):
            return float(r.evidence.expected)
    return None


def _load_section(report: Report, load: LoadStats) -> list[str]:
    pct = load.latency_ms.percentiles
    out = [
        '<h2 id="load">Load</h2>',
        f"<p>{load.requests} requests, {load.failures} failed, "
        f"{load.steady_rps} req/s ({escape(load.model)} model, "
        f"{load.users} users, {load.duration_s} s); latency "
        + ", ".join(f"{escape(k)} {v} ms" for k, v in pct.items())
        + "</p>",
    ]
    p95 = _expected(report, "load.p95")
    series = load.timeseries
    seconds = [f"{p.t} s" for p in series]
    slo = Threshold(p95, f"SLO p95 ≤ {p95:g} ms") if p95 is not None else None
    out.append(
        bar_chart(
            [float(p.p95_ms or 0) for p in series],
            seconds,
            title="p95 latency per second of the run",
            x_title="time since the start of the run (s)",
            y_title="p95 latency (ms)",
            series="p95 of the requests that finished in that second",
            threshold=slo,
        )
    )
    bins = load.histogram
    slower = next((i for i, b in enumerate(bins) if p95 is not None and b.le > p95), None)
    out.append(
        bar_chart(
            [float(b.count) for b in bins],
            [f"≤ {b.le:g}" for b in bins],
            title="Latency histogram",
            x_title="latency bucket, upper bound (ms)",
            y_title="requests",
            series="requests per bucket",
            over_color="#ef9a9a" if slower is not None else None,
            over_from=slower,
            over_label="requests slower than the SLO p95",
        )
        + (
            f'<p class="muted">Buckets right of the dashed line are slower than the SLO p95 ({p95:g} ms).</p>'
            if slower is not None and p95 is not None
            else ""
        )
    )
    rate = _expected(report, "load.throughput")
    out.append(
        bar_chart(
            [float(p.requests) for p in series],
            seconds,
            title="Requests per second",
            x_title="time since the start of the run (s)",
            y_title="requests finished",
            series="requests finished in that second",
            color="#00838f",
            threshold=Threshold(rate, f"required ≥ {rate:g} req/s") if rate is not None else None,
        )
    )
    return out


def _claim_row(c: ClaimVerdict) -> str:
    tag = f'<span class="tag" style="background:{_CLAIM_COLOR[c.status]}">{CLAIM_MARK[c.status]}</span>'
    return (
        f"<tr><td>{tag}</td><td class=id><code>{escape(c.id)}</code></td><td>“{escape(c.text)}”</td>"
        f"<td><code>{escape(c.source)}</code></td><td>{escape(c.message)}</td></tr>"
    )


def _claims_section(report: Report) -> list[str]:
    rows = [_claim_row(c) for c in sorted(report.claims, key=lambda c: CLAIM_ORDER.index(c.status))]
    return _table(
        "Claims",
        "claims",
        ("verdict", "claim", "sentence", "source", "why"),
        rows,
        note=escape(claim_counts_line(report)),
    )


def _where(r: CheckResult) -> str:
    if r.source is None:
        return ""
    line = f":{r.source.line}" if r.source.line else ""
    return f"<br><span class=muted>promised at <code>{escape(r.source.file)}{line}</code></span>"


def _result_row(r: CheckResult) -> str:
    claims = " ".join(f"<code>{escape(c.id)}</code>" for c in r.claims) or "-"
    waiver = (
        f"<br><span class=muted>waived by {escape(r.waiver.owner)} until {r.waiver.expires}: "
        f"{escape(r.waiver.reason)}</span>"
        if r.waiver
        else ""
    )
    reason = f"<br><span class=muted>{escape(r.error_reason)}</span>" if r.error_reason else ""
    fix = escape(r.remediation) if r.status is not Status.PASSED and r.remediation else "-"
    return (
        f"<tr><td>{_tag(r.status)}{reason}</td><td><code>{escape(r.label)}</code><br>"
        f"<span class=muted>{escape(r.title)}</span></td><td>{escape(r.message)}{waiver}</td>"
        f"<td>{escape(format_evidence(r))}</td><td>{escape(str(r.severity))}</td><td>{fix}</td>"
        f"<td>{claims}<br><span class=muted>{escape(', '.join(r.controls))}</span>{_where(r)}</td></tr>"
    )


def _results_section(report: Report) -> list[str]:
    ordered = sorted(report.results, key=lambda r: (_ORDER.index(r.status), r.id, r.subject or ""))
    ran = [r for r in ordered if r.status is not Status.SKIPPED]
    skipped = [
        f"<tr><td><code>{escape(r.label)}</code></td><td>{escape(r.message)}</td></tr>"
        for r in ordered
        if r.status is Status.SKIPPED
    ]
    headers = ("status", "check", "message", "evidence", "severity", "remediation", "claims · controls")
    return [
        *_table("Results", "results", headers, [_result_row(r) for r in ran], note="Failures first."),
        *_table(f"Skipped ({len(skipped)})", "skipped", ("check", "why"), skipped),
    ]


def _finding_rows(report: Report) -> list[str]:
    order = {"open": 0, "waived": 1, "suppressed": 2}
    findings = sorted(
        report.findings,
        key=lambda f: (order.get(f.status, 3), _SEVERITIES.index(str(f.severity)), f.tool, f.file or ""),
    )
    return [
        f"<tr><td>{escape(f.status)}</td><td>{escape(f.tool)}</td>"
        f"<td class=id><code>{escape(f.rule_id)}</code></td><td>{escape(str(f.severity))}</td>"
        f"<td class=id><code>{escape(f.file or '-')}{f':{f.line}' if f.line else ''}</code>"
        f"</td><td>{escape(f.message)}</td></tr>"
        for f in findings[:FINDINGS_SHOWN]
    ]


def _findings_section(report: Report) -> list[str]:
    """Findings by tool and severity (a chart and its table), then the findings themselves."""
    if not report.findings:
        return []
    tools = sorted({f.tool for f in report.findings})
    grid = {
        tool: [
            sum(1 for f in report.findings if f.tool == tool and f.status == "open" and str(f.severity) == s)
            for s in _SEVERITIES
        ]
        for tool in tools
    }
    closed = {t: sum(1 for f in report.findings if f.tool == t and f.status != "open") for t in tools}
    rows = [
        f"<tr><td>{escape(tool)}</td>"
        + "".join(f'<td class="num">{n}</td>' for n in grid[tool])
        + f'<td class="num">{closed[tool]}</td></tr>'
        for tool in tools
    ]
    chart = stacked_bars(
        [(tool, grid[tool]) for tool in tools],
        [(s, _SEVERITY_COLOR[s]) for s in _SEVERITIES],
        title="Open findings by tool and severity",
        unit="open findings",
    )
    more = len(report.findings) - FINDINGS_SHOWN
    return [
        '<h2 id="findings">Findings</h2>',
        chart,
        f"<table>{_thead('tool', *_SEVERITIES, 'waived or suppressed')}<tbody>",
        *rows,
        "</tbody></table>",
        f"<table>{_thead('status', 'tool', 'rule', 'severity', 'where', 'message')}<tbody>",
        *_finding_rows(report),
        "</tbody></table>",
        f'<p class="muted">{more} more in report.json and results.sarif.</p>' if more > 0 else "",
    ]


def _waiver_rows(report: Report) -> list[str]:
    return [
        f"<tr><td><code>{escape(w.check)}{f'[{escape(w.subject)}]' if w.subject else ''}</code></td>"
        f"<td>{escape(w.state)}</td><td>{escape(w.owner)}</td>"
        f"<td>{w.expires}</td><td>{escape(w.reason)}</td></tr>"
        for w in report.waivers
    ]


def _nav(report: Report) -> str:
    parts = [
        ("history", "Since the previous run", report.drift is not None),
        ("claims", "Claims", bool(report.claims)),
        ("controls", "Controls", bool(report.controls)),
        ("results", "Results", bool(report.results)),
        ("waivers", "Waivers", bool(report.waivers)),
        ("findings", "Findings", bool(report.findings)),
        ("load", "Load", report.load is not None),
    ]
    return "<nav>" + "".join(f'<a href="#{a}">{t}</a>' for a, t, shown in parts if shown) + "</nav>"


def _heading(report: Report) -> list[str]:
    s = report.summary
    color = {0: _COLOR[Status.PASSED], 1: _COLOR[Status.FAILED]}.get(s.exit_code, _COLOR[Status.ERROR])
    return [
        f"<h1>stackcheck: {escape(report.profile.name)}</h1>",
        f'<p class="verdict" style="border-color:{color}">{escape(verdict(report))} '
        f"(exit code {s.exit_code})</p>",
        f"<p>Target <code>{escape(report.target or '-')}</code> · {s.total} results: {s.passed} passed, "
        f"{s.failed} failed, {s.error} error, {s.skipped} skipped, {s.waived} waived · "
        f"{report.run.duration_s:.1f} s{_process_wall(report)} · "
        f"{report.run.finished_at:%Y-%m-%d %H:%M} UTC</p>",
        _status_bar(report),
        _nav(report),
    ]


def _footer(report: Report) -> str:
    tools = ", ".join(f"{escape(k)} {escape(v)}" for k, v in sorted(report.run.tool_versions.items()))
    return (
        f'<p class="muted">Profile <code>{escape(report.profile.path)}</code> (sha256 '
        f"{escape(report.profile.sha256[:12])}) · {escape(report.run.command)} · {tools} · "
        f"report schema {escape(report.schema_)} {escape(report.schema_version)}</p>"
    )


def render_html(report: Report) -> str:
    """The run as one HTML page (pure function of the report)."""
    body = [
        *_heading(report),
        *history_html(report),
        *_claims_section(report),
        *controls_html(report),
        *_results_section(report),
        *_table("Waivers", "waivers", ("check", "state", "owner", "expires", "reason"), _waiver_rows(report)),
        *_findings_section(report),
        *(_load_section(report, report.load) if report.load else []),
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


def _process_wall(report: Report) -> str:
    """The process's own wall time (start-up and server starts included) beside the suites', if known."""
    wall = report.run.process_wall_s
    return f" (process {wall:.1f} s)" if wall is not None else ""
