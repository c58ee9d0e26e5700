"""Packaged data is found one way, in a checkout and in a wheel alike."""

from __future__ import annotations

from pathlib import Path

import pytest

from stackcheck import UsageError, resources
from stackcheck.load.runner import locustfile_path

REPO = Path(__file__).resolve().parents[2]


def test_a_checkout_reads_its_data_where_it_is_edited() -> None:
    assert resources.data_path("policies/checkov") == REPO / "policies" / "checkov"
    assert resources.suites_dir() == REPO / "suites"
    assert locustfile_path() == REPO / "loadtests" / "locustfile.py"


def test_a_wheel_reads_the_copies_under_data(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(resources, "_is_checkout", lambda: False)
    package = Path(resources.__file__).resolve().parent
    assert resources.data_path("tools/trivy") == package / "_data" / "tools" / "trivy"
    assert locustfile_path() == package / "_data" / "loadtests" / "locustfile.py"


def test_unknown_suites_name_the_choices() -> None:
    assert [p.name for p in resources.resolve_suites(["health", "health"])] == ["health"]
    with pytest.raises(UsageError, match=r"unknown suite 'helth'.*choose from: health"):
        resources.resolve_suites(["helth"])


def test_a_registered_suite_without_its_folder_is_a_usage_error_not_a_silent_skip(tmp_path: Path) -> None:
    (tmp_path / "health").mkdir()
    with pytest.raises(UsageError, match=r"suite folder .*postgres is missing"):
        resources.resolve_suites(["health"], root=tmp_path)
