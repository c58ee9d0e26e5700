"""Where stackcheck's packaged data lives (suites, load tests, custom policies, tool recipes), and which
suites exist. One lookup for a source checkout and an installed wheel alike.

In a checkout (editable install) the data is read where it is edited (``suites/``, ``policies/checkov/``,
``tools/trivy/``...); a wheel carries copies under ``stackcheck/_data/`` (see ``pyproject.toml``).
"""

from __future__ import annotations

from pathlib import Path

from stackcheck._exceptions import UsageError
from stackcheck.catalog import SUITES
from stackcheck.suggest import did_you_mean

__all__ = ["data_path", "resolve_suites", "suites_dir"]

_PACKAGE = Path(__file__).resolve().parent
_CHECKOUT = _PACKAGE.parents[1]  # src/stackcheck -> the repository root, when installed editable


def _is_checkout() -> bool:
    return (_CHECKOUT / "pyproject.toml").is_file() and (_CHECKOUT / "suites" / "pytest.ini").is_file()


def data_path(relative: str) -> Path:
    """``relative`` (``policies/checkov``, ``tools/trivy``, ``loadtests/locustfile.py``) in the checkout,
    else in the wheel's ``_data`` copy. The path may not exist: callers say what is missing."""
    if _is_checkout():
        return _CHECKOUT / relative
    return _PACKAGE / "_data" / relative


def suites_dir() -> Path:
    """``suites/`` of a source checkout (editable install), else the copy packaged in the wheel."""
    return data_path("suites")


def resolve_suites(names: list[str] | None, root: Path | None = None) -> list[Path]:
    """The folders of the named suites (all registered suites when ``names`` is empty)."""
    base = root or suites_dir()
    missing = [str(name) for name in SUITES if not (base / name).is_dir()]
    if missing:  # a registered suite without its folder is a broken installation, never a silent skip
        raise UsageError(
            f"suite folder {base / missing[0]} is missing (registered suites: {', '.join(map(str, SUITES))})",
            "reinstall stackcheck, or point at a complete checkout",
        )
    available = [str(name) for name in SUITES]
    chosen = names or available
    unknown = [n for n in chosen if n not in available]
    if unknown:
        raise UsageError(
            f"unknown suite {unknown[0]!r}{did_you_mean(unknown[0], [*available, 'team'])}",
            f"choose from: {', '.join(available)}, team (--suite NAME, repeatable)",
        )
    return [base / name for name in dict.fromkeys(chosen)]
