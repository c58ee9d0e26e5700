"""stackcheck.extras: which extra provides which package, and the one line when it is absent.

Absence is simulated at the seam Python itself offers (``sys.modules[name] = None``); the real absence is
tests/integration/test_wheel.py's (a fresh venv with the core alone).
"""

from __future__ import annotations

import subprocess
import sys
import tomllib
import types
from importlib.machinery import ModuleSpec
from pathlib import Path

import pytest
from packaging.requirements import Requirement

from stackcheck import CouldNotCheck, UsageError
from stackcheck._exceptions import ErrorReason
from stackcheck.extras import (
    EXTRAS,
    SERVICE_CLIENTS,
    extra_of,
    install_hint,
    missing,
    missing_message,
    require,
)
from stackcheck.infra.select import choose_provider, preflight
from stackcheck.profile.models import Profile
from stackcheck.settings import Settings

REPO = Path(__file__).resolve().parents[2]
HEAVY = ["psycopg", "redis", "testcontainers", "docker", "sslyze", "locust", "schemathesis"]


def _pyproject() -> dict[str, list[str]]:
    with (REPO / "pyproject.toml").open("rb") as f:
        project = tomllib.load(f)["project"]
    extras: dict[str, list[str]] = project["optional-dependencies"]
    return {"core": project["dependencies"], **extras}


def test_an_absent_package_is_one_line_naming_its_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "psycopg", None)
    line = missing("psycopg")
    assert line == (
        "the data layer needs psycopg: pip install 'stackcheck[data]'"
        " (or from a checkout: pip install '.[data]')"
    )
    assert missing("psycopg.rows") == line  # a submodule names its package
    with pytest.raises(CouldNotCheck) as raised:
        require("httpx", "psycopg")
    assert raised.value.reason is ErrorReason.TOOL_MISSING and str(raised.value) == line


def test_a_folder_named_like_the_package_is_not_the_package(monkeypatch: pytest.MonkeyPatch) -> None:
    # A run puts suites/ on sys.path: without redis-py, `import redis` finds the folder suites/redis.
    folder = types.ModuleType("redis")
    folder.__spec__ = ModuleSpec("redis", None, is_package=True)
    monkeypatch.setitem(sys.modules, "redis", folder)
    assert missing("redis") == missing_message("redis")


def test_a_present_package_is_not_missing() -> None:
    assert missing("httpx") is None and missing("pytest") is None
    require("httpx")  # no exception


def test_extra_of_finds_the_absent_extra_behind_an_import_error() -> None:
    wrapped = RuntimeError("ImportError while importing test module")
    wrapped.__cause__ = ModuleNotFoundError("No module named 'redis'", name="redis")
    assert extra_of(wrapped) == missing_message("redis")
    assert "stackcheck[data]" in (extra_of(ModuleNotFoundError("x", name="docker.errors")) or "")
    assert extra_of(ModuleNotFoundError("No module named 'acme'", name="acme")) is None
    assert extra_of(ValueError("no import at all")) is None


def test_the_extras_named_here_are_the_extras_of_the_distribution() -> None:
    declared = _pyproject()
    packages = {
        Requirement(req).name.lower(): extra
        for extra, reqs in declared.items()
        if extra not in ("core", "all")
        for req in reqs
    }
    for module, (extra, _) in EXTRAS.items():
        assert packages.get(module) == extra, f"{module}: pyproject says {packages.get(module)}, not {extra}"
    assert {Requirement(r).name for r in declared["core"]}.isdisjoint(EXTRAS)  # the core stays light
    (everything,) = declared["all"]
    assert Requirement(everything).extras == {e for e in declared if e not in ("core", "all")}
    assert set(SERVICE_CLIENTS.values()) <= set(EXTRAS)
    assert install_hint("tls") == "pip install 'stackcheck[tls]' (or from a checkout: pip install '.[tls]')"


def test_importing_the_cli_plugin_and_catalog_loads_no_extra() -> None:
    code = (
        "import sys; import stackcheck.cli, stackcheck.plugin, stackcheck.catalog, stackcheck.pytest_entry,"
        " stackcheck.service_fixtures, stackcheck.testing, stackcheck.absent_extras, stackcheck.infra;"
        f" print([m for m in {HEAVY!r} if m in sys.modules])"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, check=True, timeout=120, capture_output=True, text=True
    )
    assert out.stdout.strip() == "[]", out.stdout + out.stderr


def test_the_docker_provider_asked_for_without_its_extra_is_a_usage_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "docker", None)
    profile = Profile.model_validate({"name": "p", "postgres": {"version": ">=15"}})
    with pytest.raises(UsageError, match=r"^--infra docker: the docker provider needs docker: pip install"):
        choose_provider(Settings.from_environ(infra="docker", environ={}), profile, ["postgres"])


def test_without_the_data_clients_auto_chooses_no_provider(monkeypatch: pytest.MonkeyPatch) -> None:
    # Nothing will start without psycopg: the checks end as `error` naming the extra, no exit 2 up front.
    monkeypatch.setitem(sys.modules, "psycopg", None)
    monkeypatch.setitem(sys.modules, "docker", None)
    monkeypatch.setattr("stackcheck.infra.select.choose_provider", _never)
    profile = Profile.model_validate({"name": "p", "postgres": {"version": ">=15"}})
    preflight(Settings.from_environ(infra="auto", environ={}), profile, ["postgres"], None)


def _never(*args: object) -> None:
    raise AssertionError("choose_provider must not be asked")
