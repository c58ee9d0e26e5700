"""Pure parts of the providers and probes: ${VAR} expansion, redaction, image plans, units, UUIDs."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from stackcheck import UsageError
from stackcheck.infra.base import redact_url
from stackcheck.infra.external import expand_env
from stackcheck.infra.images import PostgresFamily, postgres_family, postgres_plan, redis_plan, resolve_image
from stackcheck.infra.select import server_config
from stackcheck.probes.postgres import uuid_fields
from stackcheck.probes.redis import format_size, parse_redis_size
from stackcheck.profile.models import PostgresSection, Profile, RedisSection
from stackcheck.settings import Settings


def test_expand_env_replaces_every_variable() -> None:
    env = {"USER_": "app", "PW": "s3cret"}
    assert (
        expand_env("postgresql://${USER_}:${PW}@h/db", env, "postgres.dsn") == "postgresql://app:s3cret@h/db"
    )
    assert expand_env("no variables", {}, "k") == "no variables"


def test_expand_env_names_the_missing_variable_and_the_key() -> None:
    with pytest.raises(UsageError) as caught:
        expand_env("redis://:${REDIS_PW}@h", {}, "redis.url")
    assert str(caught.value) == (
        "redis.url uses ${REDIS_PW}, but the environment variable REDIS_PW is not set "
        "(export REDIS_PW=... before running stackcheck)"
    )
    with pytest.raises(UsageError, match="not a valid environment variable reference"):
        expand_env("${1BAD}", {}, "postgres.dsn")


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("postgresql://app:s3cret@db:5432/app", "postgresql://app:***@db:5432/app"),
        ("redis://:s3cret@127.0.0.1:6379/0", "redis://:***@127.0.0.1:6379/0"),
        ("host=db password=s3cret dbname=app", "host=db password=*** dbname=app"),
        ("redis://127.0.0.1:6379/0", "redis://127.0.0.1:6379/0"),
    ],
)
def test_redact_url(url: str, shown: str) -> None:
    assert redact_url(url) == shown


def test_literal_passwords_are_refused_in_profiles() -> None:
    with pytest.raises(ValidationError, match="literal password"):
        PostgresSection(dsn="postgresql://app:hunter2@db/app")
    with pytest.raises(ValidationError, match="literal password"):
        RedisSection(url="redis://:hunter2@cache:6379")
    assert PostgresSection(dsn="postgresql://app:${PGPASSWORD}@db/app").dsn
    assert RedisSection(url="redis://cache:6379/0").url


def test_image_precedence_profile_then_environment_then_official() -> None:
    env = Settings.from_environ({"STACKCHECK_POSTGRES_IMAGE": "stackcheck/postgres:17"})
    none = Settings.from_environ({})
    assert resolve_image("postgres", "acme/pg:16", env) == "acme/pg:16"
    assert resolve_image("postgres", None, env) == "stackcheck/postgres:17"
    assert resolve_image("postgres", None, none) == "timescale/timescaledb-ha:pg17"
    assert resolve_image("redis", None, none) == "redis:7"


def test_postgres_family_comes_from_the_image_command() -> None:
    assert postgres_family({"Cmd": ["stackcheck-postgres"]}) is PostgresFamily.STACKCHECK
    assert (
        postgres_family({"Entrypoint": ["docker-entrypoint.sh"], "Cmd": ["postgres"]})
        is PostgresFamily.OFFICIAL
    )
    assert postgres_family({}) is PostgresFamily.OFFICIAL


def test_postgres_plans_per_family() -> None:
    common = {
        "port": 5999,
        "user": "u",
        "password": "p",
        "database": "d",
        "config": {"shared_buffers": "256MB"},
    }
    ours = postgres_plan("stackcheck/postgres:17", PostgresFamily.STACKCHECK, **common)  # type: ignore[arg-type]
    assert ours.command[0] == "stackcheck-postgres" and ours.env["PGPORT"] == "5999"
    official = postgres_plan("postgres:16", PostgresFamily.OFFICIAL, **common)  # type: ignore[arg-type]
    assert official.command[:5] == ["postgres", "-c", "port=5999", "-c", "listen_addresses=127.0.0.1"]
    for plan in (ours, official):
        assert "timescaledb.telemetry_level=off" in plan.command and "shared_buffers=256MB" in plan.command
        assert plan.env["POSTGRES_PASSWORD"] == "p" and plan.stop_signal == "SIGINT"


def test_redis_plan_binds_loopback_and_keeps_multiword_values() -> None:
    plan = redis_plan("redis:7", port=6400, config={"save": "3600 1 300 100", "appendonly": "yes"})
    assert plan.command == [
        "redis-server",
        "--port",
        "6400",
        "--bind",
        "127.0.0.1",
        "--save",
        "3600 1 300 100",
        "--appendonly",
        "yes",
    ]


def test_server_config_expands_variables_and_spells_booleans_per_server() -> None:
    profile = Profile.model_validate(
        {
            "name": "x",
            "postgres": {"server_config": {"ssl": True}},
            "redis": {"server_config": {"appendonly": True, "requirepass": "${RPW}"}},
        }
    )
    assert server_config(profile, "postgres", {}) == {"ssl": "on"}
    assert server_config(profile, "redis", {"RPW": "pw"}) == {"appendonly": "yes", "requirepass": "pw"}
    with pytest.raises(UsageError, match=r"redis\.server_config\.requirepass uses \$\{RPW\}"):
        server_config(profile, "redis", {})


@pytest.mark.parametrize(
    ("text", "size"), [("2gb", 2 * 1024**3), ("512MB", 512 * 1024**2), ("1g", 10**9), ("100", 100), (64, 64)]
)
def test_parse_redis_size(text: str | int, size: int) -> None:
    assert parse_redis_size(text) == size


def test_redis_size_errors_and_formatting() -> None:
    with pytest.raises(ValueError, match="not a Redis memory size"):
        parse_redis_size("2 parsecs")
    assert format_size(1024**3, "2gb") == "1gb"
    assert format_size(67108864, "64mb") == "64mb"
    assert format_size(5, 10) == "5"
    assert format_size(0, "2gb") == format_size(0, 0) == "0 (no limit)"


def test_uuid_fields() -> None:
    v7 = uuid_fields("01890a5d-ac96-774b-bcce-b302099a8057")
    assert (v7.version, v7.rfc_variant, v7.unix_ms) == (7, True, 0x01890A5DAC96)
    v4 = uuid_fields("9b2b6a4e-55b1-4a3b-8f8e-2f1b0d6a7c11")
    assert v4.version == 4
    with pytest.raises(AssertionError, match="not a UUID"):
        uuid_fields("not-a-uuid")
