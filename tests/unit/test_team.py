"""A team's own checks: declaring one, the run's registry, the suite folders, the claims a check names."""

from __future__ import annotations

import inspect
from pathlib import Path

import pytest

import stackcheck.testing
from stackcheck import UsageError
from stackcheck.catalog import REGISTRY, Severity, SuiteName
from stackcheck.profile import Profile
from stackcheck.team import (
    TeamCheck,
    TeamCheckError,
    TeamRegistry,
    check,
    claim_problem,
    link_claims,
    module_clash,
    reserved_namespaces,
    select_suites,
    suite_folders,
)

HERE = f"{Path(__file__).name}"


def test_a_declared_check_is_a_check_spec_of_the_team_suite() -> None:
    line = inspect.currentframe().f_lineno + 1  # type: ignore[union-attr]
    spec = check(
        "acme.orders_paginated",
        title="GET /orders pages its answer",
        severity="medium",
        controls="OWASP-ASVS:13.2.1",  # one control given as a string is one control, not 17
        remediation="cap the page size",
        claims=["adr-7-paging"],
    )
    assert isinstance(spec, TeamCheck) and spec.suite is SuiteName.TEAM and spec.severity is Severity.MEDIUM
    assert spec.controls == ("OWASP-ASVS:13.2.1",) and spec.claim_ids == ("adr-7-paging",)
    assert spec.section == "" and spec.defined_at.endswith(f"{HERE}:{line}")
    assert stackcheck.testing.check is check  # the documented public spelling


def test_declaring_registers_nothing() -> None:
    # No self-registration: the catalog is what it was, and a registry is filled only by a run's plugin.
    before = dict(REGISTRY)
    check("acme.never_run", title="t", severity="low")
    assert before == REGISTRY and "acme.never_run" not in REGISTRY


def test_the_decorator_marks_the_test_with_the_spec() -> None:
    spec = check("acme.x", title="t", severity="low")

    @spec
    def test_x() -> None: ...

    (mark,) = test_x.pytestmark  # type: ignore[attr-defined]
    assert mark.name == "check" and mark.args == (spec,)


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"check_id": "Orders"}, "check id 'Orders' must be dotted lowercase words"),
        ({"check_id": "orders"}, "check id 'orders' must be dotted lowercase words"),
        ({"check_id": "health.mine"}, "'health.mine' is in stackcheck's namespace 'health'"),
        (
            {"check_id": "pg.mine"},
            "in stackcheck's namespace 'pg' (start it with your team's own name, e.g. acme.mine)",
        ),
        ({"check_id": "drill.mine"}, "in stackcheck's namespace 'drill'"),
        ({"title": " "}, "check 'acme.x' needs a title"),
        ({"severity": "urgent"}, "severity 'urgent' is not one of critical, high, medium, low, info"),
        ({"section": "nope"}, "check 'acme.x': section 'nope' is not a profile section"),
        ({"controls": ["SOC2:CC7.1", ""]}, "controls must be non-empty strings, got ''"),
    ],
)
def test_a_wrong_declaration_is_one_line_naming_where(kwargs: dict[str, str], message: str) -> None:
    args = {"check_id": "acme.x", "title": "t", "severity": "low", **kwargs}
    with pytest.raises(TeamCheckError) as raised:
        check(args.pop("check_id"), **args)  # type: ignore[arg-type]
    text = str(raised.value)
    assert message in text and "\n" not in text and f"{HERE}:" in text  # this call's file and line


def test_a_team_check_built_by_hand_cannot_take_a_built_in_namespace() -> None:
    with pytest.raises(ValueError, match=r"check id 'health\.live' is in stackcheck's namespace 'health'"):
        TeamCheck(id="health.live", title="t", severity=Severity.LOW)


def test_every_built_in_prefix_and_suite_name_is_reserved() -> None:
    reserved = reserved_namespaces()
    assert {i.split(".")[0] for i in REGISTRY} <= reserved
    assert {s.value for s in SuiteName} <= reserved and "acme" not in reserved


