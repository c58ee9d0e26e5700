"""Suites use one testing surface: stackcheck.testing, the catalog and the probes, nothing private."""

from __future__ import annotations

import ast

import pytest

from conftest import REPO_ROOT

ALLOWED = ("stackcheck.testing", "stackcheck.catalog", "stackcheck.probes")
SUITE_FILES = sorted((REPO_ROOT / "suites").glob("*/test_*.py"))


@pytest.mark.parametrize("path", SUITE_FILES, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_a_suite_imports_only_the_testing_surface(path: object) -> None:
    tree = ast.parse(path.read_text(encoding="utf-8"))  # type: ignore[attr-defined]
    imported = [n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)]
    imported += [a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names]
    wrong = [m for m in imported if m.startswith("stackcheck") and not m.startswith(ALLOWED)]
    assert not wrong, f"{path} imports {wrong}: import them from stackcheck.testing"


READERS = {"cli.py", "plugin.py", "settings.py"}  # the only modules that read the process environment


def test_nothing_below_the_cli_and_the_plugin_reads_the_environment() -> None:
    package = REPO_ROOT / "src" / "stackcheck"
    offenders = [
        str(path.relative_to(REPO_ROOT))
        for path in [*package.rglob("*.py"), *(REPO_ROOT / "suites").rglob("*.py")]
        if path.name not in READERS or path.parent != package
        if any(word in path.read_text(encoding="utf-8") for word in ("os.environ", "os.getenv", "getenv("))
    ]
    assert not offenders, f"read the environment (take a Settings instead): {offenders}"
