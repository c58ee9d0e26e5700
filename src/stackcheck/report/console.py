"""Plain-text lines for the terminal: one per result as it arrives, and the closing verdict.

Every line goes through :func:`terminal`: credentials masked (:class:`~stackcheck.redact.Redactor`) and
control characters and escape sequences written as visible escapes, so a target cannot colour, retitle or
rewrite the operator's terminal, nor print a line that looks like one of ours.
"""

from __future__ import annotations

from collections.abc import Iterable

from stackcheck.outcomes import CheckResult, Status
from stackcheck.redact import Redactor
from stackcheck.report.controls_view import control_counts_line
from stackcheck.report.model import Report
from stackcheck.report.sanitize import one_line
from stackcheck.report.summary import STATUS_MARK, claim_counts_line, format_evidence, verdict

__all__ = ["render_console", "result_line", "shown_live", "skipped_lines", "terminal"]


def terminal(text: str, redactor: Redactor | None = None) -> str:
    """One line safe to print: secrets masked, control characters and newlines escaped."""
    return one_line((redactor or Redactor()).text(text))


def result_line(result: CheckResult) -> str:
    """``  PASS    health.live                     GET /health/live → 200 (expected 2xx, observed 200)``."""
    text = result.message
    evidence = format_evidence(result)
    if evidence:
        text = f"{text} ({evidence})" if text else evidence
    return terminal(f"  {STATUS_MARK[result.status]:<7} {result.label:<34} {text}")


def shown_live(result: CheckResult) -> bool:
    """Whether a result gets its own line as it arrives (skips are grouped at the end instead)."""
    return result.status is not Status.SKIPPED


def skipped_lines(results: Iterable[CheckResult]) -> list[str]:
    """Skipped results grouped by reason: ``SKIP    pg.version, pg.ssl: profile has no `postgres` ...``."""
    by_reason: dict[str, list[str]] = {}
    for result in results:
        if result.status is Status.SKIPPED:
            by_reason.setdefault(result.message, []).append(result.label)
    lines = []
    for reason, labels in by_reason.items():
        shown = ", ".join(labels[:4]) + (f", ... ({len(labels)} checks)" if len(labels) > 4 else "")
        lines.append(terminal(f"  {STATUS_MARK[Status.SKIPPED]:<7} {shown}: {reason}"))
    return lines


def render_console(report: Report, report_dir: str | None = None) -> str:
    """The closing block printed after a run: grouped skips, counts, waiver problems, verdict."""
    s = report.summary
    lines = [
        *skipped_lines(report.results),
        "",
        f"{s.total} results: {s.passed} passed, {s.failed} failed, {s.error} error, "
        f"{s.skipped} skipped, {s.waived} waived in {report.run.duration_s:.1f} s{_process(report)}",
    ]
    if claim_counts_line(report):
        lines.append(claim_counts_line(report))
    if control_counts_line(report):  # checks support a control; the tables say they do not certify it
        lines.append(control_counts_line(report) + " (supported by checks, not certified)")
    for w in report.waivers:
        if w.state.value in ("expired", "stale"):
            line = f"  waiver for {w.check} ({w.owner}, expires {w.expires}) is {w.state.value}"
            lines.append(terminal(line))
    lines.append(f"{verdict(report)} -> exit code {s.exit_code}")
    if report_dir:
        from stackcheck.report.writer import chosen_artifacts  # (the writer renders what this module shows)

        written = chosen_artifacts()
        main = "summary.md" if "summary.md" in written else "report.json"
        also = [name for name in written if name != main]
        lines.append(
            terminal(f"report: {report_dir}/{main}" + (f" (also {', '.join(also)})" if also else ""))
        )
    return "\n".join(lines)


def _process(report: Report) -> str:
    """The process's own wall time beside the suites' (start-up and server starts included), if known."""
    wall = report.run.process_wall_s
    return f" (the whole process {wall:.1f} s)" if wall is not None else ""
