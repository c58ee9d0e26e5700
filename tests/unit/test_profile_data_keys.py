"""The data-layer keys of issue 12: their two forms, their precedence, and one clear line for each mistake;
the pure rules behind ``pg.partitioning`` (key comparison) and ``pg.sslmode`` (libpq's refusals)."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from stackcheck import ProfileError
from stackcheck.probes.pgpartitions import partition_key_parts
from stackcheck.probes.pgtls import tls_refusal
from stackcheck.profile import load_profile
from stackcheck.profile.models import PostgresSection, Profile


def load(tmp_path: Path, body: str) -> Profile:
    path = tmp_path / "p.yaml"
    path.write_text("name: x\n" + textwrap.dedent(body).lstrip("\n"))
    return load_profile(path).profile


def mistake(tmp_path: Path, body: str) -> ProfileError:
    with pytest.raises(ProfileError) as caught:
        load(tmp_path, body)
    return caught.value


def test_an_extension_entry_is_a_name_or_a_name_with_its_own_state(tmp_path: Path) -> None:
    profile = load(
        tmp_path,
        """
        postgres:
          extensions: [vector, {name: timescaledb, state: available}, {name: pgcrypto}]
          extensions_state: installed
        """,
    )
    section = profile.postgres
    assert section is not None
    assert section.required_extensions() == {
        "vector": "installed",
        "timescaledb": "available",  # its own state wins
        "pgcrypto": "installed",  # no state of its own: extensions_state
    }
    # The written form survives a round trip (a name stays a name).
    dumped = section.model_dump(mode="json")
    assert dumped["extensions"][0] == "vector"
    assert PostgresSection.model_validate(dumped) == section
    flipped = section.model_copy(update={"extensions_state": "available"})
    assert flipped.required_extensions()["vector"] == "available"
    assert flipped.required_extensions()["timescaledb"] == "available"


def test_a_mistake_in_an_extension_entry_is_named_once(tmp_path: Path) -> None:
    error = mistake(tmp_path, "postgres:\n  extensions: [vector, {name: pgcrypto, stat: available}]\n")
    assert error.key == "postgres.extensions[1].stat" and "unknown key" in str(error)
    assert "(and" not in str(error)  # not also "must be a string" for the other form
    error = mistake(tmp_path, "postgres:\n  extensions: [vector, {name: pgcrypto, state: shipped}]\n")
    assert error.key == "postgres.extensions[1].state" and "installed" in str(error)
    error = mistake(tmp_path, "postgres:\n  extensions: ['vector, pgcrypto']\n")
    assert error.key == "postgres.extensions[0]" and "not an extension name" in str(error)


@pytest.mark.parametrize(
    ("body", "says"),
    [
        ("extensions: [vector, {name: vector, state: available}]", "lists vector more than once"),
        ("extensions: [postgis]\n  extensions_absent: [postgis]", "postgis is in both"),
        ("sslmode: require", "must be one of"),
        ("ca_bundle: ca.pem", "read with sslmode"),
        ("sslmode: verify-ca\n  server_name: db.internal", "only checked with sslmode: verify-full"),
        ("partitioned_tables: [{table: events, key: ''}]", "key is empty"),
        ("partitioned_tables: [{table: 'events; drop'}]", "not a plain SQL name"),
        ("partitioned_tables: [{table: events, strategy: interval}]", "must be one of"),
        ("partitioned_tables: [{table: events, min_partitions: 0}]", "greater than 0"),
    ],
)
def test_postgres_mistakes_are_one_clear_line(tmp_path: Path, body: str, says: str) -> None:
    error = mistake(tmp_path, f"postgres:\n  {body}\n")
    assert says in str(error) and "\n" not in str(error), str(error)
    assert str(error).startswith(f"{tmp_path.name}/p.yaml") or "p.yaml" in str(error)


@pytest.mark.parametrize(
    ("body", "says"),
    [
        ("default_user: off", "must be one of"),  # YAML's off is false: the one word is `disabled`
        ("acl_users: ['app worker']", "not a Redis ACL user name"),
        ("default_user: disabled\n  acl_users: [default, app]", "acl_users lists default"),
    ],
)
def test_redis_acl_mistakes_are_one_clear_line(tmp_path: Path, body: str, says: str) -> None:
    error = mistake(tmp_path, f"redis:\n  {body}\n")
    assert says in str(error) and "\n" not in str(error), str(error)


def test_the_redis_acl_keys_load(tmp_path: Path) -> None:
    redis = load(tmp_path, "redis:\n  default_user: disabled\n  acl_users: [app, worker]\n").redis
    assert redis is not None and redis.default_user == "disabled" and redis.acl_users == ["app", "worker"]


@pytest.mark.parametrize(
    ("key", "parts"),
    [
        ("created_at", ["created_at"]),
        ("Created_At", ["created_at"]),  # unquoted names fold to lower case, as in PostgreSQL
        ('"created_at"', ["created_at"]),  # needless quotes
        ('"CreatedAt"', ['"CreatedAt"']),  # a quoted mixed-case name is another column
        ("tenant_id, region", ["tenant_id", "region"]),
        (["tenant_id", "region"], ["tenant_id", "region"]),
        ("date_trunc('day'::text, created_at)", ["date_trunc('day'::text,created_at)"]),
        ("lower(region), id", ["lower(region)", "id"]),
        ("tenant_id,", ["tenant_id"]),
    ],
)
def test_partition_keys_compare_column_by_column(key: str | list[str], parts: list[str]) -> None:
    assert partition_key_parts(key) == parts


@pytest.mark.parametrize(
    ("message", "refusal"),
    [
        (
            'connection failed: connection to server at "127.0.0.1", port 5432 failed: server certificate for'
            ' "localhost" (and 3 other names) does not match host name "db.internal"',
            'server certificate for "localhost" (and 3 other names) does not match host name "db.internal"',
        ),
        (
            'connection failed: connection to server at "127.0.0.1", port 5432 failed: SSL error:'
            " certificate verify failed",
            "SSL error: certificate verify failed",
        ),
        (
            'connection failed: connection to server at "127.0.0.1", port 5432 failed: server does not'
            " support SSL, but SSL was required",
            "server does not support SSL, but SSL was required",
        ),
        (
            'connection failed: connection to server at "127.0.0.1", port 5432 failed: Connection refused',
            None,
        ),
        ("connection failed: SSL SYSCALL error: EOF detected", None),
        ('FATAL:  password authentication failed for user "v"', None),
    ],
)
def test_libpqs_tls_refusals_are_told_from_other_failures(message: str, refusal: str | None) -> None:
    assert tls_refusal(message) == refusal
