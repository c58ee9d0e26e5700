"""Which services a run needs: one pure decision, shared by the CLI's preflight and the suites' session."""

from __future__ import annotations

from typing import Any

import pytest

from stackcheck.infra import needed_services
from stackcheck.infra.select import launch_needs
from stackcheck.profile.models import Profile

WIRED = {"command": ["{python}", "app.py", "--db", "{postgres_dsn}"], "env": {"CACHE": "{redis_url}"}}


def _profile(**sections: Any) -> Profile:
    return Profile.model_validate({"name": "x", **sections})


def test_each_data_suite_needs_its_own_service_when_the_profile_configures_it() -> None:
    profile = _profile(postgres={})
    assert needed_services(profile, []) == ["postgres"]  # no suites given: every suite
    assert needed_services(profile, ["postgres"]) == ["postgres"]
    assert needed_services(profile, ["redis", "headers"]) == []  # no redis section, no postgres suite


def test_the_readiness_drill_needs_the_dependencies_it_interrupts() -> None:
    profile = _profile(postgres={}, redis={}, health={"ready_dependencies": ["redis"]}, service=WIRED)
    assert needed_services(profile, ["health"], "http://127.0.0.1:8080") == ["postgres", "redis"]
    drill_only = _profile(redis={}, health={"ready_dependencies": ["redis"]})
    assert needed_services(drill_only, ["health"], "http://127.0.0.1:8080") == ["redis"]
    assert needed_services(drill_only, ["headers"], "http://127.0.0.1:8080") == []


def test_a_launched_service_needs_what_its_command_is_wired_to() -> None:
    profile = _profile(postgres={}, redis={}, health={}, service=WIRED)
    assert launch_needs(profile) == {"postgres", "redis"}
    # No target URL: the health checks talk to the service stackcheck starts, so its dependencies start.
    assert needed_services(profile, ["health"], None) == ["postgres", "redis"]
    # A target URL is given: nothing is launched for the health checks.
    assert needed_services(profile, ["health"], "http://127.0.0.1:8080") == []


@pytest.mark.parametrize("section", ["postgres", "redis"])
def test_a_dependency_without_its_profile_section_is_never_started(section: str) -> None:
    other = "redis" if section == "postgres" else "postgres"
    profile = _profile(**{other: {}}, health={"ready_dependencies": [section]}, service=WIRED)
    assert needed_services(profile, ["health", section], None) == [other]


def test_nothing_is_wired_without_a_service_section() -> None:
    assert launch_needs(_profile(postgres={})) == set()


def test_a_relayed_dependency_needs_no_server_of_the_run() -> None:
    search = {"name": "search", "address": "127.0.0.1:9200"}
    profile = _profile(health={"ready_dependencies": [search]}, service=WIRED)
    assert needed_services(profile, ["health"], "http://127.0.0.1:8080") == []
    both = _profile(redis={}, health={"ready_dependencies": ["redis", search]}, service=WIRED)
    assert needed_services(both, ["health"], "http://127.0.0.1:8080") == ["redis"]


def test_the_redis_persistence_drill_needs_redis_only_where_aof_is_promised() -> None:
    assert needed_services(_profile(redis={"appendonly": True}), ["drills"]) == ["redis"]
    # Cache only (appendonly: false) or no promise: the drill is skipped, so no server starts for it.
    assert needed_services(_profile(redis={"appendonly": False}), ["drills"]) == []
    assert needed_services(_profile(redis={}), ["drills"]) == []


def test_the_sigterm_drill_launches_the_service_even_with_a_target_url() -> None:
    drained = {**WIRED, "drain_path": "/work"}
    target = "http://127.0.0.1:8080"
    assert needed_services(_profile(postgres={}, redis={}, service=drained), ["drills"], target) == [
        "postgres",
        "redis",
    ]
    # No drain_path: the drill is skipped, nothing is launched for it.
    assert needed_services(_profile(postgres={}, redis={}, service=WIRED), ["drills"], target) == []


def test_the_resilience_drills_need_what_the_service_is_wired_to_even_with_a_target() -> None:
    resilience = {"dependency_timeout_ms": 1000, "breaker_failures": 5, "breaker_open_s": 30}
    profile = _profile(postgres={}, redis={}, service=WIRED, resilience=resilience)
    # The drills launch the service themselves, behind toxiproxy, whatever --target says.
    assert needed_services(profile, ["drills"], "http://127.0.0.1:8080") == ["postgres", "redis"]
    assert needed_services(_profile(postgres={}, service=WIRED), ["drills"], "http://127.0.0.1:8080") == []
