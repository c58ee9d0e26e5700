"""Profiles: loading, extends overlays, --set overrides, and one clear line for every mistake."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from stackcheck import ProfileError, UsageError
from stackcheck.profile import load_profile


def write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(textwrap.dedent(text).lstrip("\n"))
    return path


def test_minimal_profile_loads_with_every_section_absent(tmp_path: Path) -> None:
    loaded = load_profile(write(tmp_path, "p.yaml", "name: x\n"))
    assert loaded.profile.name == "x"
    assert loaded.profile.health is None
    assert len(loaded.sha256) == 64


def test_extends_deep_merges_and_child_wins(tmp_path: Path) -> None:
    write(
        tmp_path,
        "base.yaml",
        """
        name: base
        health: {live: /health, ready: /ready, max_latency_ms: 100}
        rate_limit: {requests: 60, per_seconds: 60}
    """,
    )
    child = write(
        tmp_path,
        "child.yaml",
        """
        name: child
        extends: base.yaml
        rate_limit: {requests: 100}
    """,
    )
    loaded = load_profile(child)
    p = loaded.profile
    assert p.name == "child"
    assert p.health is not None and p.health.live == "/health" and p.health.max_latency_ms == 100
    assert p.rate_limit is not None and (p.rate_limit.requests, p.rate_limit.per_seconds) == (100, 60)
    assert [f.name for f in loaded.files] == ["base.yaml", "child.yaml"]


def test_set_overrides_a_nested_key_and_changes_the_hash(tmp_path: Path) -> None:
    path = write(tmp_path, "p.yaml", "name: x\nhealth: {max_latency_ms: 100}\n")
    plain = load_profile(path)
    overridden = load_profile(path, ["health.max_latency_ms=50", "slo.p95_ms=150"])
    assert overridden.profile.health is not None and overridden.profile.health.max_latency_ms == 50
    assert overridden.profile.slo is not None and overridden.profile.slo.p95_ms == 150
    assert overridden.sha256 != plain.sha256


def test_error_in_a_base_file_names_the_base_file(tmp_path: Path) -> None:
    write(tmp_path, "base.yaml", "name: base\nhealth:\n  samples: 0\n")
    child = write(tmp_path, "child.yaml", "name: child\nextends: base.yaml\n")
    with pytest.raises(ProfileError) as info:
        load_profile(child)
    assert str(info.value).endswith("base.yaml:3:3 health.samples: must be at least 1 (got 0)")


# Ten-plus malformed profiles: each gives one line naming file, position and key.
MALFORMED = [
    pytest.param("name: x\nhealth: {live: /a\n", "p.yaml:3:1", "YAML syntax error", id="yaml-syntax"),
    pytest.param(
        "name: x\nhealth:\n  samples: many\n", "p.yaml:3:3 health.samples", "whole number", id="wrong-type"
    ),
    pytest.param("name: x\nhelth:\n  live: /a\n", "p.yaml:2:1 helth", "unknown key", id="unknown-key"),
    pytest.param(
        "name: x\npostgres:\n  version: '>>16'\n",
        "p.yaml:3:3 postgres.version",
        "not a version",
        id="bad-version",
    ),
    pytest.param(
        "name: x\nextends: nowhere.yaml\n", "p.yaml:2:1 extends", "does not exist", id="missing-extends"
    ),
    pytest.param("", "p.yaml:1:1", "empty", id="empty-file"),
    pytest.param("- name: x\n- health: {}\n", "p.yaml:1:1", "must be a mapping", id="list-not-mapping"),
    pytest.param(
        "name: x\nrate_limit:\n  requests: -5\n",
        "p.yaml:3:3 rate_limit.requests",
        "greater than 0",
        id="negative-number",
    ),
    pytest.param(
        "name: x\nhealth:\n  live: health\n", "p.yaml:3:3 health.live", "starting with '/'", id="bad-path"
    ),
    pytest.param("health: {live: /a}\n", "p.yaml name", "required key is missing", id="missing-name"),
    pytest.param(
        "name: x\nwaivers:\n  - check: tls.protocols\n    reason: r\n    owner: o\n    expires: soon\n",
        "p.yaml:6:5 waivers[0].expires",
        "date",
        id="bad-date",
    ),
    pytest.param("name: x\nname: y\n", "p.yaml:2:1 name", "duplicate key", id="duplicate-key"),
    pytest.param(
        "name: x\nwaivers:\n  - {check: a.b, reason: r, owner: o, expires: 2027-02-30}\n",
        "p.yaml:3:39 waivers[0].expires",
        "must be a date",
        id="impossible-unquoted-date",
    ),
    pytest.param(
        "name: x\nredis:\n  maxmemory_policy: lru\n",
        "p.yaml:3:3 redis.maxmemory_policy",
        "one of",
        id="bad-enum",
    ),
]


@pytest.mark.parametrize(("text", "where", "what"), MALFORMED)
def test_malformed_profile_is_one_error_naming_file_position_and_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, text: str, where: str, what: str
) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "p.yaml").write_text(text)
    with pytest.raises(ProfileError) as info:
        load_profile("p.yaml")
    message = str(info.value)
    assert message.startswith(where), message
    assert what in message
    assert "\n" not in message


def test_extends_cycle_is_detected(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    write(tmp_path, "a.yaml", "name: a\nextends: b.yaml\n")
    write(tmp_path, "b.yaml", "name: b\nextends: a.yaml\n")
    with pytest.raises(ProfileError) as info:
        load_profile("a.yaml")
    assert str(info.value).startswith("b.yaml:2:1 extends: `extends` cycle: a.yaml -> b.yaml -> a.yaml")


@pytest.mark.parametrize(
    ("option", "message"),
    [
        ("slo.p95=150", "--set slo.p95=150 slo.p95: unknown key 'p95' in slo"),
        ("nosuch.key=1", "--set nosuch.key=1 nosuch.key: unknown key 'nosuch' in the profile"),
        ("health.samples=-1", "--set health.samples=-1 health.samples: must be at least 1"),
    ],
)
def test_bad_set_option_names_the_option(tmp_path: Path, option: str, message: str) -> None:
    path = write(tmp_path, "p.yaml", "name: x\nhealth: {}\n")
    with pytest.raises(ProfileError) as info:
        load_profile(path, [option])
    assert str(info.value).startswith(message), str(info.value)


def test_set_cannot_change_extends(tmp_path: Path) -> None:
    path = write(tmp_path, "p.yaml", "name: x\n")
    with pytest.raises(UsageError, match="`extends` cannot be overridden"):
        load_profile(path, ["extends=base.yaml"])


def test_set_without_equals_is_a_usage_error(tmp_path: Path) -> None:
    path = write(tmp_path, "p.yaml", "name: x\n")
    with pytest.raises(UsageError, match="expected KEY=VALUE"):
        load_profile(path, ["slo.p95_ms"])


def test_bundled_profiles_are_valid() -> None:
    root = Path(__file__).resolve().parents[2] / "policies" / "profiles"
    names = sorted(p.name for p in root.glob("*.yaml"))
    assert "demo.yaml" in names
    for name in names:
        load_profile(root / name)
