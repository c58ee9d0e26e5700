"""Checks that a report folder is inert: it parses, renders with the right cells, and runs nothing.

Shared by the unit test of the sanitiser and the integration test that runs the real CLI against a target
answering hostile text (``tests/data/hostile_text.py``).
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from pathlib import Path

import pytest

__all__ = ["UNSAFE", "assert_artifacts_inert", "gfm_cells", "occurrences"]

# What must never be written raw: C0 controls but tab/newline, DEL, C1 controls, bidi overrides/isolates.
UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
_MARKDOWN_TAGS = {"table", "thead", "tbody", "tr", "th", "td", "code", "h1", "h2", "h3", "p", "strong", "em"}
_OWN_HTML = ("<details><summary>Skipped (", "</details>")  # summary.md's one block of HTML: the skipped
_ACTIVE = {"script", "iframe", "object", "embed", "img", "link", "base", "form"}


def occurrences(folder: Path, needles: list[str], console: str = "") -> dict[str, int]:
    """How often any of ``needles`` appears in each file of ``folder`` (recursively) and in ``console``."""
    counts = {
        str(path.relative_to(folder)): sum(path.read_text(errors="replace").count(n) for n in needles)
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }
    counts["console"] = sum(console.count(n) for n in needles)
    return counts


def gfm_cells(row: str) -> list[str]:
    """GFM's split of a table row: at pipes not escaped by a backslash (``\\\\`` escapes itself)."""
    return re.findall(r"(?:\\.|[^|\\])+", row.strip()[1:-1])


def _markdown_tables(markdown: str) -> list[list[str]]:
    tables: list[list[str]] = []
    current: list[str] = []
    for line in [*markdown.splitlines(), ""]:
        if line.startswith("|"):
            current.append(line)
        elif current:
            tables.append([row for row in current if not set(row) <= set("|-")])
            current = []
    return tables


class _Html(HTMLParser):
    """What an HTML page holds: table cells per row, and anything that could run or fetch."""

    def __init__(self, allowed: set[str] | None = None) -> None:
        super().__init__()
        self.allowed = allowed
        self.found: list[str] = []
        self.tables: list[list[int]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _ACTIVE or (self.allowed is not None and tag not in self.allowed):
            self.found.append(tag)
        self.found += [n for n, value in attrs if n.startswith("on") or "javascript:" in (value or "")]
        if tag == "table":
            self.tables.append([])
        elif tag == "tr" and self.tables:
            self.tables[-1].append(0)
        elif tag in ("td", "th") and self.tables and self.tables[-1]:
            self.tables[-1][-1] += 1


def assert_artifacts_inert(folder: Path, console: str = "") -> list[tuple[int, int]]:
    """Every artifact parses and holds no raw control character; ``summary.md`` keeps its columns and
    renders no HTML of its own; ``index.html`` runs and fetches nothing. Returns (data rows, cells) of
    each ``summary.md`` table."""
    __tracebackhide__ = True
    for path in folder.glob("*.*"):
        text = path.read_text(encoding="utf-8")
        assert not UNSAFE.search(text), f"{path.name} holds a raw control character"
    assert not UNSAFE.search(console), f"the console got a raw control character: {console[:300]!r}"
    ET.parse(folder / "junit.xml")  # XML 1.0 forbids most C0 characters
    json.loads((folder / "results.sarif").read_text())
    page = _Html()
    page.feed((folder / "index.html").read_text())
    assert page.found == [], f"index.html could run or fetch: {page.found}"
    summary = (folder / "summary.md").read_text()
    shape = []
    for table in _markdown_tables(summary):
        widths = {len(gfm_cells(row)) for row in table}
        assert len(widths) == 1, f"summary.md rows of different widths: {table}"
        shape.append((len(table) - 1, widths.pop()))
    markdown_it = pytest.importorskip("markdown_it", reason="markdown-it-py (test dependency group)")
    rendered = _Html(_MARKDOWN_TAGS)
    own = summary.count(_OWN_HTML[0])
    assert own <= 1 and summary.count("</details>") == own, "summary.md holds a <details> block of its own"
    for tag in _OWN_HTML:
        summary = summary.replace(tag, "")  # ours; md_cell escapes any a target or scanner sends
    rendered.feed(markdown_it.MarkdownIt("commonmark").enable("table").render(summary))  # raw HTML on
    assert rendered.found == [], f"summary.md renders markup of its own: {rendered.found}"
    assert [(len(t) - 1, max(t)) for t in rendered.tables] == shape
    assert all(len(set(t)) == 1 for t in rendered.tables), rendered.tables
    return shape
