"""Write a report folder: every artifact is rendered from the one :class:`Report`, made publishable."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from stackcheck.redact import Redactor
from stackcheck.report.html import render_html
from stackcheck.report.junit import render_junit
from stackcheck.report.model import Report
from stackcheck.report.publish import publishable
from stackcheck.report.sarif import render_sarif
from stackcheck.report.summary import render_summary

__all__ = ["ARTIFACTS", "chosen_artifacts", "read_report", "select_artifacts", "write_report"]

# file name → renderer: every artifact is a pure function of the report.
ARTIFACTS: dict[str, Callable[[Report], str]] = {
    "report.json": Report.to_json,
    "junit.xml": render_junit,
    "summary.md": render_summary,
    "results.sarif": render_sarif,
    "index.html": render_html,
}

_CHOSEN: list[frozenset[str] | None] = [None]  # set by the command line's --format; None: every artifact


def select_artifacts(names: list[str] | None) -> None:
    """Write only these artifacts (file names of :data:`ARTIFACTS`) from now on; ``None``: all of them.
    ``report.json`` is always written: every other artifact and ``stackcheck report`` are made from it."""
    _CHOSEN[0] = None if names is None else frozenset([*names, "report.json"])


def chosen_artifacts() -> list[str]:
    """The artifact file names a report folder gets, in :data:`ARTIFACTS` order."""
    chosen = _CHOSEN[0]
    return [name for name in ARTIFACTS if chosen is None or name in chosen]


def write_report(report: Report, folder: Path, redactor: Redactor | None = None) -> list[Path]:
    """Render every artifact into ``folder`` (created if needed); return the written paths.

    The renderers see only :func:`~stackcheck.report.publish.publishable` text: secrets masked (by
    ``redactor``'s known values too, when given) and target text sanitised.
    """
    report = publishable(report, redactor)
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name in chosen_artifacts():
        render = ARTIFACTS[name]
        path = folder / name
        path.write_text(render(report), encoding="utf-8")
        written.append(path)
    return written


def read_report(folder: Path) -> Report:
    """Load ``folder/report.json``."""
    return Report.from_json((folder / "report.json").read_text(encoding="utf-8"))
