"""The controls tables of ``summary.md`` and ``index.html``: one table per framework, worst verdict first.

Pure functions of the report. Each table is headed by the statement that checks *support* a control and do
not certify it: a reader of a single page must not take ``SUPPORTED`` for an attestation.
"""

from __future__ import annotations

from html import escape

from stackcheck.controls import CONTROL_ORDER, ControlStatus, ControlVerdict
from stackcheck.report.model import Report
from stackcheck.report.sanitize import md_cell, md_code

__all__ = ["CONTROL_MARK", "SUPPORT_NOTE", "control_counts_line", "controls_html", "controls_markdown"]

CONTROL_MARK: dict[ControlStatus, str] = {
    ControlStatus.SUPPORTED: "SUPPORTED",
    ControlStatus.NOT_MET: "NOT MET",
    ControlStatus.INCOMPLETE: "INCOMPLETE",
    ControlStatus.NOT_COVERED: "NOT COVERED",
}
_COLOR: dict[ControlStatus, str] = {
    ControlStatus.SUPPORTED: "#2e7d32",
    ControlStatus.NOT_MET: "#c62828",
    ControlStatus.INCOMPLETE: "#ef6c00",
    ControlStatus.NOT_COVERED: "#9e9e9e",
}
SUPPORT_NOTE = (
    "Checks support a control; they do not certify it. SUPPORTED means the checks stackcheck maps to the "
    "control ran in this run and passed (or were not applicable, skipped; with `any`, one of them passed), "
    "not that the control is met: that is an auditor's judgement."
)
_TITLE_CHARS = 120  # summary.md keeps to a job summary's width; index.html shows the whole wording


def control_counts_line(report: Report) -> str:
    """``40 controls: 12 supported, 1 not met, 20 incomplete, 7 not covered`` (or empty)."""
    c = report.summary.controls
    if not c.total:
        return ""
    return (
        f"{c.total} controls: {c.supported} supported, {c.not_met} not met, {c.incomplete} incomplete, "
        f"{c.not_covered} not covered"
    )


def _by_framework(report: Report) -> list[tuple[str, list[ControlVerdict]]]:
    groups: dict[str, list[ControlVerdict]] = {}
    for verdict in report.controls:
        groups.setdefault(verdict.framework, []).append(verdict)
    return [
        (vs[0].framework_title, sorted(vs, key=lambda v: CONTROL_ORDER.index(v.status)))
        for vs in groups.values()
    ]


def _short(text: str) -> str:
    return text if len(text) <= _TITLE_CHARS else text[: _TITLE_CHARS - 1].rstrip() + "…"


def controls_markdown(report: Report) -> list[str]:
    """The ``## Controls`` section of summary.md (nothing when the report shows no framework)."""
    if not report.controls:
        return []
    lines = ["", "## Controls", "", control_counts_line(report), "", f"_{md_cell(SUPPORT_NOTE)}_"]
    for title, verdicts in _by_framework(report):
        lines += ["", f"### {md_cell(title)}", "", "| verdict | control | title | checks | why |"]
        lines.append("|---|---|---|---|---|")
        for v in verdicts:
            checks = ", ".join(md_code(c) for c in v.checks) or "-"
            cells = (
                CONTROL_MARK[v.status],
                md_code(v.id),
                md_cell(_short(v.title)),
                checks,
                md_cell(v.message),
            )
            lines.append("| " + " | ".join(cells) + " |")
    return lines


def _html_row(v: ControlVerdict) -> str:
    tag = f'<span class="tag" style="background:{_COLOR[v.status]}">{CONTROL_MARK[v.status]}</span>'
    checks = " ".join(f"<code>{escape(c)}</code>" for c in v.checks) or "-"
    return (
        f"<tr><td>{tag}</td><td class=id><code>{escape(v.id)}</code></td><td>{escape(v.title)}</td>"
        f"<td class=id>{checks}</td><td>{escape(v.message)}</td></tr>"
    )


def controls_html(report: Report) -> list[str]:
    """The controls section of index.html: one table per framework (nothing when none is shown)."""
    if not report.controls:
        return []
    out = [
        '<h2 id="controls">Controls</h2>',
        f'<p class="muted">{escape(control_counts_line(report))}. {escape(SUPPORT_NOTE)}</p>',
    ]
    head = "".join(f"<th>{h}</th>" for h in ("verdict", "control", "title", "checks", "why"))
    for title, verdicts in _by_framework(report):
        out += [
            f"<h3>{escape(title)}</h3><table><tr>{head}</tr>",
            *(_html_row(v) for v in verdicts),
            "</table>",
        ]
    return out
