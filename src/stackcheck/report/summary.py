"""``summary.md``: the run as Markdown, short enough for ``$GITHUB_STEP_SUMMARY``.

Every table cell goes through :func:`~stackcheck.report.sanitize.md_cell` or
:func:`~stackcheck.report.sanitize.md_code`: a ``|``, a newline or raw HTML in any column (a target's
answer, a waiver reason) cannot shift the columns or reach the page as markup.
"""

from __future__ import annotations

from typing import Any

from stackcheck.claims import ClaimStatus
from stackcheck.outcomes import CheckResult, Status
from stackcheck.report.controls_view import controls_markdown
from stackcheck.report.history_view import history_markdown
from stackcheck.report.model import ExitCode, Report
from stackcheck.report.sanitize import md_cell, md_code
from stackcheck.waivers import WaiverState

__all__ = ["CLAIM_MARK", "STATUS_MARK", "claim_counts_line", "format_evidence", "render_summary", "verdict"]

STATUS_MARK: dict[Status, str] = {
    Status.PASSED: "PASS",
    Status.FAILED: "FAIL",
    Status.ERROR: "ERROR",
    Status.SKIPPED: "SKIP",
    Status.WAIVED: "WAIVED",
}

_ORDER = [Status.FAILED, Status.ERROR, Status.WAIVED, Status.PASSED, Status.SKIPPED]

CLAIM_MARK: dict[ClaimStatus, str] = {
    ClaimStatus.VERIFIED: "VERIFIED",
    ClaimStatus.VIOLATED: "VIOLATED",
    ClaimStatus.COULD_NOT_CHECK: "COULD NOT CHECK",
    ClaimStatus.MANUAL: "MANUAL",
    ClaimStatus.NOT_RUN: "NOT RUN",
}
CLAIM_ORDER = [
    ClaimStatus.VIOLATED,
    ClaimStatus.COULD_NOT_CHECK,
    ClaimStatus.VERIFIED,
    ClaimStatus.NOT_RUN,
    ClaimStatus.MANUAL,
]


def claim_counts_line(report: Report) -> str:
    """``12 claims: 9 verified, 1 violated, 0 could not check, 1 not run, 1 manual`` (or empty)."""
    c = report.summary.claims
    if not c.total:
        return ""
    return (
        f"{c.total} claims: {c.verified} verified, {c.violated} violated, {c.could_not_check} could not "
        f"check, {c.not_run} not run, {c.manual} manual"
    )


def _claims_table(report: Report) -> list[str]:
    """The profile's claims, violated first: verdict, id, the sentence, its source, why."""
    if not report.claims:
        return []
    lines = [
        "",
        "## Claims",
        "",
        claim_counts_line(report),
        "",
        "| verdict | claim | source | why |",
        "|---|---|---|---|",
    ]
    for c in sorted(report.claims, key=lambda c: CLAIM_ORDER.index(c.status)):
        claim = f"{md_code(c.id)} “{md_cell(c.text)}”"
        lines.append(_row((CLAIM_MARK[c.status], claim, md_code(c.source), md_cell(c.message))))
    return lines


def _fmt(value: Any, unit: str | None) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        # Small ratios (0.004) must not round to 0.0; milliseconds keep one decimal.
        value = (
            int(value)
            if value.is_integer()
            else (float(f"{value:.3g}") if abs(value) < 10 else round(value, 1))
        )
    return f"{value} {unit}" if unit and isinstance(value, (int, float)) else str(value)


def format_evidence(result: CheckResult) -> str:
    """``expected ≤ 100 ms, observed 3.2 ms`` — the evidence in one clause."""
    ev = result.evidence
    if ev.expected is None and ev.observed is None:
        return ""
    op = f"{ev.op} " if ev.op and ev.op != "==" else ""
    return f"expected {op}{_fmt(ev.expected, ev.unit)}, observed {_fmt(ev.observed, ev.unit)}"


def _mark(result: CheckResult) -> str:
    """``FAIL``, or ``ERROR (timeout)``: an error names its reason."""
    mark = STATUS_MARK[result.status]
    return f"{mark} ({result.error_reason})" if result.error_reason else mark


def verdict(report: Report) -> str:
    """One sentence: what the exit code means for this run."""
    s = report.summary
    if report.run.interrupted:  # partial: never COMPLIANT, whatever the results so far
        return (
            f"INTERRUPTED by {report.run.signal or 'a signal'}: the run stopped before its end, no verdict"
            f" ({s.failed} failed, {s.error} error among the {s.total} results so far)"
        )
    code = ExitCode(s.exit_code)
    if code is ExitCode.FAILED:
        extra = f"; {s.expired_waivers} waiver(s) expired" if s.expired_waivers else ""
        return f"NON-COMPLIANT: {s.failed} check(s) failed{extra}"
    if code is ExitCode.ERROR:
        return f"INCOMPLETE: {s.error} check(s) could not be run; nothing failed"
    if code is ExitCode.USAGE:
        return "NOTHING CHECKED: the run produced no result (no check was collected, or it stopped first)"
    return "COMPLIANT: every check that ran passed"


