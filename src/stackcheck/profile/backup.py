"""Profile section ``backup``: the recovery objectives, and the drills that measure them.

``rpo_minutes`` / ``rto_minutes`` are the ADR's promises. ``drill`` arms ``drill.restore`` (a throwaway
primary stackcheck starts, backs up, destroys and restores: docs/suites/drills-backup.md); ``fresh`` arms
``drill.backup_fresh`` (the newest archived WAL or backup of any server, external ones included, is younger
than the RPO). Minutes may be fractional (``rpo_minutes: 0.1`` is 6 s): a short drill in CI can then show a
mechanism that loses more than a few seconds of writes.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import AfterValidator, Field, model_validator

from stackcheck.profile.data import _check_no_literal_secret
from stackcheck.profile.fields import PositiveFloat, Section

__all__ = ["BackupFresh", "BackupMechanism", "BackupSection", "DrillTarget", "RestoreDrill"]

Dsn = Annotated[str, AfterValidator(_check_no_literal_secret)]
Command = Annotated[list[Annotated[str, Field(min_length=1)]], Field(min_length=1, max_length=200)]


class DrillTarget(Section):
    """A team's own drill target (a staging database): marked here, drilled only with
    `--allow-destructive`. stackcheck writes its rows to `dsn`, runs `destroy_command` (the disaster) and
    `restore_command` (the team's restore: a pgBackRest stanza, a platform's branch-from-timestamp), then
    reads what came back from `restored_dsn`."""

    dsn: Dsn = Field(description="The primary the writer writes to; `${VAR}` from the environment.")
    restored_dsn: Dsn = Field(
        description="Where the restored server answers once `restore_command` has run; `${VAR}` read."
    )
    restore_command: Command = Field(
        description="argv of the team's restore, run from the profile's folder; `{disaster_at}` (ISO 8601, "
        "UTC) and `{disaster_epoch}` are replaced: restore to the latest point before it. Timed (RTO)."
    )
    destroy_command: list[Annotated[str, Field(min_length=1)]] = Field(
        default_factory=list,
        max_length=200,
        description="argv of the disaster (e.g. stop and wipe the staging primary); empty: nothing is "
        "destroyed, the writer only stops at the disaster instant.",
    )
    command_timeout_s: float = Field(
        600, gt=0, le=7200, description="Bound on `destroy_command` (the restore's is restore_timeout_s)."
    )


BackupMechanism = Literal["basebackup", "pgbackrest"]


class RestoreDrill(Section):
    """How `drill.restore` runs: a bounded writer, a base backup, the disaster, the restore."""

    write_s: float = Field(
        8.0,
        gt=0,
        le=600,
        description="Seconds the writer goes on after the base backup before the primary is destroyed (at "
        "most 600). The drill observes data loss up to this window: an RPO longer than it shows as the "
        "whole window lost (`recovered_past_backup: false` in the evidence).",
    )
    interval_ms: int = Field(
        50, ge=5, le=10000, description="The writer commits one timestamped row every this many ms."
    )
    max_rows: int = Field(
        20000, gt=0, le=1_000_000, description="Bound on the rows the writer commits in all (it stops there)."
    )
    preload_mb: float = Field(
        0,
        ge=0,
        le=4096,
        description="MB of rows loaded before the base backup (0: none), checksummed on the primary and on "
        "the restore: how RTO grows with the size of the database (benchmarks/bench_restore.py).",
    )
    restore_timeout_s: float = Field(
        300,
        gt=0,
        le=7200,
        description="Bound on the restore, from its start until the restored server answers `query`; past "
        "it the check fails (RTO beyond the bound).",
    )
    query: str | None = Field(
        None,
        max_length=2000,
        description="The application's query: RTO ends when the restored server, out of recovery, answers "
        "it (default: a count of the drill's rows).",
    )
    target: DrillTarget | None = Field(
        None,
        description="The team's own drill target and restore command instead of a throwaway primary; "
        "drilled only with `--allow-destructive` (else skipped, saying so).",
    )


class BackupFresh(Section):
    """Where `drill.backup_fresh` reads the newest backup: the server's archiver, or pgBackRest."""

    stanza: str | None = Field(
        None,
        pattern=r"^[A-Za-z0-9_.-]{1,64}$",
        description="With `mechanism: pgbackrest`: the stanza `pgbackrest info --output=json` reports on.",
    )
    config: str | None = Field(
        None,
        description="With `mechanism: pgbackrest`: its configuration file (default: pgBackRest's own, "
        "/etc/pgbackrest/pgbackrest.conf).",
    )
    max_age_minutes: PositiveFloat | None = Field(
        None,
        description="Oldest acceptable newest archived WAL segment or backup, in minutes (default: "
        "`rpo_minutes`).",
    )
    retention_days: PositiveFloat | None = Field(
        None,
        description='With `mechanism: pgbackrest`: the point-in-time-recovery window promised ("PITR 7 '
        'days"), in days (fractions allowed): the oldest backup the stanza holds must have started at '
        "least this long ago, with archived WAL from it on. A stanza younger than the window fails (it "
        "cannot restore that far back yet).",
    )


class BackupSection(Section):
    """Recovery objectives, and the drills that measure them."""

    rpo_minutes: PositiveFloat | None = Field(
        None, description="Recovery point objective (minutes; fractions allowed, e.g. 0.1 = 6 s)."
    )
    rto_minutes: PositiveFloat | None = Field(
        None, description="Recovery time objective (minutes; fractions allowed)."
    )
    mechanism: BackupMechanism = Field(
        "basebackup",
        description="How the database is backed up: `basebackup` (pg_basebackup plus WAL archived by "
        "archive_command) or `pgbackrest` (pgBackRest: stanza, backup, archive-push, restore).",
    )
    drill: RestoreDrill | None = Field(
        None,
        description="Arms `drill.restore` on a throwaway primary stackcheck starts (never on a server it did "
        "not start), e.g. `{write_s: 8}`; `{}` for the defaults. WAL settings of `postgres.server_config` "
        "(archive_mode, archive_timeout, wal_level...) are the primary's, as the team deploys them.",
    )
    fresh: BackupFresh | None = Field(
        None,
        description="Arms `drill.backup_fresh` on the run's Postgres (external too; nothing is written): "
        "`{}` reads pg_stat_archiver, `{stanza: main}` with `mechanism: pgbackrest` reads pgBackRest's info.",
    )

    @model_validator(mode="after")
    def _fresh_names_its_stanza(self) -> BackupSection:
        if self.fresh is not None and self.mechanism == "pgbackrest" and self.fresh.stanza is None:
            raise ValueError("fresh.stanza is not set: with mechanism pgbackrest, name the stanza to read")
        return self
