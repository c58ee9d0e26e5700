"""The registry of the scan stage: every scanner, one line each. Adding a scanner: a module, a line here.

The engine plans and runs what is listed here; ``python -m stackcheck.scan.tools`` and
``stackcheck scan --install-tools`` install what is listed here. Importing this module checks the registry
against :class:`~stackcheck.scan.scanner.ScannerName`, so a scanner named but not registered (or filed
under another name) is an import error, not a ``KeyError`` in the middle of a run.
"""

from __future__ import annotations

from stackcheck.catalog.spec import CheckSpec
from stackcheck.scan import actionlint, bandit, checkov, secrets, trivy
from stackcheck.scan.scanner import Scanner, ScannerName

__all__ = ["SCANNERS", "decided_checks"]

SCANNERS: dict[ScannerName, Scanner] = {
    ScannerName.CHECKOV: checkov.SCANNER,
    ScannerName.BANDIT: bandit.SCANNER,
    ScannerName.DETECT_SECRETS: secrets.SCANNER,
    ScannerName.TRIVY: trivy.SCANNER,
    ScannerName.ACTIONLINT: actionlint.SCANNER,
}


def _check_registry() -> None:
    misfiled = [f"{key} → {s.name}" for key, s in SCANNERS.items() if key is not s.name]
    missing = [str(name) for name in ScannerName if name not in SCANNERS]
    if misfiled or missing:
        raise ImportError(f"scan registry: misfiled {misfiled or 'none'}, unregistered {missing or 'none'}")


_check_registry()


def decided_checks() -> tuple[CheckSpec, ...]:
    """Every check a scanner decides, in registry order."""
    return tuple(check for scanner in SCANNERS.values() for check in scanner.checks)
