"""The keys of ``redis.ttls`` and ``pgbouncer`` (one clear line for each mistake), and the pure rules behind
``redis.ttl`` (key labels, the set-TTL lower bound) and ``pgbouncer.config`` (comparing SHOW CONFIG text)."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from stackcheck import ProfileError
from stackcheck.probes.pgbouncer import compare_value
from stackcheck.probes.redis_ttl import KeyTtl, key_label
from stackcheck.profile import load_profile
from stackcheck.profile.models import PgBouncerSection, Profile


def load(tmp_path: Path, body: str) -> Profile:
    path = tmp_path / "p.yaml"
    path.write_text("name: x\n" + textwrap.dedent(body).lstrip("\n"))
    return load_profile(path).profile


def mistake(tmp_path: Path, body: str) -> str:
    with pytest.raises(ProfileError) as caught:
        load(tmp_path, body)
    return str(caught.value)


def test_ttls_load_and_name_each_mistake(tmp_path: Path) -> None:
    profile = load(tmp_path, 'redis:\n  ttls: [{pattern: "cache:*", min_s: 300, max_s: 900}]\n')
    assert profile.redis is not None and profile.redis.ttls[0].max_s == 900
    assert profile.redis.ttl_sample == 200
    assert "min_s (900) is above max_s (300)" in mistake(
        tmp_path, 'redis:\n  ttls: [{pattern: "a:*", min_s: 900, max_s: 300}]\n'
    )
    assert "more than once" in mistake(tmp_path, 'redis:\n  ttls: [{pattern: "a:*"}, {pattern: "a:*"}]\n')
    text = mistake(tmp_path, 'redis:\n  ttls: [{pattern: "a:*", max: 300}]\n')
    assert "p.yaml:3:27 redis.ttls[0].max: unknown key" in text, text
    assert "ttl_sample" in mistake(tmp_path, "redis:\n  ttl_sample: 0\n")


def test_pgbouncer_section_names_each_mistake(tmp_path: Path) -> None:
    ok = load(tmp_path, "pgbouncer:\n  pool_mode: transaction\n  default_pool_size: 25\n")
    assert ok.pgbouncer is not None
    assert ok.pgbouncer.expected_settings() == {"pool_mode": "transaction", "default_pool_size": 25}
    assert "pgbouncer.pool_mode" in mistake(tmp_path, "pgbouncer:\n  pool_mode: sesion\n")
    assert "states nothing to check" in mistake(tmp_path, "pgbouncer:\n  admin_dsn: ${X}\n")
    assert "literal password" in mistake(
        tmp_path, "pgbouncer:\n  admin_dsn: postgresql://u:secret@h:6432/pgbouncer\n  pool_mode: session\n"
    )
    assert "write it as pgbouncer.pool_mode" in mistake(
        tmp_path, "pgbouncer:\n  settings: {pool_mode: session}\n"
    )
    assert "not a PgBouncer setting name" in mistake(tmp_path, "pgbouncer:\n  settings: {Pool-Mode: x}\n")
    section = PgBouncerSection(max_client_conn=100, settings={"server_lifetime": 1800})
    assert section.expected_settings() == {"max_client_conn": 100, "server_lifetime": 1800}


@pytest.mark.parametrize(
    ("wanted", "observed", "same"),
    [
        ("transaction", "transaction", True),
        ("transaction", "session", False),
        (25, "25", True),
        (25, "20", False),
        (25, "abc", False),
        (True, "1", True),
        (False, "1", False),
        ("DISCARD ALL", " DISCARD ALL ", True),
    ],
)
def test_show_config_text_is_compared_by_the_profile_value_type(
    wanted: str | int | bool, observed: str, same: bool
) -> None:
    assert compare_value(wanted, observed) is same


def test_key_labels_hide_the_rest_of_the_key_unless_asked() -> None:
    token = "4f9a0c1d2e3b4a5f6e7d8c9b0a1f2e3d"
    label = key_label(f"session:{token}".encode(), "session:*", show=False)
    assert label.startswith("session:<32 chars #") and token not in label
    # A key outside the pattern's literal prefix (a pattern starting with a glob) hides all of it.
    assert token not in key_label(token.encode(), "*:x", show=False)
    assert key_label(b"cache:/api/v1/users", "cache:*", show=True) == "cache:/api/v1/users"
    assert len(key_label(b"k" * 500, "k*", show=True)) == 121


def test_remaining_plus_idle_bounds_the_ttl_a_key_was_set_with() -> None:
    assert KeyTtl(b"k", 600.0, 250).set_at_least_s == 850.0
    assert KeyTtl(b"k", 600.0, None).set_at_least_s == 600.0  # idle unreadable: the remaining TTL alone
    assert KeyTtl(b"k", None, 5).set_at_least_s is None  # no expiry
