"""Suite modules that cannot be imported because an extra is absent (:mod:`stackcheck.extras`).

A built-in suite module that imports psycopg or redis at its top (the data-layer suites, the restore and
persistence drills) cannot even be collected when the ``data`` extra is not installed. That is no broken
suite: its checks end as they would have — ``skipped`` when the profile does not ask for them (the
plugin's usual skip), else ``error`` (``tool_missing``) with the one line naming the extra — and every
other suite runs. A team's module (``--suite-dir``) is the team's code: it stays a load error (exit 2),
whose line names the extra to install.

Registered with :mod:`stackcheck.plugin` in an active run (:mod:`stackcheck.pytest_entry`).
"""

from __future__ import annotations

import ast
import importlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from stackcheck._exceptions import CouldNotCheck, ErrorReason
from stackcheck.catalog import SUITES, CheckSpec, SuiteName
from stackcheck.extras import extra_of
from stackcheck.plugin import check_spec
from stackcheck.resources import suites_dir

__all__ = ["AbsentExtraCheck", "SuiteModule"]


@dataclass
class _Absent:
    """The built-in suite modules of this run that an absent extra kept from loading."""

    # (the module, its suite, the line naming the extra, the checks its source marks its tests with)
    modules: list[tuple[pytest.Module, str, str, tuple[CheckSpec, ...]]] = field(default_factory=list)


_ABSENT = pytest.StashKey[_Absent]()


def _builtin_suite(path: Path) -> str | None:
    """The built-in suite ``path`` (a test module) belongs to, or ``None`` (a team's module)."""
    try:
        root = suites_dir().resolve()
    except OSError:
        return None
    parent = path.resolve().parent
    return parent.name if parent.parent == root and parent.name in SUITES else None


def marked_checks(path: Path) -> tuple[CheckSpec, ...]:
    """The checks a suite module marks its tests with, read from its source without importing it: the
    suites import a catalog module (``from stackcheck.catalog import backup as checks``) and mark each
    test with one of its specs (``@pytest.mark.check(checks.RESTORE)``)."""
    try:
        tree = ast.parse(path.read_text(encoding="utf-8"))
    except (OSError, SyntaxError, ValueError):
        return ()
    catalogs = {
        alias.asname or alias.name: alias.name
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom) and node.module == "stackcheck.catalog"
        for alias in node.names
    }
    found: dict[str, CheckSpec] = {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id in catalogs:
            module = importlib.import_module(f"stackcheck.catalog.{catalogs[node.value.id]}")
            spec = getattr(module, node.attr, None)
            if isinstance(spec, CheckSpec):
                found.setdefault(spec.id, spec)
    return tuple(found.values())


class SuiteModule(pytest.Module):
    """A suite's test module whose import may need an absent extra."""

    def collect(self) -> list[pytest.Item | pytest.Collector]:
        """The module's tests; nothing (and the suite noted) when an absent extra kept it from loading."""
        try:
            return list(super().collect())
        except self.CollectError as exc:
            message = extra_of(exc)
            if message is None:
                raise
            suite = _builtin_suite(self.path)
            if suite is None:  # the team's module: a load error whose line says what to install
                raise self.CollectError(message) from None
            checks = marked_checks(self.path) or tuple(SUITES[SuiteName(suite)])  # unreadable: the suite's
            self.config.stash.setdefault(_ABSENT, _Absent()).modules.append((self, suite, message, checks))
            return []


class AbsentExtraCheck(pytest.Item):
    """A check of a suite module that could not be loaded: ``error`` with the extra's line when it runs."""

    def __init__(self, *, spec: CheckSpec, message: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.spec = spec
        self.message = message
        self.add_marker(pytest.mark.check(spec))

    def runtest(self) -> None:
        """Could not check: the extra is absent (a check the profile does not ask for was skipped)."""
        raise CouldNotCheck(self.message, ErrorReason.TOOL_MISSING)

    def reportinfo(self) -> tuple[Path, int | None, str]:
        """Where the check lives, for pytest's own report lines."""
        return self.path, None, self.spec.id

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> str:
        """The one line, never a traceback."""
        return self.message


def pytest_pycollect_makemodule(module_path: Path, parent: pytest.Collector) -> pytest.Module | None:
    """Every test module of the run is a :class:`SuiteModule`."""
    if module_path.name == "__init__.py":
        return None  # a package's __init__ stays pytest's
    return SuiteModule.from_parent(parent, path=module_path)


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """One item per check of a module that could not be loaded (the checks its source marks that no loaded
    module implements), so each ends in the report as the profile says: skipped, or ``error``."""
    absent = config.stash.get(_ABSENT, None)
    if absent is None:
        return
    done = {spec.id for item in items if (spec := check_spec(item)) is not None}
    for module, suite, message, checks in absent.modules:
        for spec in checks:
            if spec.id not in done and spec.suite == suite:
                items.append(AbsentExtraCheck.from_parent(module, name=spec.id, spec=spec, message=message))
                done.add(spec.id)
