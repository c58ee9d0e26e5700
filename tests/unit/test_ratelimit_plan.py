"""Several rate limits in one profile: the model, and the plan the suite follows (keys, caps, masking)."""

from __future__ import annotations

from pathlib import Path

import pytest

from stackcheck import UsageError
from stackcheck.probes.ratelimit_plan import plan_limits
from stackcheck.profile import load_profile
from stackcheck.profile.messages import describe_error
from stackcheck.profile.models import Profile, RateLimitSection
from stackcheck.profile.schema import render_profile_reference
from stackcheck.report.publish import run_redactor

ISSUE_EXAMPLE = """\
name: team
rate_limit:
  name: api-key
  requests: 1000
  per_seconds: 3600
  scope: header
  header: X-API-Key
  key_values: ["${TEAM_KEY_1}", literal-test-key-2]
  path: /api/v1/items
  also:
    - {name: login, requests: 5, per_seconds: 60, path: /auth/login, method: POST}
"""


def section(**keys: object) -> RateLimitSection:
    return RateLimitSection.model_validate({"requests": 10, **keys})


def test_the_issue_example_reads_as_two_limits_of_one_model(tmp_path: Path) -> None:
    path = tmp_path / "team.yaml"
    path.write_text(ISSUE_EXAMPLE)
    limits = load_profile(path).profile.rate_limit
    assert limits is not None
    assert [(key, lim.label, lim.describe()) for key, lim in limits.limits()] == [
        ("rate_limit", "api-key", "1000 per 3600 s per X-API-Key on GET /api/v1/items"),
        ("rate_limit.also[0]", "login", "5 per 60 s per IP on POST /auth/login"),
    ]


@pytest.mark.parametrize(
    ("keys", "message"),
    [
        ({"scope": "header"}, "scope: header needs `header`"),
        ({"header": "X-API-Key"}, "`header` and `key_values` belong to scope: header"),
        ({"scope": "header", "header": "X API Key"}, "should match pattern"),
        ({"also": [{"requests": 5}]}, "rate_limit and rate_limit.also[0] are both called '/'"),
        ({"scope": "header", "header": "X-Key", "key_values": ["a", "b", "c"]}, "at most 2"),
        ({"max_requests": 6000}, "5000"),
    ],
)
def test_limit_mistakes_are_one_sentence_naming_the_fix(keys: dict[str, object], message: str) -> None:
    from pydantic import ValidationError

    with pytest.raises(ValidationError) as info:
        section(**keys)
    assert message in describe_error(info.value.errors()[0]) or message in str(info.value)


def test_a_profile_error_inside_also_names_its_key_and_line(tmp_path: Path) -> None:
    path = tmp_path / "p.yaml"
    path.write_text("name: x\nrate_limit:\n  requests: 5\n  also:\n    - {requests: 0, path: /login}\n")
    with pytest.raises(UsageError) as info:
        load_profile(path)
    assert str(info.value).endswith("p.yaml:5:8 rate_limit.also[0].requests: must be greater than 0 (got 0)")


def test_keyed_limits_send_the_profiles_keys_or_generated_ones() -> None:
    limits = section(
        scope="header",
        header="X-API-Key",
        key_values=["${K1}"],
        path="/api",
        also=[{"requests": 3, "path": "/other", "scope": "header", "header": "X-Tenant"}],
    )
    first, second = plan_limits(limits, {"K1": "team-key-1"})
    assert first.key_values[0] == "team-key-1" and first.key_values[1].startswith("stackcheck-probe-2-")
    assert first.headers(1) == {"X-API-Key": first.key_values[1]}
    assert first.headers(0, {"X-Forwarded-For": "203.0.113.1"}) == {
        "X-Forwarded-For": "203.0.113.1",
        "X-API-Key": "team-key-1",
    }
    assert all(v.startswith("stackcheck-probe-") for v in second.key_values)
    assert first.key_name(1) == "X-API-Key #2" and second.headers(0).keys() == {"X-Tenant"}
    # Generated values are fresh per run: a budget spent by the last run is not this run's.
    assert plan_limits(limits, {"K1": "k"})[1].key_values != second.key_values
    with pytest.raises(UsageError, match=r"rate_limit.key_values uses an environment variable"):
        plan_limits(limits, {})


def test_unkeyed_limits_send_no_header() -> None:
    (only,) = plan_limits(section(), {})
    assert only.key_values == () and only.headers(0) == {} and only.skip is None


def test_a_limit_above_its_request_cap_is_planned_as_skipped_naming_the_key() -> None:
    limits = section(also=[{"requests": 1200, "path": "/export"}])
    main, export = plan_limits(limits, {})
    assert main.skip is None
    assert export.skip is not None and "rate_limit.also[0].max_requests=1100: raise it to 1320" in export.skip


def test_a_looser_limit_behind_a_tighter_one_on_the_same_endpoint_is_skipped_naming_it() -> None:
    limits = section(
        requests=100,
        path="/api",
        name="per-ip",
        also=[
            {"name": "per-key", "requests": 1000, "scope": "header", "header": "X-Key", "path": "/api"},
            {"name": "writes", "requests": 500, "path": "/api", "method": "POST"},
        ],
    )
    per_ip, per_key, writes = plan_limits(limits, {})
    assert per_ip.skip is None and writes.skip is None  # another method is another endpoint
    assert per_key.skip is not None
    assert "meets rate_limit (100 per 60 s per IP on GET /api) first" in per_key.skip


def test_the_run_redactor_masks_the_teams_test_keys() -> None:
    profile = Profile.model_validate(
        {
            "name": "x",
            "rate_limit": {
                "requests": 5,
                "scope": "header",
                "header": "X-API-Key",
                "key_values": ["${K1}", "literal-test-key-2"],
            },
        }
    )
    redactor = run_redactor(profile, {"K1": "from-the-environment"})
    assert (
        redactor.text("sent from-the-environment and literal-test-key-2") == "sent [REDACTED] and [REDACTED]"
    )


def test_the_profile_reference_documents_the_keys_of_a_limit_once() -> None:
    text = render_profile_reference()
    section_text = text.split("## `rate_limit`", 1)[1].split("\n## ", 1)[0]
    for key in ("also", "scope", "header", "key_values", "max_requests", "name"):
        assert f"| `{key}` |" in section_text, key
