"""A throwaway primary backed up by a real pgBackRest stanza: what the backup-drill tests build on."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from stackcheck.infra.pitr import DrillCluster, DrillDir, drill_bindir
from stackcheck.infra.pitr_mechanisms import PgBackRest


@contextmanager
def backed_up_primary() -> Iterator[tuple[DrillDir, DrillCluster, PgBackRest]]:
    """A primary archiving into its stanza (a segment at least every second), with one full backup; the
    primary is stopped and every file removed afterwards. Skips when pgbackrest is not installed."""
    if shutil.which("pgbackrest") is None:
        pytest.skip("pgbackrest is not installed (apt-get install pgbackrest)")
    drill = DrillDir()
    primary = DrillCluster(drill_bindir(), drill.folder("primary"), drill.user)
    try:
        primary.initdb()
        tool = PgBackRest(drill, primary)
        primary.start({**tool.primary_settings(), "archive_timeout": "1"}, 60)
        tool.prepare(primary)
        tool.backup(primary)
        yield drill, primary, tool
    finally:
        primary.close()
        drill.close()
