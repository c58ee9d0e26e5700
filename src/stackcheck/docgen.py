"""Regenerate the documents that are derived from code (``nox -s docs``); a test keeps them in sync."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from stackcheck.catalog import render_checks_doc
from stackcheck.catalog.readers import RUN_SECTIONS, section_readers
from stackcheck.controls import render_controls_doc
from stackcheck.coverage import render_seeds_doc
from stackcheck.profile import render_profile_reference
from stackcheck.profile.schema import schema_text
from stackcheck.report.reference import render_report_reference

__all__ = ["GENERATED", "main"]

_REPO = Path(__file__).resolve().parents[2]  # the checkout: these documents are generated in it

# repository-relative path → generator
GENERATED: dict[str, Callable[[], str]] = {
    "docs/checks.md": render_checks_doc,
    "docs/controls.md": render_controls_doc,
    "docs/profile.md": lambda: render_profile_reference(section_readers(), RUN_SECTIONS),
    "docs/report.md": render_report_reference,
    "docs/seeds.md": lambda: render_seeds_doc(
        _REPO / "policies" / "profiles", _REPO / "tests/data/adr/answers"
    ),
    "policies/profile.schema.json": schema_text,
}


def main(root: Path | None = None) -> None:
    """Write every generated document under ``root`` (default: the current directory)."""
    base = root or Path.cwd()
    for rel, render in GENERATED.items():
        path = base / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(render(), encoding="utf-8")
        print(f"wrote {rel}")


if __name__ == "__main__":
    main()
