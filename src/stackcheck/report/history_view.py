"""The history part of ``summary.md`` and ``index.html`` (``--history``): what changed since the previous run
of the profile, first; then the trend over the recorded runs (a text table; in HTML an inline SVG chart with
a legend). Pure functions of the report; every text from the history file is escaped like a target's.
"""

from __future__ import annotations

from html import escape

from stackcheck.report.drift import Changes, Drift, TrendPoint, WaiverExpiry
from stackcheck.report.model import Report
from stackcheck.report.sanitize import md_cell, md_code

__all__ = ["change_lines", "history_html", "history_markdown"]

_SEVERITIES = ("critical", "high", "medium", "low", "info")
_SHOWN = 50  # items listed per kind of change; the rest counted


def _ratio(value: float | None) -> str:
    return "-" if value is None else f"{value * 100:.1f}%"


def _p95(value: float | None) -> str:
    return "-" if value is None else f"{value:.1f} ms"


def _waiver(w: WaiverExpiry) -> str:
    where = f"{w.check}[{w.subject}]" if w.subject else w.check
    return f"{where} (owner {w.owner or '-'}, expires {w.expires.isoformat()})"


def _groups(c: Changes) -> list[tuple[str, list[str]]]:
    """(heading, items) of every kind of change, in the order a reader needs them."""
    return [
        ("new failure", list(c.new_failures)),
        ("fixed", list(c.fixed)),
        ("new finding", list(c.new_findings)),
        ("removed finding", list(c.removed_findings)),
        ("claim verdict changed", [f"{v.id}: {v.before or '-'} → {v.after or '-'}" for v in c.claims]),
        ("control verdict changed", [f"{v.id}: {v.before or '-'} → {v.after or '-'}" for v in c.controls]),
        ("waiver expired", [_waiver(w) for w in c.waivers_expired]),
        ("waiver expires within 14 days", [_waiver(w) for w in c.waivers_expiring]),
    ]


def change_lines(c: Changes) -> list[str]:
    """Plain lines of ``c`` (``report diff`` prints them): ``new failure: headers.nosniff[/]``."""
    lines = []
    if c.profile_changed:
        lines.append("note: the profile changed between the two runs (sha256 differs)")
    for heading, items in _groups(c):
        lines += [f"{heading}: {item}" for item in items[:_SHOWN]]
        if len(items) > _SHOWN:
            lines.append(f"{heading}: ... and {len(items) - _SHOWN} more")
    return lines or ["no change"]


def _when(c: Changes) -> str:
    return c.previous_time.strftime("%Y-%m-%d %H:%M:%S UTC") if c.previous_time else "-"


def _trend_total(p: TrendPoint) -> str:
    return " · ".join(f"{s} {p.findings[s]}" for s in _SEVERITIES if p.findings.get(s)) or "-"


def _read_note(d: Drift) -> str:
    notes = []
    if d.skipped_lines:
        notes.append(f"{d.skipped_lines} malformed line(s) skipped")
    if d.partial:
        notes.append(d.partial)
    return "; ".join(notes)


def history_markdown(report: Report) -> list[str]:
    """The ``## Since the previous run`` and ``## Trend`` sections (empty without ``--history``)."""
    d = report.drift
    if d is None:
        return []
    lines = ["", "## Since the previous run", ""]
    if d.changes is None:
        lines.append(f"First recorded run of this profile in {md_code(d.history)}.")
    else:
        when = _when(d.changes)
        lines.append(f"Compared with the run of {md_cell(when)} ({md_code(d.history)}):")
        lines.append("")
        lines += [f"- {md_cell(line)}" for line in change_lines(d.changes)]
    if note := _read_note(d):
        lines += ["", f"History file: {md_cell(note)}."]
    lines += [
        "",
        f"## Trend (last {len(d.trend)} runs)",
        "",
        "| ended | exit | pass ratio | p95 | findings |",
    ]
    lines.append("|---|---|---|---|---|")
    for p in d.trend:
        lines.append(
            f"| {p.time.strftime('%Y-%m-%d %H:%M')} | {p.exit_code} | {_ratio(p.pass_ratio)} | "
            f"{_p95(p.p95_ms)} | {md_cell(_trend_total(p))} |"
        )
    return lines


_W, _H, _PAD = 640, 200, 48
_LINES = (("pass ratio", "#2e7d32"), ("p95 (ms)", "#1565c0"), ("open findings", "#c62828"))


