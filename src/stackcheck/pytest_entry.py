"""stackcheck's pytest entry point (``pytest11``): its options, and nothing else unless one is given.

Installed next to any project, stackcheck must not change that project's pytest runs: this module only
declares the options, each prefixed ``--stackcheck-`` (so none can collide with another plugin's
``--profile``), and imports the plugin proper (:mod:`stackcheck.plugin`: hooks, the ``check`` marker,
the fixtures; :mod:`stackcheck.service_fixtures`: the run's servers) only when ``--stackcheck-profile`` is
given. ``stackcheck verify`` passes it; by hand::

    pytest suites/health --stackcheck-profile policies/profiles/demo.yaml --stackcheck-target URL
"""

from __future__ import annotations

import pytest

from stackcheck.settings import add_options

__all__ = ["ACTIVATING_OPTION"]

ACTIVATING_OPTION = "--stackcheck-profile"


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("stackcheck", f"stackcheck verification (inactive unless {ACTIVATING_OPTION})")
    add_options(group.addoption, prefixed=True)  # the options of `stackcheck verify`, prefixed
    group.addoption(
        "--stackcheck-progress",
        action="store_true",
        default=False,
        help="Print one line per check as it finishes (used by the stackcheck CLI).",
    )


@pytest.hookimpl(tryfirst=True)
def pytest_configure(config: pytest.Config) -> None:
    if config.getoption("stackcheck_profile", None):
        from stackcheck import absent_extras, plugin, service_fixtures

        config.pluginmanager.register(plugin, "stackcheck-run")
        config.pluginmanager.register(service_fixtures, "stackcheck-services")
        config.pluginmanager.register(absent_extras, "stackcheck-absent-extras")
