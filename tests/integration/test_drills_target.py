"""``drill.restore`` on a team's own drill target through the CLI: a "staging" PostgreSQL backed up by a
real pgBackRest stanza, a destroy script (SIGKILL to its postmaster, data directory removed) and a restore
script (``pgbackrest restore``, then ``pg_ctl start``), as a team would write them. stackcheck writes to the
target, runs the two scripts and times the restore only with ``--allow-destructive``."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from stackcheck.infra.base import free_port
from stackcheck.infra.pitr import DRILL_USER, DrillCluster, DrillDir
from stackcheck.infra.pitr_mechanisms import PgBackRest
from tests.integration.conftest import verify
from tests.integration.pitr_stack import backed_up_primary

pytestmark = [pytest.mark.integration, pytest.mark.local_binaries]


@dataclass
class Staging:
    """The team's staging: its primary, where a restore lands, and the profile naming both."""

    profile: Path
    called_with: Path  # the restore script writes the {disaster_at} it was given here


@pytest.fixture
def staging(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Staging]:
    """The staging stack; ``request.param`` is the pgbackrest restore --type the team's script uses."""
    restore_type = getattr(request, "param", "default")
    if shutil.which("runuser") is None or os.geteuid() != 0:
        pytest.skip("needs runuser and root (the team's scripts act as the postgres user)")
    with backed_up_primary() as (drill, primary, tool):
        bindir = primary.bindir
        restored_home, port = drill.folder("restored"), free_port()
        try:
            yield _staging(tmp_path, drill, primary, tool, restored_home, port, restore_type)
        finally:
            subprocess.run(
                ["runuser", "-u", "postgres", "--", str(bindir / "pg_ctl"), "-D", str(restored_home / "data"),
                 "stop", "-m", "immediate"],
                capture_output=True, timeout=60, check=False,
            )  # fmt: skip


def _staging(
    tmp_path: Path,
    drill: DrillDir,
    primary: DrillCluster,
    tool: PgBackRest,
    restored_home: Path,
    port: int,
    restore_type: str,
) -> Staging:
    """The team's scripts and the profile naming them."""
    bindir = primary.bindir
    called_with = drill.root / "disaster_at.txt"
    destroy = drill.root / "destroy.sh"
    destroy.write_text(
        f"#!/bin/sh\nkill -9 $(head -1 {primary.data}/postmaster.pid)\nrm -rf {primary.data}\n"
    )
    restore = drill.root / "restore.sh"
    data = restored_home / "data"
    server = f"-c port={port} -c listen_addresses= -c unix_socket_directories={restored_home}"
    restore.write_text(
        "#!/bin/sh\nset -e\n"
        f'echo "$1" > {called_with}\n'
        f"runuser -u postgres -- mkdir -m 700 {data}\n"
        f"runuser -u postgres -- pgbackrest --config={tool.config} --stanza=drill "
        f"--pg1-path={data} --type={restore_type} restore\n"
        f"runuser -u postgres -- {bindir}/pg_ctl -D {data} -l {restored_home}/log -o '{server}' start\n"
    )
    for script in (destroy, restore):
        script.chmod(0o755)
    target = {
        "dsn": primary.dsn,
        "restored_dsn": f"host={restored_home} port={port} user={DRILL_USER} dbname=postgres",
        "destroy_command": [str(destroy)],
        "restore_command": [str(restore), "{disaster_at}"],
    }
    drill_keys = {"write_s": 6, "restore_timeout_s": 20, "target": target}
    backup = {"rpo_minutes": 0.1, "rto_minutes": 2, "drill": drill_keys}
    profile = tmp_path / "staging.yaml"
    profile.write_text(yaml.safe_dump({"name": "staging-drill", "backup": backup}))
    return Staging(profile, called_with)


def test_the_teams_restore_command_is_timed_and_its_data_verified_only_with_allow_destructive(
    tmp_path: Path, staging: Staging
) -> None:
    refused = verify(staging.profile, "--suite", "drills", "--infra", "external", report_dir=tmp_path / "a")
    assert refused.code == 0, refused.stdout + refused.stderr
    (result,) = refused.results("drill.restore")
    assert result["status"] == "skipped" and "--allow-destructive" in result["message"]
    assert not staging.called_with.exists()  # nothing was run against the target

    args = ["--suite", "drills", "--infra", "external", "--allow-destructive"]
    run = verify(staging.profile, *args, report_dir=tmp_path / "b")
    assert run.code == 0, run.stdout + run.stderr
    details = run.results("drill.restore")[0]["evidence"]["details"]
    assert details["mechanism"] == "target" and details["checksum_match"], details
    assert 0 < details["rows_restored"] <= details["rows_written"] and details["rto_s"] > 0
    assert "T" in staging.called_with.read_text()  # {disaster_at} reached the team's command, ISO 8601


@pytest.mark.parametrize("staging", ["immediate"], indirect=True)
def test_a_teams_restore_that_stops_at_the_base_backup_fails(tmp_path: Path, staging: Staging) -> None:
    # --type=immediate: recovery ends as soon as the backup is consistent, before any row of the drill (its
    # table was created after the backup): the application's query never answers on the restored server.
    args = ["--suite", "drills", "--infra", "external", "--allow-destructive"]
    run = verify(staging.profile, *args, report_dir=tmp_path / "r")
    assert run.code == 1, run.stdout + run.stderr
    (result,) = run.results("drill.restore")
    assert result["status"] == "failed" and "did not answer" in result["message"], result