def _polyline(values: list[float | None], top: float, color: str) -> str:
    n = len(values)
    points: list[tuple[float, float]] = []
    for i, v in enumerate(values):
        if v is None:
            continue
        x = _PAD + (i * (_W - 2 * _PAD) / (n - 1) if n > 1 else (_W - 2 * _PAD) / 2)
        y = _H - _PAD + 10 - (v / top if top else 0) * (_H - 2 * _PAD)
        points.append((x, y))
    if not points:
        return ""
    dots = "".join(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="{color}"/>' for x, y in points)
    line = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
    return f'<polyline fill="none" stroke="{color}" stroke-width="2" points="{line}"/>{dots}'


def _chart(trend: tuple[TrendPoint, ...]) -> str:
    ratio = [p.pass_ratio for p in trend]
    p95 = [p.p95_ms for p in trend]
    found: list[float | None] = [float(sum(p.findings.values())) for p in trend]
    top_p95 = max((v for v in p95 if v is not None), default=0.0)
    top_found = max((v for v in found if v is not None), default=0.0)
    series = [
        (ratio, 1.0, _LINES[0][1]),
        (p95, top_p95, _LINES[1][1]),
        (found, top_found, _LINES[2][1]),
    ]
    legend = "".join(
        f'<rect x="{_PAD + i * 170}" y="6" width="12" height="12" fill="{color}"/>'
        f'<text x="{_PAD + i * 170 + 16}" y="17" font-size="12">{escape(name)}</text>'
        for i, (name, color) in enumerate(_LINES)
    )
    base, span = _H - _PAD + 10, _H - 2 * _PAD
    ticks = "".join(
        f'<line x1="{_PAD}" y1="{base - span * f:.1f}" x2="{_W - _PAD}" y2="{base - span * f:.1f}" '
        f'stroke="#e0e0e0"/><text x="{_PAD - 4}" y="{base - span * f + 4:.1f}" font-size="10" '
        f'text-anchor="end">{int(f * 100)}%</text>'
        for f in (0.0, 0.5, 1.0)
    )
    axis = (
        f'{ticks}<line x1="{_PAD}" y1="{base}" x2="{_W - _PAD}" y2="{base}" stroke="#555"/>'
        f'<line x1="{_PAD}" y1="{base - span}" x2="{_PAD}" y2="{base}" stroke="#555"/>'
        f'<text x="{_PAD}" y="{base + 14}" font-size="10">oldest</text>'
        f'<text x="{_W - _PAD}" y="{base + 14}" font-size="10" text-anchor="end">this run</text>'
        f'<text x="{_W / 2:.0f}" y="{_H - 4}" font-size="11" text-anchor="middle">recorded runs of the '
        "profile, oldest to newest</text>"
        f'<text x="10" y="{base - span / 2:.1f}" font-size="11" text-anchor="middle" '
        f'transform="rotate(-90 10 {base - span / 2:.1f})">% of each line\'s maximum</text>'
    )
    lines = "".join(_polyline(v, top, c) for v, top, c in series)
    return (
        f'<svg role="img" aria-label="trend over the recorded runs" width="{_W}" height="{_H}" '
        f'viewBox="0 0 {_W} {_H}" xmlns="http://www.w3.org/2000/svg">{legend}{axis}{lines}</svg>'
        f"<p>Each line is scaled to its own maximum: pass ratio up to 100%, p95 up to "
        f"{_p95(top_p95) if top_p95 else '- (no load recorded)'}, open findings up to {int(top_found)}.</p>"
    )


def history_html(report: Report) -> list[str]:
    """The history sections of ``index.html`` (empty without ``--history``)."""
    d = report.drift
    if d is None:
        return []
    out = ['<section class="history"><h2 id="history">Since the previous run</h2>']
    if d.changes is None:
        out.append(f"<p>First recorded run of this profile in <code>{escape(d.history)}</code>.</p>")
    else:
        when = _when(d.changes)
        out.append(f"<p>Compared with the run of {escape(when)} (<code>{escape(d.history)}</code>):</p><ul>")
        out += [f"<li>{escape(line)}</li>" for line in change_lines(d.changes)]
        out.append("</ul>")
    if note := _read_note(d):
        out.append(f"<p>History file: {escape(note)}.</p>")
    out.append(f"<h2>Trend (last {len(d.trend)} runs)</h2>{_chart(d.trend)}")
    out.append("<table><tr><th>ended</th><th>exit</th><th>pass ratio</th><th>p95</th><th>findings</th></tr>")
    for p in d.trend:
        out.append(
            f"<tr><td>{escape(p.time.strftime('%Y-%m-%d %H:%M'))}</td><td>{p.exit_code}</td>"
            f"<td>{_ratio(p.pass_ratio)}</td><td>{_p95(p.p95_ms)}</td><td>{escape(_trend_total(p))}</td></tr>"
        )
    out.append("</table></section>")
    return out