def render_summary(report: Report) -> str:
    """The Markdown summary of a run (pure function of the report)."""
    s = report.summary
    lines = [
        f"# stackcheck: {md_cell(report.profile.name)}",
        "",
        f"**{verdict(report)}** (exit code {s.exit_code})",
        "",
        f"Target {md_code(report.target or '-')} · {s.total} results: {s.passed} passed, {s.failed} failed, "
        f"{s.error} error, {s.skipped} skipped, {s.waived} waived · {report.run.duration_s:.1f} s",
        *history_markdown(report),
        *_results_tables(report),
    ]
    notable = [w for w in report.waivers if w.state is not WaiverState.ACTIVE]
    if report.waivers:
        lines += [
            "",
            "## Waivers",
            "",
            "| check | state | owner | expires | reason |",
            "|---|---|---|---|---|",
        ]
        for w in report.waivers:
            label = f"{w.check}[{w.subject}]" if w.subject else w.check
            owner, reason = md_cell(w.owner), md_cell(w.reason)
            lines.append(_row((md_code(label), md_cell(w.state), owner, str(w.expires), reason)))
    if notable:
        lines += ["", "Expired waivers fail the run; stale waivers cover nothing and should be removed."]
    lines += _findings_table(report)
    lines += [
        "",
        f"Profile {md_code(report.profile.path)} (sha256 {md_code(report.profile.sha256[:12])}) · "
        f"stackcheck {md_cell(report.run.tool_versions.get('stackcheck', '?'))}",
    ]
    return "\n".join(lines) + "\n"


FINDINGS_SHOWN = 50
_HEAD = ("| status | check | message | evidence | claims |", "|---|---|---|---|---|")


def _result_row(r: CheckResult) -> str:
    claims = ", ".join(md_code(c.id) for c in r.claims)
    cells = (md_cell(_mark(r)), md_code(r.label), md_cell(r.message), md_cell(format_evidence(r)), claims)
    return _row(cells)


def _fix_row(r: CheckResult) -> str:
    where = f"{r.source.file}:{r.source.line}" if r.source and r.source.line else ""
    return _row((md_code(r.label), md_cell(r.remediation or "-"), md_code(where) if where else "-"))


def _results_tables(report: Report) -> list[str]:
    """Failures and errors first (with what to change), then the claims and controls, then what passed;
    skipped checks collapsed in a ``<details>`` block (the only HTML summary.md holds)."""
    ordered = sorted(report.results, key=lambda r: (_ORDER.index(r.status), r.id, r.subject or ""))
    bad = [r for r in ordered if r.status in (Status.FAILED, Status.ERROR, Status.WAIVED)]
    passed = [r for r in ordered if r.status is Status.PASSED]
    skipped = [r for r in ordered if r.status is Status.SKIPPED]
    lines = ["", "## Failures and errors", ""]
    if bad:
        lines += [*_HEAD, *(_result_row(r) for r in bad)]
        fixes = [r for r in bad if r.status is not Status.WAIVED and (r.remediation or r.source)]
        if fixes:
            lines += ["", "| check | what to change | promised at |", "|---|---|---|"]
            lines += [_fix_row(r) for r in fixes]
    else:
        lines.append("None: no check failed and none could not be run.")
    lines += _claims_table(report)
    lines += controls_markdown(report)
    if passed:
        lines += ["", f"## Passed ({len(passed)})", "", *_HEAD, *(_result_row(r) for r in passed)]
    if skipped:
        lines += [
            "",
            f"<details><summary>Skipped ({len(skipped)}): not configured in the profile, or not "
            "applicable</summary>",
            "",
            "| check | why |",
            "|---|---|",
            *(_row((md_code(r.label), md_cell(r.message))) for r in skipped),
            "",
            "</details>",
        ]
    return lines


def _row(cells: tuple[str, ...]) -> str:
    """A table row of cells already escaped by ``md_cell``/``md_code``."""
    return "| " + " | ".join(cells) + " |"


def _findings_table(report: Report) -> list[str]:
    """Static scanner findings, open ones first (at most ``FINDINGS_SHOWN`` rows)."""
    if not report.findings:
        return []
    order = {"open": 0, "waived": 1, "suppressed": 2}
    findings = sorted(report.findings, key=lambda f: (order[f.status], f.tool, f.file or "", f.line or 0))
    counts = {status: sum(1 for f in findings if f.status == status) for status in order}
    lines = [
        "",
        "## Findings",
        "",
        f"{counts['open']} open, {counts['waived']} waived, {counts['suppressed']} suppressed inline.",
        "",
        "| status | tool | rule | severity | where | message |",
        "|---|---|---|---|---|---|",
    ]
    for f in findings[:FINDINGS_SHOWN]:
        where = f"{f.file}:{f.line}" if f.file and f.line else (f.file or "-")
        cells = (f.status, md_cell(f.tool), md_code(f.rule_id), md_cell(str(f.severity)), md_code(where))
        lines.append(_row((*cells, md_cell(f.message))))
    if len(findings) > FINDINGS_SHOWN:
        lines.append(
            f"| ... | {len(findings) - FINDINGS_SHOWN} more in report.json and results.sarif | | | | |"
        )
    return lines
