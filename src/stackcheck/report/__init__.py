"""The run report: model and renderers."""

from stackcheck.report.console import render_console, result_line, shown_live
from stackcheck.report.html import render_html
from stackcheck.report.junit import render_junit
from stackcheck.report.model import (
    SCHEMA,
    ExitCode,
    Finding,
    ProfileInfo,
    Report,
    RunInfo,
    Summary,
    exit_code,
    mark_interrupted,
)
from stackcheck.report.summary import render_summary
from stackcheck.report.writer import ARTIFACTS, read_report, write_report

__all__ = [
    "ARTIFACTS",
    "SCHEMA",
    "ExitCode",
    "Finding",
    "ProfileInfo",
    "Report",
    "RunInfo",
    "Summary",
    "exit_code",
    "mark_interrupted",
    "read_report",
    "render_console",
    "render_html",
    "render_junit",
    "render_summary",
    "result_line",
    "shown_live",
    "write_report",
]
