"""Profile section of the connection pooler: PgBouncer, read through its admin console."""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import AfterValidator, Field, model_validator

from stackcheck.profile.fields import PositiveInt, Section
from stackcheck.redact import literal_credential

__all__ = ["PgBouncerSection", "PoolMode"]

PoolMode = Literal["session", "transaction", "statement"]
_SETTING = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")
# What the typed keys stand for in SHOW CONFIG: one value, one place (not again in `settings`).
TYPED_SETTINGS = ("pool_mode", "max_client_conn", "default_pool_size")


def _check_dsn(value: str | None) -> str | None:
    if value is not None and literal_credential(value):
        raise ValueError(
            "holds a literal password; reference an environment variable instead, e.g. "
            "postgresql://stats:${PGBOUNCER_PASSWORD}@pooler.internal:6432/pgbouncer"
        )
    return value


def _check_settings(settings: dict[str, str | int | bool]) -> dict[str, str | int | bool]:
    for name in settings:
        if not _SETTING.match(name):
            raise ValueError(
                f"{name!r} is not a PgBouncer setting name (as in SHOW CONFIG, e.g. server_lifetime)"
            )
        if name in TYPED_SETTINGS:
            raise ValueError(f"settings.{name}: write it as pgbouncer.{name}, not under settings")
    return settings


class PgBouncerSection(Section):
    """The PgBouncer in front of Postgres: its settings and pools, read from its admin console."""

    admin_dsn: Annotated[str | None, AfterValidator(_check_dsn)] = Field(
        None,
        description="DSN of the admin console: the special database `pgbouncer` on the pooler's port, as a "
        "user listed in its `stats_users` (or `admin_users`), e.g. "
        "`postgresql://stats:${PGBOUNCER_PASSWORD}@127.0.0.1:6432/pgbouncer`; `${VAR}` is read from the "
        "environment. stackcheck never starts a PgBouncer: unset, the checks are skipped.",
    )
    pool_mode: PoolMode | None = Field(
        None,
        description="Pool mode the pooler must run (`SHOW CONFIG`), and every database and pool in it "
        "(`SHOW DATABASES`, `SHOW POOLS`: a [databases] or [users] override counts).",
    )
    max_client_conn: PositiveInt | None = Field(
        None, description="The pooler's max_client_conn must be this (`SHOW CONFIG`)."
    )
    default_pool_size: PositiveInt | None = Field(
        None,
        description="The pooler's default_pool_size must be this (`SHOW CONFIG`), and no database may "
        "override it with a pool_size of its own (`SHOW DATABASES`).",
    )
    settings: Annotated[dict[str, str | int | bool], AfterValidator(_check_settings)] = Field(
        default_factory=dict,
        description="More settings as SHOW CONFIG lists them, e.g. `{server_lifetime: 1800, "
        "server_reset_query: DISCARD ALL}` (numbers compared as numbers, booleans as 1/0).",
    )

    @model_validator(mode="after")
    def _something_to_check(self) -> PgBouncerSection:
        if not (self.pool_mode or self.max_client_conn or self.default_pool_size or self.settings):
            raise ValueError(
                "states nothing to check: set pool_mode, max_client_conn, default_pool_size or settings"
            )
        return self

    def expected_settings(self) -> dict[str, str | int | bool]:
        """Every SHOW CONFIG value the profile states, the typed keys first."""
        typed = {
            "pool_mode": self.pool_mode,
            "max_client_conn": self.max_client_conn,
            "default_pool_size": self.default_pool_size,
        }
        return {k: v for k, v in typed.items() if v is not None} | dict(self.settings)
