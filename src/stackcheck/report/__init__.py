"""The run report: model and renderers.

The names below are imported on first use (PEP 562 ``__getattr__``): importing a light submodule
(``stackcheck.report.sanitize``, ``.folders``) must not build every report model, so that ``stackcheck
--help`` and ``stackcheck checks`` start at once (docs/benchmarks.md, Start-up).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
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

# name → the submodule that defines it.
_HOMES = {
    "render_console": "console",
    "result_line": "console",
    "shown_live": "console",
    "render_html": "html",
    "render_junit": "junit",
    "SCHEMA": "model",
    "ExitCode": "model",
    "Finding": "model",
    "ProfileInfo": "model",
    "Report": "model",
    "RunInfo": "model",
    "Summary": "model",
    "exit_code": "model",
    "mark_interrupted": "model",
    "render_summary": "summary",
    "ARTIFACTS": "writer",
    "read_report": "writer",
    "write_report": "writer",
}


def __getattr__(name: str) -> Any:
    """``stackcheck.report.Report`` and the other names of ``__all__``, imported when first asked for."""
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(f"{__name__}.{home}"), name)
    globals()[name] = value  # asked once: later look-ups do not come here
    return value
