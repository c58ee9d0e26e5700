"""What a scanner is: one object with its name, its tool, the checks it decides, its cost and two hooks.

A scanner module (``checkov.py``, ``trivy.py`` ...) builds one :class:`Scanner` named by a
:class:`ScannerName`; :data:`stackcheck.scan.registry.SCANNERS` lists them, one line each, and everything
else — the engine, ``python -m stackcheck.scan.tools``, ``stackcheck scan --install-tools`` — derives from
that registry. A scanner that cannot even be planned (its tool is missing) is ``error`` for every check it
decides; a scanner whose tool is not named after it is refused when the module is imported.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

from stackcheck._exceptions import ErrorReason
from stackcheck.catalog.spec import CheckSpec
from stackcheck.scan.context import Planned, ScanContext
from stackcheck.scan.findings import ToolOutcome
from stackcheck.scan.runner import JobResult
from stackcheck.scan.toolcache import ToolSpec

__all__ = ["Scanner", "ScannerName"]


class ScannerName(StrEnum):
    """Every scanner of the stage: the name reports, ``tool:RULE`` waivers and ``$STACKCHECK_<TOOL>`` use."""

    CHECKOV = "checkov"
    BANDIT = "bandit"
    DETECT_SECRETS = "detect-secrets"
    TRIVY = "trivy"
    ACTIONLINT = "actionlint"


@dataclass(frozen=True)
class Scanner:
    """One scanner: what it is, what it decides, and its two hooks (what to run, how to read the output).

    ``cost`` ranks scanners by how long they take here (higher starts first). ``parallel``: the tool
    spreads its own work over the cores it is given (detect-secrets ``--cores``); such a scanner starts
    after the single-core ones, on every core (the engine's scheduling policy, :mod:`stackcheck.scan.engine`).
    ``plan`` may raise :class:`~stackcheck._exceptions.CouldNotCheck`
    (e.g. the tool is not installed); ``parse`` returns one outcome per check and subject it decided.
    """

    name: ScannerName
    tool: ToolSpec
    checks: tuple[CheckSpec, ...]
    cost: int
    plan: Callable[[ScanContext], list[Planned]]
    parse: Callable[[ScanContext, Planned, JobResult], list[ToolOutcome]]
    parallel: bool = False

    def __post_init__(self) -> None:
        if self.tool.name != self.name:
            raise ValueError(f"scanner {self.name}: its tool is named '{self.tool.name}', not '{self.name}'")
        if not self.checks:
            raise ValueError(f"scanner {self.name} decides no check")

    def unplanned(self, error: str, reason: ErrorReason = ErrorReason.TOOL_FAILED) -> list[Planned]:
        """Every check of this scanner as ``error`` (it could not be planned at all, e.g. not installed)."""
        return [
            Planned(c, None, outcome=ToolOutcome(self.name, c, None, error=error, error_reason=reason))
            for c in self.checks
        ]
