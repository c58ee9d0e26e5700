"""The backup mechanisms the restore drill runs, each for real: ``pg_basebackup`` plus archived WAL, and
pgBackRest (a stanza in a run-owned repository: ``stanza-create``, ``backup``, ``archive-push``, ``restore``).

A mechanism says how the primary archives its WAL (:meth:`Mechanism.primary_settings`), takes the base
backup (:meth:`Mechanism.backup`) and lays down a new cluster from backup plus WAL
(:meth:`Mechanism.restore`, returning the settings the restored server starts with: its restore_command).
Recovery then runs to the end of the archived WAL, the latest consistent point, and the server promotes.
"""

from __future__ import annotations

import json
import shlex
from typing import Protocol

from stackcheck.infra.pitr import DRILL_USER, DrillCluster, DrillDir, archive_settings
from stackcheck.infra.pitr_exec import LocalExecutor
from stackcheck.probes.archiver import pgbackrest_binary
from stackcheck.profile.backup import BackupMechanism

__all__ = ["BaseBackup", "Mechanism", "PgBackRest", "mechanism_for"]

STANZA = "drill"


class Mechanism(Protocol):
    """One way of backing up and restoring the drill's primary."""

    name: str

    def primary_settings(self) -> dict[str, str]:
        """Server settings that make the primary archive its WAL with this mechanism."""

    def prepare(self, primary: DrillCluster) -> None:
        """Set up once the primary runs (pgBackRest: the stanza)."""

    def backup(self, primary: DrillCluster) -> None:
        """Take a base backup of the running primary."""

    def restore(self, into: DrillCluster) -> dict[str, str]:
        """Write the backup into ``into.data`` (which does not exist yet) with a recovery.signal; return the
        settings the restored server starts with."""


def _signal_recovery(cluster: DrillCluster, drill: DrillDir) -> None:
    signal_file = cluster.data / "recovery.signal"
    signal_file.touch()
    drill.chown(signal_file)


class BaseBackup:
    """``pg_basebackup`` (plain format, the WAL it needs streamed along) plus ``archive_command`` copying
    every finished segment into the drill's archive; the restore copies the backup and reads the archive."""

    name = "basebackup"

    def __init__(self, drill: DrillDir) -> None:
        self.drill = drill
        self.base = drill.root / "basebackup"

    def primary_settings(self) -> dict[str, str]:
        """archive_command into the drill's archive."""
        return archive_settings(self.drill.archive)

    def prepare(self, primary: DrillCluster) -> None:
        """Nothing to set up."""

    def backup(self, primary: DrillCluster) -> None:
        """``pg_basebackup -X stream -c fast`` over the primary's socket."""
        self.drill.executor.run(
            [
                self.drill.executor.tool("pg_basebackup"), "-D", str(self.base), "-h", str(primary.home),
                "-p", str(primary.port), "-U", DRILL_USER, "-X", "stream", "-c", "fast", "--no-sync",
            ],
            "pg_basebackup",
        )  # fmt: skip

    def restore(self, into: DrillCluster) -> dict[str, str]:
        """Copy the base backup into place; restore_command reads the drill's archive."""
        self.drill.executor.run(["cp", "-a", str(self.base), str(into.data)], "copying the base backup")
        _signal_recovery(into, self.drill)
        archive = shlex.quote(str(self.drill.archive))
        return {"restore_command": f"cp {archive}/%f %p", "archive_mode": "off"}


class PgBackRest:
    """pgBackRest with its repository, lock, log and spool folders in the drill's directory."""

    name = "pgbackrest"

    def __init__(self, drill: DrillDir, primary: DrillCluster) -> None:
        self.drill = drill
        # The host's pgbackrest for local servers; the image's in containers (it runs archive-push there).
        executor = drill.executor
        local = isinstance(executor, LocalExecutor)
        self.binary = str(pgbackrest_binary()) if local else executor.tool("pgbackrest")
        home = drill.folder("pgbackrest")
        for sub in ("repo", "lock", "log", "spool"):
            drill.folder(f"pgbackrest/{sub}")
        self.config = home / "pgbackrest.conf"
        self.config.write_text(
            "\n".join(
                [
                    "[global]",
                    f"repo1-path={home / 'repo'}",
                    f"lock-path={home / 'lock'}",
                    f"log-path={home / 'log'}",
                    f"spool-path={home / 'spool'}",
                    "log-level-console=warn",
                    "log-level-file=off",
                    "start-fast=y",
                    "compress-type=none",  # the drill measures the restore, not a compressor
                    "archive-timeout=60",
                    "repo1-retention-full=1",  # the drill keeps one backup: no retention warning
                    f"[{STANZA}]",
                    f"pg1-path={primary.data}",
                    f"pg1-socket-path={primary.home}",
                    f"pg1-user={DRILL_USER}",
                    "",
                ]
            )
        )
        drill.chown(self.config)
        self.primary = primary

    def _run(self, *args: str, what: str) -> str:
        argv = [str(self.binary), f"--config={self.config}", f"--stanza={STANZA}", *args]
        return self.drill.executor.run(argv, f"pgbackrest {what}")

    def primary_settings(self) -> dict[str, str]:
        """archive_command = ``pgbackrest archive-push``."""
        push = f"{shlex.quote(str(self.binary))} --config={shlex.quote(str(self.config))} --stanza={STANZA}"
        return {"archive_mode": "on", "archive_command": f"{push} archive-push %p"}

    def prepare(self, primary: DrillCluster) -> None:
        """``stanza-create`` once the primary runs (its port is known only then)."""
        self._run(f"--pg1-port={primary.port}", "stanza-create", what="stanza-create")

    def backup(self, primary: DrillCluster) -> None:
        """A full backup (``pgbackrest backup --type=full``)."""
        self._run(f"--pg1-port={primary.port}", "--type=full", "backup", what="backup")

    def restore(self, into: DrillCluster) -> dict[str, str]:
        """``pgbackrest restore`` into the new data directory; it writes the restore_command
        (``archive-get``) and the recovery.signal itself."""
        into.data.mkdir(mode=0o700)
        self.drill.chown(into.data)
        self._run(f"--pg1-path={into.data}", "--type=default", "restore", what="restore")
        return {"archive_mode": "off"}

    def info(self) -> dict[str, object]:
        """``pgbackrest info --output=json`` of the drill's stanza (the first entry)."""
        parsed = json.loads(self._run("--output=json", "info", what="info") or "[]")
        return parsed[0] if isinstance(parsed, list) and parsed else {}


def mechanism_for(name: BackupMechanism, drill: DrillDir, primary: DrillCluster) -> Mechanism:
    """The mechanism ``backup.mechanism`` names."""
    if name == "pgbackrest":
        return PgBackRest(drill, primary)
    return BaseBackup(drill)
