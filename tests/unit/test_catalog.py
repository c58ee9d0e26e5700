"""The check registry: every check is one object, implemented by one suite test, and proven able to fail.

Like checkov's passing and failing example next to each check: a check without a failing example, or with
one that does not exist, fails here. The integration tests run the examples (``defect:`` rows are derived
from the catalog in ``tests/integration/http_surface.py``; ``profile:`` rows in the data-layer tests).
"""

from __future__ import annotations

import ast
import dataclasses
import importlib.util
from pathlib import Path

import pytest

from conftest import REPO_ROOT
from fixtures.refservice.defects import parse_defect
from stackcheck.catalog import REGISTRY, SUITES, CheckSpec, Requires, SuiteName, check_profile_keys
from stackcheck.catalog.spec import STAGE_SUITES, profile_key_exists

PROFILES = REPO_ROOT / "tests" / "data" / "profiles"
STATIC_SUITES = {SuiteName.SCAN, SuiteName.SECRETS}
ALL = sorted(REGISTRY.values(), key=lambda s: s.id)


def _suite_marks() -> dict[str, list[str]]:
    """Check id → the suite tests marked with it (imported for real: the marker carries the object)."""
    marked: dict[str, list[str]] = {}
    for path in sorted((REPO_ROOT / "suites").glob("*/test_*.py")):
        spec = importlib.util.spec_from_file_location(f"_suite_{path.parent.name}_{path.stem}", path)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        for name, obj in vars(module).items():
            for mark in getattr(obj, "pytestmark", []):
                if name.startswith("test_") and mark.name == "check":
                    assert isinstance(mark.args[0], CheckSpec), f"{path}:{name} marks a string, not a spec"
                    marked.setdefault(mark.args[0].id, []).append(f"{path.parent.name}/{path.name}::{name}")
    return marked


def test_every_suite_check_is_implemented_by_exactly_one_suite_test() -> None:
    marked = _suite_marks()
    suite_checks = {spec.id for specs in SUITES.values() for spec in specs}
    assert set(marked) == suite_checks, f"checks without a suite test: {sorted(suite_checks - set(marked))}"
    twice = {k: v for k, v in marked.items() if len(v) > 1}
    assert not twice, f"checks implemented twice: {twice}"


def test_every_registered_suite_has_a_folder_and_every_folder_a_suite() -> None:
    folders = {p.name for p in (REPO_ROOT / "suites").iterdir() if p.is_dir() and not p.name.startswith("_")}
    folders.discard("__pycache__")
    assert folders == {str(s) for s in SUITES}
    assert all(s not in SUITES for s in STAGE_SUITES)


@pytest.mark.parametrize("spec", ALL, ids=lambda s: s.id)
def test_every_check_has_a_failing_example_that_exists(spec: CheckSpec) -> None:
    assert spec.fails_on, f"{spec.id} lists no failing example (fails_on): a check that cannot fail is a bug"
    assert spec.remediation, f"{spec.id} has no remediation line"
    kinds = {e.partition(":")[0] for e in spec.fails_on}
    if spec.suite in STATIC_SUITES and spec.id != "secrets.logs":
        assert kinds <= {"sample", "test"}, f"{spec.id}: a static check fails on a sample"
    for defect in spec.examples("defect"):
        parse_defect(defect)  # raises on an unknown defect or a bad argument
    for name in spec.examples("profile"):
        assert (PROFILES / name).is_file(), f"{spec.id}: profile:{name} is not in tests/data/profiles"
    for sample in spec.examples("sample"):
        assert (REPO_ROOT / sample).exists(), f"{spec.id}: sample:{sample} does not exist"
    for ref in spec.examples("test"):
        file, _, func = ref.partition("::")
        tree = ast.parse((REPO_ROOT / file).read_text(encoding="utf-8"))
        names = {n.name for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)}
        assert func in names, f"{spec.id}: test:{ref} names no test"


def test_every_check_names_only_keys_of_the_profile_model() -> None:
    check_profile_keys()  # the whole registry: raises naming each problem


def test_a_spec_naming_an_unknown_profile_key_is_caught() -> None:
    base = REGISTRY["redis.version"]
    typo = dataclasses.replace(base, requires=(Requires(keys=("redis.maxmemory_polcy",)),))
    with pytest.raises(
        ValueError, match=r"redis\.version: requires unknown profile key\(s\) redis\.maxmemory_polcy"
    ):
        check_profile_keys((typo,))
    with pytest.raises(ValueError, match="'rediss' is not a section of the profile model"):
        check_profile_keys((dataclasses.replace(base, section="rediss"),))
    with pytest.raises(ValueError, match=r"reads unknown profile key\(s\) redis\.nope"):
        check_profile_keys((dataclasses.replace(base, reads=("redis.nope",)),))
    with pytest.raises(ValueError, match="failing example"):
        dataclasses.replace(base, fails_on=("nginx:broken",))
    with pytest.raises(ValueError, match="must be dotted lowercase words"):
        dataclasses.replace(base, id="Redis")
    with pytest.raises(ValueError, match="names no profile key"):
        Requires(keys=())
    assert profile_key_exists("postgres.rls_tables") and not profile_key_exists("postgres.rls")


def test_profile_examples_break_the_checks_that_list_them() -> None:
    # The data-layer tests read their must-fail lists from here; every profile named exists once.
    named = {name for spec in ALL for name in spec.examples("profile")}
    assert named <= {p.name for p in Path(PROFILES).glob("*.yaml")}
