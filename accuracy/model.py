"""One row of the accuracy table, and what "agree" means."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Row", "Unavailable"]


class Unavailable(Exception):
    """A case cannot run here (a package is missing): listed as not run, never as agreeing."""


@dataclass(frozen=True)
class Row:
    """One case: what the configuration makes true, what a reference tool saw, what stackcheck said.

    ``truth`` and ``stackcheck`` are statuses (``passed``/``failed``/``skipped``/``error``) of ``check``;
    the ``*_detail`` strings say what each side observed, in its own words (short). ``reference_agrees`` is
    whether the reference tool's own reading matches the truth (``None`` when no reference tool applies).
    ``decision`` explains a documented disagreement (a row with one is counted as explained, not agreeing).
    """

    suite: str
    case: str
    check: str
    truth: str
    truth_detail: str
    reference_tool: str
    reference: str
    reference_agrees: bool | None
    stackcheck: str
    stackcheck_detail: str = ""
    decision: str = ""

    @property
    def agree(self) -> bool:
        """stackcheck's verdict is the truth (and the reference tool, where there is one, saw it too)."""
        return self.stackcheck == self.truth and self.reference_agrees is not False
