"""Plain-text lines for the terminal: one per result as it arrives, and the closing verdict."""

from __future__ import annotations

from stackcheck.outcomes import CheckResult
from stackcheck.report.model import Report
from stackcheck.report.summary import STATUS_MARK, format_evidence, verdict

__all__ = ["render_console", "result_line"]


def result_line(result: CheckResult) -> str:
    """``  PASS    health.live                     GET /health/live → 200 (expected 2xx, observed 200)``."""
    text = result.message
    evidence = format_evidence(result)
    if evidence:
        text = f"{text} ({evidence})" if text else evidence
    return f"  {STATUS_MARK[result.status]:<7} {result.label:<34} {text}"


def render_console(report: Report, report_dir: str | None = None) -> str:
    """The closing block printed after a run."""
    s = report.summary
    lines = [
        "",
        f"{s.total} results: {s.passed} passed, {s.failed} failed, {s.error} error, "
        f"{s.skipped} skipped, {s.waived} waived in {report.run.duration_s:.1f} s",
    ]
    for w in report.waivers:
        if w.state.value in ("expired", "stale"):
            lines.append(f"  waiver for {w.check} ({w.owner}, expires {w.expires}) is {w.state.value}")
    lines.append(f"{verdict(report)} -> exit code {s.exit_code}")
    if report_dir:
        lines.append(f"report: {report_dir}/summary.md (also report.json, junit.xml)")
    return "\n".join(lines)
