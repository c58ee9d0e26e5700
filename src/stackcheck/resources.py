"""Where the verification suites live, and which exist."""

from __future__ import annotations

from pathlib import Path

from stackcheck._exceptions import UsageError
from stackcheck.catalog import SUITES

__all__ = ["resolve_suites", "suites_dir"]


def suites_dir() -> Path:
    """``suites/`` of a source checkout (editable install), else the copy packaged in the wheel."""
    checkout = Path(__file__).resolve().parents[2] / "suites"
    if (checkout / "pytest.ini").is_file():
        return checkout
    return Path(__file__).resolve().parent / "_suites"


def resolve_suites(names: list[str] | None, root: Path | None = None) -> list[Path]:
    """The folders of the named suites (all registered suites when ``names`` is empty)."""
    base = root or suites_dir()
    available = [name for name in SUITES if (base / name).is_dir()]
    chosen = names or available
    unknown = [n for n in chosen if n not in available]
    if unknown:
        raise UsageError(
            f"unknown suite {unknown[0]!r}", f"choose from: {', '.join(available)} (--suite NAME, repeatable)"
        )
    return [base / name for name in dict.fromkeys(chosen)]
