"""Profile sections of the data layer: Postgres, Redis, and the recovery objectives."""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import AfterValidator, Field

from stackcheck.profile.fields import NonNegInt, PositiveInt, Section, VersionSpec
from stackcheck.redact import literal_credential

_SQL_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_$]*(\.[A-Za-z_][A-Za-z0-9_$]*)?$")


def _check_sql_name(name: str) -> str:
    # Names are interpolated as SQL identifiers: only plain (optionally schema-qualified) names are accepted.
    if not _SQL_NAME.match(name):
        raise ValueError(f"{name!r} is not a plain SQL name (write `table` or `schema.table`)")
    return name


def _check_no_literal_secret(value: str | None) -> str | None:
    # Credentials belong in the environment, not in a file that is committed and shown in reports. The
    # shapes are the redactor's (userinfo, ?password=, password=...); the refusal never quotes the value.
    if value is not None and literal_credential(value):
        raise ValueError(
            "holds a literal password; reference an environment variable instead, "
            "e.g. postgresql://app:${PGPASSWORD}@db.internal:5432/app or ...?password=${PGPASSWORD}"
        )
    return value


SqlName = Annotated[str, AfterValidator(_check_sql_name)]
ServerConfig = dict[str, str | int | float | bool]


class PostgresHypertable(Section):
    """A TimescaleDB hypertable the schema must have, with its optional policies."""

    name: SqlName = Field(description="Table name, `table` or `schema.table`.")
    retention: str | None = Field(
        None, description='Retention policy drop_after interval that must be scheduled, e.g. "30 days".'
    )
    compress_after: str | None = Field(
        None,
        description='Compression on, with a policy compressing chunks older than this, e.g. "7 days".',
    )


class PostgresSection(Section):
    """The PostgreSQL server and what it must carry."""

    dsn: Annotated[str | None, AfterValidator(_check_no_literal_secret)] = Field(
        None, description="DSN for --infra external; `${VAR}` is read from the environment."
    )
    version: VersionSpec | None = Field(None, description='Server version requirement, e.g. ">=16".')
    extensions: list[str] = Field(
        default_factory=list, description="Extensions the database must have (see `extensions_state`)."
    )
    extensions_state: Literal["installed", "available"] = Field(
        "installed",
        description="What `extensions` means: `installed` (created in the DSN's database, the ADR's "
        "'uses X'; a missing one fails whatever stackcheck's role may do) or `available` (installed, or "
        "shipped with the server and creatable: stackcheck creates it in a rolled-back transaction; a role "
        "that may not create it makes the check `error`).",
    )
    settings: dict[str, str | int | float | bool] = Field(
        default_factory=dict, description="Server settings, compared after unit normalisation."
    )
    require_ssl: bool = Field(False, description="The server must refuse non-SSL logins.")
    image: str | None = Field(
        None,
        description="Container image for --infra docker (else $STACKCHECK_POSTGRES_IMAGE, else "
        "timescale/timescaledb-ha:pg17, which carries TimescaleDB and pgvector).",
    )
    server_config: ServerConfig = Field(
        default_factory=dict,
        description="Settings the throwaway server (docker/local) starts with, as `-c key=value`: what the "
        "team's deployment sets. Never sent to --infra external. Checks read values back from the server.",
    )
    migrations: str | None = Field(
        None,
        description="Folder of plain SQL files (applied in name order to the throwaway docker/local database "
        "before the checks; never to --infra external). Relative to the profile file given to --profile.",
    )
    rls_tables: list[SqlName] = Field(
        default_factory=list, description="Tables that must have row-level security enabled, with a policy."
    )
    rls_forced: bool = Field(
        True, description="Also require FORCE ROW LEVEL SECURITY (the table owner obeys the policies too)."
    )
    uuidv7: SqlName | None = Field(
        None,
        description='Function that generates UUIDv7: "uuidv7" (native, PostgreSQL 18), "uuid_generate_v7" '
        "(pg_uuidv7 extension) or one of the schema's own.",
    )
    vector_index: Literal["hnsw", "ivfflat"] = Field(
        "hnsw", description="ANN index type the pgvector round trip builds (checked when `vector` is listed)."
    )
    hypertables: list[PostgresHypertable] = Field(
        default_factory=list, description="TimescaleDB hypertables that must exist, with optional policies."
    )
    max_connections: PositiveInt | None = Field(
        None, description="The server's max_connections must be at least this."
    )
    pool_size: PositiveInt | None = Field(
        None, description="Connections one application instance's pool opens (e.g. 20); all must fit."
    )
    app_instances: PositiveInt = Field(
        1,
        description="Application instances sharing the server (blue-green: both colours), each with a pool.",
    )


class RedisSection(Section):
    """The Redis server and its configuration."""

    url: Annotated[str | None, AfterValidator(_check_no_literal_secret)] = Field(
        None, description="URL for --infra external; `${VAR}` is read from the environment."
    )
    version: VersionSpec | None = Field(None, description='Server version requirement, e.g. ">=7".')
    maxmemory_policy: (
        Literal[
            "noeviction",
            "allkeys-lru",
            "allkeys-lfu",
            "allkeys-random",
            "volatile-lru",
            "volatile-lfu",
            "volatile-random",
            "volatile-ttl",
        ]
        | None
    ) = Field(None, description="Required eviction policy.")
    appendonly: bool | None = Field(None, description="AOF persistence must be on (true) or off (false).")
    require_auth: bool = Field(False, description="Unauthenticated commands must be refused.")
    image: str | None = Field(
        None, description="Container image for --infra docker (else $STACKCHECK_REDIS_IMAGE, else redis:7)."
    )
    server_config: ServerConfig = Field(
        default_factory=dict,
        description="Configuration the throwaway server (docker/local) starts with, as `--key value`: what "
        "the team's deployment sets. Never sent to --infra external; `${VAR}` is read from the environment.",
    )
    maxmemory: str | NonNegInt | None = Field(
        None, description='Memory limit the server must have, e.g. "2gb" or "512mb" (Redis units; 0 = none).'
    )
    appendfsync: Literal["always", "everysec", "no"] | None = Field(
        None, description="Required AOF fsync policy (checked with appendonly)."
    )
    rdb_snapshots: bool | None = Field(
        None, description="RDB snapshots must be scheduled (true) or disabled (false)."
    )


class BackupSection(Section):
    """Recovery objectives."""

    rpo_minutes: PositiveInt | None = Field(None, description="Recovery point objective (minutes).")
    rto_minutes: PositiveInt | None = Field(None, description="Recovery time objective (minutes).")
