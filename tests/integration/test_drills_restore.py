"""``drill.restore`` through the CLI, both ways, with each mechanism: real PostgreSQL (Debian's local
binaries with ``--infra local``; containers of the run's image, ``stackcheck/postgres:17``, with ``--infra
docker``), real ``pg_basebackup`` and real pgBackRest; a primary stackcheck starts, destroys and restores.

The profiles keep the drills short (8 s of writing after the base backup) with an RPO of 0.1 minutes (6 s):
a primary whose WAL never reaches the archive loses the whole window and fails, whatever the machine's
speed; one that ships a segment every second passes with a wide margin. Timings are reported, not asserted.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path
from typing import Any

import pytest

from stackcheck.wait import wait_until
from tests.integration.conftest import DEFAULT_IMAGES, PROFILES, REPO, Run, cli_env, verify
from tests.integration.test_signals import TOKEN_VAR, run_processes

pytestmark = [pytest.mark.integration]
LOCAL = pytest.mark.local_binaries

DRILL = ["--suite", "drills", "--infra", "local"]
PGBACKREST = ["--set", "backup.mechanism=pgbackrest"]


def _needs_pgbackrest() -> None:
    if shutil.which("pgbackrest") is None:
        pytest.skip("pgbackrest is not installed (apt-get install pgbackrest)")


def _evidence(run: Run) -> dict[str, Any]:
    (result,) = run.results("drill.restore")
    assert result["evidence"], result
    evidence: dict[str, Any] = result["evidence"]
    return evidence


def _own_tmp() -> Path:
    """A temporary directory of one run's own (its TMPDIR), open like /tmp: as root the drill's servers
    run as the postgres user, who must reach their directories in it."""
    tmp = Path(tempfile.mkdtemp(prefix="sc-", dir="/tmp"))
    tmp.chmod(0o1777)
    return tmp


def _drill_dirs(tmp: Path | None = None) -> set[Path]:
    return set((tmp or Path(os.environ.get("TMPDIR", "/tmp"))).glob("stackcheck-drill-*"))


@LOCAL
def test_basebackup_with_archived_wal_restores_every_committed_row_within_the_rpo(tmp_path: Path) -> None:
    tmp = _own_tmp()  # this run's own: see the SIGINT test
    run = verify("drill-restore.yaml", *DRILL, report_dir=tmp_path / "r", env=cli_env(TMPDIR=str(tmp)))
    assert run.code == 0, run.stdout + run.stderr
    evidence = _evidence(run)
    details = evidence["details"]
    assert details["mechanism"] == "basebackup"
    assert details["checksum_match"] and details["bulk_checksum_match"]
    assert details["recovered_past_backup"], details  # WAL beyond the backup came back
    assert 0 < details["rows_restored"] <= details["rows_written"]
    assert details["rpo_s"] < details["window_s"], details
    assert evidence["unit"] == "min" and evidence["observed"]["rpo_minutes"] <= 0.1
    assert details["promoted_new_timeline"]
    assert _drill_dirs(tmp) == set()  # the drill's directory is gone
    tmp.rmdir()


@LOCAL
def test_a_primary_without_wal_archiving_loses_every_write_since_the_base_backup(tmp_path: Path) -> None:
    run = verify("drill-no-archive.yaml", *DRILL, report_dir=tmp_path / "r")
    assert run.code == 1, run.stdout + run.stderr
    assert run.status("drill.restore") == "failed"
    details = _evidence(run)["details"]
    assert details["primary_settings"]["archive_mode"] == "off"
    assert not details["recovered_past_backup"] and details["checksum_match"]  # intact, but old
    assert details["rpo_s"] >= details["window_s"] - 0.5, details
    (result,) = run.results("drill.restore")
    message = result["message"]
    assert "exceeds backup.rpo_minutes 0.1" in message and "after the base backup" in message


@LOCAL
def test_pgbackrest_stanza_backup_archive_push_and_restore_pass_the_drill(tmp_path: Path) -> None:
    _needs_pgbackrest()
    run = verify("drill-restore.yaml", *DRILL, *PGBACKREST, report_dir=tmp_path / "r")
    assert run.code == 0, run.stdout + run.stderr
    details = _evidence(run)["details"]
    assert details["mechanism"] == "pgbackrest"
    assert details["checksum_match"] and details["recovered_past_backup"], details
    assert details["primary_settings"]["archive_mode"] == "on"


@LOCAL
def test_pgbackrest_without_archive_timeout_fails_a_short_rpo(tmp_path: Path) -> None:
    # archive_timeout 0 (PostgreSQL's default): a quiet primary never fills its segment, so archive-push
    # ships nothing after the backup and the drill's whole window is lost.
    _needs_pgbackrest()
    quiet = ["--set", "postgres.server_config.archive_timeout=0"]
    run = verify("drill-restore.yaml", *DRILL, *PGBACKREST, *quiet, report_dir=tmp_path / "r")
    assert run.code == 1, run.stdout + run.stderr
    details = _evidence(run)["details"]
    assert details["mechanism"] == "pgbackrest" and not details["recovered_past_backup"], details


@LOCAL
def test_a_restore_slower_than_the_rto_or_its_bound_fails(tmp_path: Path) -> None:
    # No restore answers within 6 ms (0.0001 minutes): copying the backup alone takes longer.
    slow = verify(
        "drill-restore.yaml", *DRILL, "--set", "backup.rto_minutes=0.0001", report_dir=tmp_path / "a"
    )
    assert slow.code == 1, slow.stdout + slow.stderr
    (result,) = slow.results("drill.restore")
    assert "exceeds backup.rto_minutes" in result["message"], result
    assert result["evidence"]["details"]["checksum_match"]  # the data came back; only too late
    bound = ["--set", "backup.drill.restore_timeout_s=0.001"]
    late = verify("drill-restore.yaml", *DRILL, *bound, report_dir=tmp_path / "b")
    assert late.code == 1, late.stdout + late.stderr
    (result,) = late.results("drill.restore")
    assert "did not answer" in result["message"] and result["evidence"]["details"]["rto_s"] is None


def test_external_infra_never_runs_the_destructive_drill(tmp_path: Path) -> None:
    run = verify("drill-restore.yaml", "--suite", "drills", "--infra", "external", report_dir=tmp_path / "r")
    assert run.code == 0, run.stdout + run.stderr
    (result,) = run.results("drill.restore")
    assert result["status"] == "skipped" and "--infra external" in result["message"]


@LOCAL
def test_sigint_during_the_drill_stops_its_servers_and_removes_its_directory(tmp_path: Path) -> None:
    token = uuid.uuid4().hex
    # A temporary directory of this run's own: the drills of tests running beside it make theirs elsewhere.
    tmp = _own_tmp()
    cmd = [sys.executable, "-m", "stackcheck", "verify", "--profile", str(PROFILES / "drill-restore.yaml"),
           *DRILL, "--report-dir", str(tmp_path / "r")]  # fmt: skip
    proc = subprocess.Popen(
        cmd, cwd=REPO, env=cli_env(**{TOKEN_VAR: token, "TMPDIR": str(tmp)}), start_new_session=True,
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        # Wait for the primary to run (a postgres process of this run), then interrupt as a terminal does.
        assert wait_until(lambda: any("postgres" in c for c in run_processes(token).values()), 60, 0.1)
        assert _drill_dirs(tmp)
        os.killpg(proc.pid, signal.SIGINT)
        proc.communicate(timeout=90)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.communicate(timeout=30)
    assert proc.returncode == 130
    assert wait_until(lambda: not run_processes(token), 20, 0.2), run_processes(token)
    assert _drill_dirs(tmp) == set()
    tmp.rmdir()


# ---- --infra docker: the drill's servers and tools in containers of the run's Postgres image -------------

DOCKER = ["--suite", "drills", "--infra", "docker"]
IMAGE = os.environ.get("STACKCHECK_POSTGRES_IMAGE") or DEFAULT_IMAGES["STACKCHECK_POSTGRES_IMAGE"]


def _needs_image() -> None:
    done = subprocess.run(["docker", "image", "inspect", IMAGE], capture_output=True, check=False)
    if done.returncode != 0:
        pytest.skip(f"image {IMAGE} is not present (sudo fixtures/images/build_images.py)")


def _drill_containers(pid: int) -> list[str]:
    """The drill containers (any state) the stackcheck process ``pid`` left."""
    mine = ["--filter", "name=stackcheck-drill", "--filter", f"label=org.stackcheck.pid={pid}"]
    listed = subprocess.run(
        ["docker", "ps", "-aq", *mine], capture_output=True, text=True, check=True, timeout=60
    )
    return listed.stdout.split()


@pytest.mark.docker
def test_in_containers_of_the_runs_image_the_drill_passes_and_names_the_server_it_drilled(
    tmp_path: Path,
) -> None:
    _needs_image()
    short = ["--set", "backup.drill.write_s=3"]  # only the failing drill needs a window longer than the RPO
    run = verify("drill-restore.yaml", *DOCKER, *short, report_dir=tmp_path / "r")
    assert run.code == 0, run.stdout + run.stderr
    details = _evidence(run)["details"]
    assert details["servers"] == f"docker {IMAGE}", details
    assert details["server_version"].startswith("17"), details  # the image's server, not the host's 15
    assert details["checksum_match"] and details["recovered_past_backup"], details
    assert details["promoted_new_timeline"]
    assert _drill_containers(run.pid) == []


@pytest.mark.docker
def test_in_containers_a_primary_without_wal_archiving_fails_the_rpo(tmp_path: Path) -> None:
    _needs_image()
    run = verify("drill-no-archive.yaml", *DOCKER, report_dir=tmp_path / "r")
    assert run.code == 1, run.stdout + run.stderr
    assert run.status("drill.restore") == "failed"
    details = _evidence(run)["details"]
    assert details["servers"] == f"docker {IMAGE}" and details["primary_settings"]["archive_mode"] == "off"
    assert not details["recovered_past_backup"] and details["checksum_match"], details
    assert _drill_containers(run.pid) == []


@pytest.mark.docker
def test_in_containers_an_absent_image_is_an_error_naming_the_fix_not_a_verdict(tmp_path: Path) -> None:
    env = cli_env(STACKCHECK_POSTGRES_IMAGE="stackcheck/absent-drill:0")
    run = verify("drill-restore.yaml", *DOCKER, report_dir=tmp_path / "r", env=env)
    assert run.code == 3, run.stdout + run.stderr
    (result,) = run.results("drill.restore")
    assert result["status"] == "error" and "build_images.py" in result["message"], result
    assert _drill_containers(run.pid) == []
