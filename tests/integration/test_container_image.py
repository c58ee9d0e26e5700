"""stackcheck's own container image (fixtures/images/stackcheck/Dockerfile): it builds offline from the
host's wheelhouse, verifies the reference service from inside the container (host network, the profile
mounted read-only, the report written to a mounted folder), and stackcheck's own scan of its Dockerfile
and of the built image is compliant (the HEALTHCHECK NONE of a one-shot CLI waived with its reason)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from conftest import DEMO_PROFILE, REPO_ROOT
from fixtures.refservice import RefService
from tests.integration.scan_helpers import tool

pytestmark = [pytest.mark.integration, pytest.mark.docker]

TAG = "stackcheck:dev"
UID = 10001  # the Dockerfile's USER
BUILD = REPO_ROOT / "fixtures" / "images" / "build_stackcheck_image.py"
SCAN_PROFILE = REPO_ROOT / "fixtures" / "images" / "stackcheck" / "scan.yaml"


@pytest.fixture(scope="module")
def image() -> str:
    """``stackcheck:dev`` (WITH_SCANNERS=0), built or kept by the build script (idempotent)."""
    if (
        os.geteuid() != 0
        and subprocess.run(
            ["docker", "image", "inspect", "stackcheck/debian:bookworm"], capture_output=True, check=False
        ).returncode
    ):
        pytest.skip("the base image stackcheck/debian:bookworm is missing and building it needs root")
    proc = subprocess.run(
        [sys.executable, str(BUILD), "--tag", TAG], capture_output=True, text=True, timeout=900, check=False
    )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return TAG


@pytest.fixture
def docker_run() -> Iterator[Callable[..., subprocess.CompletedProcess[str]]]:
    """``docker run --rm --network host --name stackcheck-test-image-<id> ...``; each container this test
    started is removed afterwards, also when the test fails or times out."""
    names: list[str] = []

    def run(*args: str, timeout: float = 240) -> subprocess.CompletedProcess[str]:
        name = f"stackcheck-test-image-{uuid.uuid4().hex[:10]}"
        names.append(name)
        cmd = ["docker", "run", "--rm", "--network", "host", "--name", name, *args]
        return subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, check=False)

    yield run
    for name in names:
        subprocess.run(["docker", "rm", "-f", name], capture_output=True, check=False)


def writable_for_image(folder: Path) -> Path:
    """A report folder the image's user (UID 10001) can write: chowned as root, else opened to all."""
    folder.mkdir(parents=True)
    if os.geteuid() == 0:
        os.chown(folder, UID, UID)
    else:
        folder.chmod(0o777)
    return folder


def test_version_runs_as_the_non_root_user(image: str, docker_run: Callable[..., Any]) -> None:
    version = docker_run(image, "--version")
    assert version.returncode == 0 and version.stdout.startswith("stackcheck "), version.stderr
    ident = docker_run("--entrypoint", "id", image, "-u")
    assert ident.stdout.strip() == str(UID), ident.stdout + ident.stderr


def test_verify_from_the_container_against_the_reference_service(
    image: str, docker_run: Callable[..., Any], tmp_path: Path
) -> None:
    reports = writable_for_image(tmp_path / "reports")
    with RefService(DEMO_PROFILE) as service:
        proc = docker_run(
            *("-v", f"{DEMO_PROFILE}:/profiles/demo.yaml:ro", "-v", f"{reports}:/work/reports"),
            image,
            *("verify", "--profile", "/profiles/demo.yaml", "--target", service.url, "--suite", "health"),
            *("--report-dir", "/work/reports/health"),
        )
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    report = json.loads((reports / "health" / "report.json").read_text())
    statuses = {r["id"]: r["status"] for r in report["results"]}
    assert statuses["health.live"] == statuses["health.ready"] == "passed", statuses
    assert set(statuses.values()) <= {"passed", "skipped"}, statuses
    assert (reports / "health" / "junit.xml").is_file()
    assert (reports / "health" / "report.json").stat().st_uid == (UID if os.geteuid() == 0 else os.geteuid())


def test_a_defect_fails_from_the_container_too(
    image: str, docker_run: Callable[..., Any], tmp_path: Path
) -> None:
    reports = writable_for_image(tmp_path / "reports")
    with RefService(DEMO_PROFILE, defects=["ready-failing"]) as service:
        proc = docker_run(
            *("-v", f"{DEMO_PROFILE}:/profiles/demo.yaml:ro", "-v", f"{reports}:/work/reports"),
            image,
            *("verify", "--profile", "/profiles/demo.yaml", "--target", service.url, "--suite", "health"),
            *("--report-dir", "/work/reports/health"),
        )
    assert proc.returncode == 1, proc.stdout[-3000:] + proc.stderr[-3000:]
    report = json.loads((reports / "health" / "report.json").read_text())
    assert {r["id"]: r["status"] for r in report["results"]}["health.ready"] == "failed"


def test_stackchecks_own_scan_of_the_dockerfile_and_image_is_compliant(
    image: str, tmp_path: Path, run_cli: Callable[..., Any]
) -> None:
    tool("checkov")
    tool("trivy")
    out = tmp_path / "scan"
    run = run_cli("scan", "--profile", str(SCAN_PROFILE), "--report-dir", str(out))
    assert run.code == 0, run.stdout + run.stderr
    report = json.loads((out / "report.json").read_text())
    got = {(r["id"], r["subject"]): r["status"] for r in report["results"]}
    assert got[("scan.iac", None)] == "waived", got
    assert got[("secrets.repo", None)] == "passed", got
    assert got[("image.trivy", image)] == got[("secrets.image", image)] == "passed", got
    # The only finding is the waived CKV_SC_2 (HEALTHCHECK NONE): non-root (CKV_SC_1, CKV_DOCKER_3), the
    # promised UID (CKV_SC_15) and the multi-stage build (CKV_SC_10) all pass.
    findings = {(f["tool"], f["rule_id"], f["status"]) for f in report["findings"]}
    assert findings == {("checkov", "CKV_SC_2", "waived")}, findings
