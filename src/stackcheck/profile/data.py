"""Profile sections of the data layer: Postgres and Redis (the recovery objectives: :mod:`.backup`)."""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import AfterValidator, Discriminator, Field, Tag, model_validator

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


_EXTENSION_NAME = re.compile(r"^[A-Za-z0-9_][A-Za-z0-9_.-]{0,62}$")
_REDIS_USER = re.compile(r"^[!-~]{1,128}$")  # printable, no spaces: what ACL SETUSER accepts as one name


def _check_extension_name(name: str) -> str:
    # Extension names are passed as parameters, never interpolated; this catches typos like "vector, x".
    if not _EXTENSION_NAME.match(name):
        raise ValueError(f"{name!r} is not an extension name (as in pg_available_extensions, e.g. uuid-ossp)")
    return name


def _check_redis_user(name: str) -> str:
    if not _REDIS_USER.match(name):
        raise ValueError(f"{name!r} is not a Redis ACL user name (printable characters, no spaces)")
    return name


SqlName = Annotated[str, AfterValidator(_check_sql_name)]
ExtensionName = Annotated[str, AfterValidator(_check_extension_name)]
RedisUserName = Annotated[str, AfterValidator(_check_redis_user)]
ExtensionState = Literal["installed", "available"]
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


class PostgresExtension(Section):
    """A required extension with a state of its own (the list form `vector` takes `extensions_state`)."""

    name: ExtensionName = Field(description="Extension name, as in pg_available_extensions (e.g. vector).")
    state: ExtensionState | None = Field(
        None, description="`installed` or `available` for this extension; unset: `extensions_state`."
    )


def _extension_form(value: object) -> str:
    return "a name" if isinstance(value, str) else "{name, state}"


# A name, or {name, state}: the discriminator picks one form, so a mistake in either is reported once. The
# tags are not identifiers on purpose: the loader leaves them out of the key path it names.
ExtensionEntry = Annotated[
    Annotated[ExtensionName, Tag("a name")] | Annotated[PostgresExtension, Tag("{name, state}")],
    Discriminator(_extension_form),
]


class PostgresPartitionedTable(Section):
    """A table that must be partitioned (declarative partitioning), with its strategy and key."""

    table: SqlName = Field(description="Table name, `table` or `schema.table`.")
    strategy: Literal["range", "list", "hash"] | None = Field(
        None, description="Partitioning strategy it must use (unset: any)."
    )
    key: str | list[str] | None = Field(
        None,
        description='Partition key: a column (`created_at`), several (`[tenant_id, region]` or "tenant_id,'
        ' region"), or an expression as pg_get_partkeydef() prints it; compared column by column, case and'
        " spaces ignored (unset: any).",
    )
    min_partitions: PositiveInt | None = Field(
        None, description="At least this many partitions attached directly to it (a default one counts)."
    )

    @model_validator(mode="after")
    def _key_not_empty(self) -> PostgresPartitionedTable:
        parts = [self.key] if isinstance(self.key, str) else self.key
        if parts is not None and not any(p.strip(" ,") for p in parts):
            raise ValueError("key is empty (name the column(s), or leave key out to accept any key)")
        return self


class PoolProbe(Section):
    """A bounded burst against an endpoint of the target that uses the database (``pg.pool``)."""

    path: str = Field(
        pattern=r"^/", description="Endpoint of the target that queries the database, e.g. `/db`."
    )
    requests: int = Field(200, gt=0, le=2000, description="Requests the burst sends in all (at most 2000).")
    concurrency: int | None = Field(
        None,
        gt=0,
        le=100,
        description="Requests in flight at once (at most 100; default 4 x pool_size, so a pool that does "
        "not bound its connections shows it).",
    )
    timeout_s: float = Field(
        20.0, gt=0, le=60, description="Bound on the whole burst, in seconds (at most 60)."
    )


