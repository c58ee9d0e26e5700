"""The wheel carries everything the code reads at run time, under ``stackcheck/_data/``."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.integration

# Each entry: a file that must be in the wheel (what resources.data_path(...) looks up from an install).
PACKAGED = [
    "suites/pytest.ini",
    "suites/conftest.py",
    "suites/health/test_health.py",
    "loadtests/locustfile.py",
    "policies/checkov/terraform_region_allowed.py",
    "policies/checkov/stackcheck_stages.py",
    "tools/trivy/go.mod",
    "tools/trivy/go.sum",
    "tools/trivydb/main.go",
    "tools/toxiproxy/go.mod",
    "tools/toxiproxy/go.sum",
    "suites/drills/test_breaker.py",
    "fixtures/vulndb/advisories/debian.yaml",
]


@pytest.fixture(scope="module")
def wheel_files(built_wheel: Path) -> set[str]:
    with zipfile.ZipFile(built_wheel) as archive:
        return set(archive.namelist())


@pytest.mark.parametrize("relative", PACKAGED)
def test_the_wheel_carries_packaged_data(wheel_files: set[str], relative: str) -> None:
    assert f"stackcheck/_data/{relative}" in wheel_files


def test_every_suite_folder_and_checkov_policy_is_packaged(wheel_files: set[str]) -> None:
    suites = [p for p in (REPO / "suites").iterdir() if p.is_dir() and not p.name.startswith("__")]
    policies = [p for p in (REPO / "policies" / "checkov").iterdir() if p.suffix in (".py", ".yaml")]
    expected = [f"suites/{p.name}/{t.name}" for p in suites for t in p.glob("*.py")]
    expected += [f"policies/checkov/{p.name}" for p in policies]
    missing = [e for e in expected if f"stackcheck/_data/{e}" not in wheel_files]
    assert missing == [], f"not in the wheel: {missing}"
    assert not [f for f in wheel_files if "__pycache__" in f or f.endswith(".pyc")]
    assert "stackcheck/resources.py" in wheel_files and "stackcheck/py.typed" in wheel_files