def test_the_registry_keeps_one_declaration_per_id() -> None:
    registry = TeamRegistry()
    first = check("acme.one", title="t", severity="low")
    registry.register(first)
    registry.register(first)  # the same declaration again: a parametrized test, a shared constant
    assert (
        registry.specs() == (first,) and registry.ids() == {"acme.one"} and registry.get("acme.one") is first
    )
    second = check("acme.one", title="t", severity="low")
    with pytest.raises(TeamCheckError, match=r"'acme.one' is declared twice: at .*:\d+ and at .*:\d+"):
        registry.register(second)


def test_claims_a_check_names_must_be_the_profile_s_and_not_manual() -> None:
    profile = Profile.model_validate(
        {
            "name": "p",
            "claims": [
                {"id": "c-1", "text": "Fresh.", "source": "adr.md:1", "verified_by": ["acme.other"]},
                {"id": "c-2", "text": "Cheap.", "source": "adr.md:2", "manual": "a bill"},
            ],
        }
    )
    good = check("acme.fresh", title="t", severity="low", claims=["c-1"])
    assert claim_problem([good], profile, "p.yaml") is None
    linked = link_claims(profile, [good])
    assert linked.claims[0].verified_by == ["acme.other", "acme.fresh"] and profile.claims[0].verified_by == [
        "acme.other"
    ]
    unknown = check("acme.x", title="t", severity="low", claims=["c-9"])
    assert "verifies claim 'c-9', but p.yaml lists no claim with that id (claims[].id: c-1, c-2)" in str(
        claim_problem([unknown], profile, "p.yaml")
    )
    manual = check("acme.y", title="t", severity="low", claims=["c-2"])
    assert "which p.yaml marks manual" in str(claim_problem([manual], profile, "p.yaml"))


def test_suite_folders_come_from_the_option_and_the_profile(tmp_path: Path) -> None:
    (tmp_path / "checks").mkdir()
    (tmp_path / "more").mkdir()
    profile = tmp_path / "p.yaml"
    found = suite_folders([str(tmp_path / "more")], ["./checks", "checks"], profile)
    assert found == [(tmp_path / "more").resolve(), (tmp_path / "checks").resolve()]
    with pytest.raises(UsageError, match=r"p\.yaml suite_dirs\[0\]: nope: .* is not a folder"):
        suite_folders([], ["nope"], profile)
    with pytest.raises(UsageError, match="--suite-dir missing: missing is not a folder"):
        suite_folders(["missing"], [], profile)


def test_suite_team_selects_only_the_team_s_folders(tmp_path: Path) -> None:
    (tmp_path / "checks").mkdir()
    profile = tmp_path / "p.yaml"
    builtin, team = select_suites(["team"], [], ["checks"], profile)
    assert builtin == [] and team == [(tmp_path / "checks").resolve()]
    builtin, team = select_suites(
        ["health"], [], ["checks"], profile
    )  # --suite without team: not the profile's
    assert [p.name for p in builtin] == ["health"] and team == []
    builtin, team = select_suites([], [], ["checks"], profile)
    assert len(builtin) > 5 and team == [(tmp_path / "checks").resolve()]
    with pytest.raises(UsageError, match="--suite team: the run has no team suite folder"):
        select_suites(["team"], [], [], profile)


def test_two_test_files_of_one_name_outside_packages_clash(tmp_path: Path) -> None:
    for folder in ("a", "b", "c/pkg"):
        (tmp_path / folder).mkdir(parents=True)
        (tmp_path / folder / "test_api.py").write_text("")
    (tmp_path / "c" / "pkg" / "__init__.py").write_text("")
    assert module_clash([tmp_path / "a", tmp_path / "c"]) is None
    assert "are both named test_api.py" in str(module_clash([tmp_path / "a", tmp_path / "b"]))