class PostgresSection(Section):
    """The PostgreSQL server and what it must carry."""

    dsn: Annotated[str | None, AfterValidator(_check_no_literal_secret)] = Field(
        None, description="DSN for --infra external; `${VAR}` is read from the environment."
    )
    version: VersionSpec | None = Field(None, description='Server version requirement, e.g. ">=16".')
    extensions: list[ExtensionEntry] = Field(
        default_factory=list,
        description="Extensions the database must have: names (`vector`), which take `extensions_state`, "
        "or `{name: vector, state: available}` entries, whose own state wins.",
    )
    extensions_state: ExtensionState = Field(
        "installed",
        description="What a plain name in `extensions` means: `installed` (created in the DSN's database, the"
        " ADR's 'uses X'; a missing one fails whatever stackcheck's role may do) or `available` (installed, "
        "or shipped with the server and creatable: stackcheck creates it in a rolled-back transaction; a role"
        " that may not create it makes the check `error`). An entry's own `state` overrides it.",
    )
    extensions_absent: list[ExtensionName] = Field(
        default_factory=list,
        description="Extensions that must not be installed in the DSN's database (e.g. `[postgis, "
        "plpython3u]`); each one found fails `pg.extensions_absent`, named. Shipped but not created passes.",
    )
    settings: dict[str, str | int | float | bool] = Field(
        default_factory=dict, description="Server settings, compared after unit normalisation."
    )
    require_ssl: bool = Field(False, description="The server must refuse non-SSL logins.")
    sslmode: Literal["verify-ca", "verify-full"] | None = Field(
        None,
        description="The sslmode clients must use: a client with it connects (`pg.sslmode`). `verify-ca`: "
        "the server's certificate chains to `ca_bundle`; `verify-full`: it also names the host "
        "(`server_name`). That plain logins are refused is `require_ssl` (sslmode=require: use that).",
    )
    ca_bundle: str | None = Field(
        None,
        description="PEM file of the CAs clients trust for the server's certificate (relative to the working "
        "directory; default: the DSN's sslrootcert, else libpq's ~/.postgresql/root.crt). Read by `sslmode`.",
    )
    server_name: str | None = Field(
        None,
        description="Host name clients connect to, when the DSN's host is another (an IP, a tunnel): the "
        "certificate must name it. Default: the DSN's host. Read by `sslmode: verify-full`.",
    )
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
    partitioned_tables: list[PostgresPartitionedTable] = Field(
        default_factory=list,
        description="Tables that must be partitioned (declarative partitioning), e.g. `[{table: events, "
        "strategy: range, key: created_at, min_partitions: 3}]`.",
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
    application_name: str | None = Field(
        None,
        max_length=63,
        description="The application_name the service's pool connects with (libpq `application_name`): "
        "`pg.pool` counts its connections in pg_stat_activity.",
    )
    pool_probe: PoolProbe | None = Field(
        None,
        description="Load that makes the service use its pool, e.g. `{path: /db, requests: 200}`: while it "
        "runs, the connections with `application_name` must never exceed `pool_size` (`pg.pool`).",
    )
    pool_idle_s: float | None = Field(
        None,
        gt=0,
        le=120,
        description="The pool's idle limit (at most 120 s: a longer one stays a manual claim): after the "
        "burst, `pg.pool` waits up to this long (plus 2 s) for the idle connections with `application_name`"
        " to drop to `pool_min`.",
    )
    pool_min: NonNegInt = Field(
        0,
        description="Connections the pool keeps open however idle (its minimum size); read with pool_idle_s.",
    )

    @model_validator(mode="after")
    def _coherent(self) -> PostgresSection:
        names = [e if isinstance(e, str) else e.name for e in self.extensions]
        twice = sorted({n for n in names if names.count(n) > 1})
        if twice:
            raise ValueError(f"extensions lists {', '.join(twice)} more than once")
        both = sorted(set(names) & set(self.extensions_absent))
        if both:
            raise ValueError(f"{', '.join(both)} is in both extensions and extensions_absent")
        if self.sslmode is None and (self.ca_bundle or self.server_name):
            raise ValueError("ca_bundle and server_name are read with sslmode (set sslmode: verify-full)")
        if self.server_name and self.sslmode != "verify-full":
            raise ValueError("server_name is only checked with sslmode: verify-full")
        if self.pool_size is not None and self.pool_min > self.pool_size:
            raise ValueError(f"pool_min {self.pool_min} is larger than pool_size {self.pool_size}")
        return self

    def required_extensions(self) -> dict[str, ExtensionState]:
        """Each listed extension and the state it must be in: its own ``state``, else ``extensions_state``."""
        states: dict[str, ExtensionState] = {}
        for entry in self.extensions:
            if isinstance(entry, str):
                states[entry] = self.extensions_state
            else:
                states[entry.name] = entry.state or self.extensions_state
        return states


class RedisTtl(Section):
    """Keys matching a pattern must expire within a bound (a cache or session TTL the ADR promises)."""

    pattern: Annotated[str, Field(min_length=1, max_length=200)] = Field(
        description='SCAN MATCH glob of the keys, e.g. "cache:*" or "session:*" (Redis glob syntax).'
    )
    max_s: PositiveInt | None = Field(
        None,
        description="Longest TTL (seconds) a key may be set with: a key whose remaining TTL is longer fails. "
        "Unset: only that every key expires.",
    )
    min_s: NonNegInt | None = Field(
        None,
        description="Shortest TTL (seconds) the ADR states; recorded, not judged: a sampled key's remaining "
        "TTL counts down, so a short one says nothing of the TTL it was set with (docs/suites/redis.md).",
    )
    require_keys: bool = Field(
        False, description="No key matching the pattern fails the check (default: `skipped`, saying so)."
    )
    show_keys: bool = Field(
        False,
        description="Name violating keys in full in the evidence. Default: the pattern's literal prefix, "
        "the length and a per-run tag of the rest (session keys often hold the session id).",
    )

    @model_validator(mode="after")
    def _bounds(self) -> RedisTtl:
        if self.min_s is not None and self.max_s is not None and self.min_s > self.max_s:
            raise ValueError(f"min_s ({self.min_s}) is above max_s ({self.max_s})")
        return self


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
    default_user: Literal["disabled"] | None = Field(
        None,
        description="`disabled`: the ACL `default` user is off, so every client must log in as a named ACL "
        "user (stricter than `require_auth`, which a `requirepass` on the default user also passes). "
        "Read with ACL GETUSER (`redis.acl`).",
    )
    acl_users: list[RedisUserName] = Field(
        default_factory=list,
        description="ACL users that must exist and be enabled (`on`), e.g. `[app, worker]` (`redis.acl`).",
    )
    ttls: list[RedisTtl] = Field(
        default_factory=list,
        description='Key patterns whose keys must expire, e.g. `[{pattern: "cache:*", min_s: 300, max_s: '
        "900}]` (`redis.ttl`, one result per pattern): keys sampled with SCAN, never KEYS.",
    )
    ttl_sample: Annotated[int, Field(gt=0, le=10000)] = Field(
        200, description="At most this many keys per pattern are read (PTTL) by `redis.ttl`."
    )

    @model_validator(mode="after")
    def _coherent(self) -> RedisSection:
        if self.default_user == "disabled" and "default" in self.acl_users:
            raise ValueError("acl_users lists default, which default_user: disabled says must be off")
        patterns = [t.pattern for t in self.ttls]
        twice = sorted({p for p in patterns if patterns.count(p) > 1})
        if twice:
            raise ValueError(f"ttls lists the pattern {', '.join(twice)} more than once")
        return self
