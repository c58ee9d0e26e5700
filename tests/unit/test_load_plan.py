"""The load plan: profile (with --set) → the bounded test every Locust process runs."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from stackcheck import UsageError
from stackcheck.load.plan import IN_FLIGHT_PER_USER, LoadPlan, build_plan
from stackcheck.profile import load_profile
from stackcheck.profile.models import Profile


def profile(**sections: object) -> Profile:
    return Profile.model_validate({"name": "p", **sections})


def plan_of(p: Profile, workers: int = 2) -> LoadPlan:
    return build_plan(p, "http://127.0.0.1:8080/", workers=workers, stats_path="/tmp/s.json")


def test_defaults_request_the_health_endpoints_paced_at_one_request_per_user_per_second() -> None:
    plan = plan_of(profile(health={"live": "/health/live", "ready": "/health/ready"}, slo={"p95_ms": 200}))
    assert [(e.name, e.weight) for e in plan.endpoints] == [("GET /health/live", 1), ("GET /health/ready", 1)]
    assert plan.model == "paced" and plan.target_rps == 50.0 and plan.users == 50
    assert plan.target == "http://127.0.0.1:8080" and plan.pacing_interval_s == 1.0


def test_without_health_endpoints_the_root_is_requested() -> None:
    assert [e.path for e in plan_of(profile(slo={"p95_ms": 200})).endpoints] == ["/"]


def test_paced_rate_offers_twenty_percent_more_than_the_promised_throughput() -> None:
    assert plan_of(profile(slo={"rps": 40})).target_rps == 48.0


def test_weighted_endpoints_are_grouped_under_their_names() -> None:
    plan = plan_of(
        profile(
            slo={"p95_ms": 200},
            load={
                "endpoints": [
                    {"path": "/api/v1/items?limit=10", "weight": 9},
                    {"path": "/api/v1/items/1", "name": "item", "expect_status": [200, 404]},
                ]
            },
        )
    )
    assert [(e.name, e.weight, e.expect_status) for e in plan.endpoints] == [
        ("GET /api/v1/items", 9, ()),
        ("item", 1, (200, 404)),
    ]


def test_an_offered_rate_below_the_promised_throughput_is_refused() -> None:
    with pytest.raises(UsageError, match=r"load.target_rps 10 is below slo.rps 40"):
        plan_of(profile(slo={"rps": 40}, load={"target_rps": 10}))


def test_a_ramp_longer_than_the_run_is_refused() -> None:
    with pytest.raises(UsageError, match=r"starting 100 users at 5/s takes 20 s"):
        plan_of(profile(slo={"p95_ms": 1}, load={"users": 100, "spawn_rate": 5, "duration_s": 10}))


def test_a_profile_without_load_or_slo_is_refused() -> None:
    with pytest.raises(UsageError, match="neither a load: nor an slo: section"):
        plan_of(profile())


def test_bounds_every_process_obeys() -> None:
    plan = plan_of(profile(slo={"p95_ms": 1}, load={"users": 7, "duration_s": 20, "max_requests": 100}))
    assert plan.requests_per_user == 15  # ceil(100 / 7): the bound holds however users are spread
    assert plan.in_flight_cap == 7 * IN_FLIGHT_PER_USER
    assert 20 < plan.deadline_s < 200 and {95.0, 99.0} <= set(plan.percentiles)


def test_the_plan_round_trips_through_json() -> None:
    plan = plan_of(profile(slo={"p95_ms": 200, "rps": 10}))
    assert type(plan).model_validate_json(plan.model_dump_json(by_alias=True)) == plan


@pytest.mark.parametrize(
    ("key", "value", "message"),
    [
        ("load.users", "0", "greater than 0"),
        ("load.duration_s", "7200", "must be at most 3600"),
        ("load.model", "open", "'paced' or 'closed'"),
        ("load.endpoints", "[{path: /x, method: DELETE}]", "'OPTIONS', 'POST', 'PUT' or 'PATCH'"),
        (
            "load.endpoints",
            "[{path: /x, method: POST}]",
            r"POST /x \(endpoints\[0\]\) changes data .*allow_writes",
        ),
    ],
)
def test_the_model_bounds_users_duration_and_methods(
    tmp_path: Path, key: str, value: str, message: str
) -> None:
    path = tmp_path / "p.yaml"
    path.write_text("name: p\nslo: {p95_ms: 200}\nload: {users: 5}\n")
    with pytest.raises(UsageError, match=message):
        load_profile(path, [f"{key}={value}"])


def test_set_overrides_reach_the_plan(tmp_path: Path) -> None:
    path = tmp_path / "p.yaml"
    path.write_text("name: p\nslo: {p95_ms: 200}\nload: {users: 5, spawn_rate: 5, duration_s: 10}\n")
    loaded = load_profile(path, ["load.users=20", "load.spawn_rate=20", "slo.rps=30"])
    plan = plan_of(loaded.profile)
    assert plan.users == 20 and plan.target_rps == 36.0


def test_the_load_package_never_imports_locust() -> None:
    # Locust monkey-patches the process it is imported in (gevent): the harness and suites must never.
    import stackcheck.load.command
    import stackcheck.load.runner  # noqa: F401

    assert "locust" not in sys.modules and "gevent" not in sys.modules
