"""trivy on the reference service's image, built here from its Dockerfile: the compliant image passes
image.trivy and secrets.image, the leaky one (root, no HEALTHCHECK, a credentials file deleted in a later
layer) fails both — from the Docker engine and from a `docker save` tarball — and without a vulnerability
DB image.vulnerabilities is skipped with the reason, never passed."""

from __future__ import annotations

import json
import shutil
import subprocess
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from fixtures.images.refservice.build import BASE_IMAGE, build_image, fake_aws_credentials, save_image
from stackcheck.catalog import scan as scan_checks
from stackcheck.catalog import secrets as secret_checks
from tests.integration.scan_helpers import tool

pytestmark = pytest.mark.integration


def _docker_ready() -> bool:
    if shutil.which("docker") is None:
        return False
    probe = subprocess.run(["docker", "image", "inspect", BASE_IMAGE], capture_output=True, check=False)
    return probe.returncode == 0


@pytest.fixture(scope="module")
def images(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """Both variants, tagged uniquely for this run, plus the leaky one as a tarball; removed afterwards."""
    if not _docker_ready():
        pytest.skip(f"needs the Docker engine and the local base image {BASE_IMAGE} (fixtures/images)")
    run = uuid.uuid4().hex[:8]
    leaked = fake_aws_credentials()
    tags = {
        "compliant": f"stackcheck/refservice-test:{run}-ok",
        "leaky": f"stackcheck/refservice-test:{run}-leaky",
    }
    try:
        build_image(tags["compliant"], "compliant")
        build_image(tags["leaky"], "leaky", leaked=leaked)
        tarball = save_image(tags["leaky"], tmp_path_factory.mktemp("img") / "leaky.tar")
        yield {**tags, "tarball": str(tarball), "leaked": leaked}
    finally:
        subprocess.run(["docker", "rmi", "-f", *tags.values()], capture_output=True, check=False)


def test_image_checks_pass_on_the_compliant_image_and_fail_on_the_leaky_one(
    images: dict[str, str], tmp_path: Path, run_cli: Callable[..., Any]
) -> None:
    tool("trivy")
    profile = tmp_path / "p.yaml"
    profile.write_text(
        "name: images\nscan:\n  images: "
        + json.dumps([images["compliant"], images["leaky"], images["tarball"]])
        + "\n"
    )
    out = tmp_path / "out"
    run = run_cli("scan", "--profile", str(profile), "--report-dir", str(out))
    assert run.code == 1, run.stdout + run.stderr
    report = json.loads((out / "report.json").read_text())
    got = {(r["id"], r["subject"]): r for r in report["results"]}
    ok, leaky = images["compliant"], images["leaky"]
    assert got[(scan_checks.IMAGE.id, ok)]["status"] == "passed"
    assert got[(secret_checks.IMAGE.id, ok)]["status"] == "passed"
    for subject in (leaky, "leaky.tar"):
        assert got[(scan_checks.IMAGE.id, subject)]["status"] == "failed", got[
            (scan_checks.IMAGE.id, subject)
        ]["message"]
        assert got[(secret_checks.IMAGE.id, subject)]["status"] == "failed"
        vulns = got[(scan_checks.VULNERABILITIES.id, subject)]
        assert vulns["status"] == "skipped" and "vulnerability database" in vulns["message"]
    rules = {f["rule_id"] for f in report["findings"] if f["tool"] == "trivy"}
    assert {"DS-0002", "DS-0026", "aws-access-key-id"} <= rules, rules
    secret_values = [line.split("=", 1)[1] for line in images["leaked"].splitlines()]
    for path in out.iterdir():
        text = path.read_text(errors="replace")
        assert not any(v in text for v in secret_values), f"leaked credential in {path.name}"
