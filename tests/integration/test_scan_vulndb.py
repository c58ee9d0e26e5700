"""image.vulnerabilities for real, offline: trivy scans local images against a DB that tools/trivydb builds
from our own test advisories (fixtures/vulndb). With the planted advisories the check fails and names them
(report.json findings[] and results.sarif); with the same advisories already fixed below the installed
versions it passes; without a DB it is skipped with the reason — never passed.

Skips only when the Docker engine or the local images, trivy, or Go (to build tools/trivydb) are absent.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from stackcheck._exceptions import CouldNotCheck
from stackcheck.catalog import scan as scan_checks
from stackcheck.scan.toolcache import locate
from stackcheck.scan.vulndb import DEFAULT_FIXTURES, TRIVYDB
from stackcheck.settings import Settings
from tests.integration.scan_helpers import tool

pytestmark = pytest.mark.integration

REPO = Path(__file__).resolve().parents[2]
PATCHED = REPO / "fixtures" / "vulndb" / "patched"
REDIS8, REDIS7 = "stackcheck/redis:8", "stackcheck/redis:7"  # Debian 13 and Debian 12
VULNS = scan_checks.VULNERABILITIES.id


def _need_builder() -> None:
    """Skip unless tools/trivydb is built already or Go is there to build it."""
    try:
        locate(TRIVYDB, Settings.from_environ())
        return
    except CouldNotCheck:
        pass
    if not (shutil.which("go") or Path("/usr/local/go/bin/go").exists()):
        pytest.skip("building tools/trivydb needs Go >= 1.26 (none on PATH or in /usr/local/go/bin)")


def _need_images() -> None:
    if shutil.which("docker") is None:
        pytest.skip("needs the Docker engine (fixtures/images/ensure-docker.sh)")
    probe = subprocess.run(["docker", "image", "inspect", REDIS8, REDIS7], capture_output=True, check=False)
    if probe.returncode != 0:
        pytest.skip(f"needs the local images {REDIS8} and {REDIS7} (python fixtures/images/build_images.py)")


def _builder(cache_dir: Path, *fixtures: Path) -> subprocess.CompletedProcess[str]:
    """``python -m stackcheck.scan.vulndb`` as a subprocess (builds tools/trivydb into the cache if stale)."""
    argv = [sys.executable, "-m", "stackcheck.scan.vulndb", "--cache-dir", str(cache_dir)]
    for source in fixtures:
        argv += ["--fixtures", str(source)]
    return subprocess.run(argv, capture_output=True, text=True, timeout=900, check=False)


def _build(cache_dir: Path, *fixtures: Path) -> str:
    proc = _builder(cache_dir, *fixtures)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return proc.stdout


@pytest.fixture(scope="module")
def dbs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Two trivy cache folders: the planted advisories, and the same ones patched below the images."""
    _need_builder()
    root = tmp_path_factory.mktemp("vulndb")
    _build(root / "vulnerable", DEFAULT_FIXTURES)
    _build(root / "patched", DEFAULT_FIXTURES, PATCHED)
    return {"vulnerable": root / "vulnerable", "patched": root / "patched"}


def _scan(run_cli: Callable[..., Any], tmp_path: Path, db: Path | None, name: str) -> tuple[Any, Path]:
    tool("trivy")
    _need_images()
    lines = [f"name: {name}", "scan:", f"  images: {json.dumps([REDIS8, REDIS7])}"]
    if db is not None:
        lines.append(f"  vulnerability_db: {json.dumps(str(db))}")
    profile = tmp_path / f"{name}.yaml"
    profile.write_text("\n".join(lines) + "\n")
    out = tmp_path / f"out-{name}"
    run = run_cli("scan", "--profile", str(profile), "--report-dir", str(out))
    assert (out / "report.json").is_file(), run.stdout + run.stderr
    return run, out


def _vuln_results(out: Path) -> dict[str, dict[str, Any]]:
    report = json.loads((out / "report.json").read_text())
    return {r["subject"]: r for r in report["results"] if r["id"] == VULNS}


def _vuln_findings(out: Path) -> list[dict[str, Any]]:
    report = json.loads((out / "report.json").read_text())
    return [f for f in report["findings"] if f["tool"] == "trivy" and f["rule_id"].startswith("SC-TEST-")]


def test_planted_advisories_fail_image_vulnerabilities_and_are_listed(
    dbs: dict[str, Path], tmp_path: Path, run_cli: Callable[..., Any]
) -> None:
    run, out = _scan(run_cli, tmp_path, dbs["vulnerable"], "vulnerable")
    assert run.code == 1, run.stdout + run.stderr
    results = _vuln_results(out)
    assert results[REDIS8]["status"] == "failed", results[REDIS8]
    assert results[REDIS7]["status"] == "failed", results[REDIS7]

    findings = _vuln_findings(out)
    by_image: dict[str, set[str]] = {REDIS8: set(), REDIS7: set()}
    for f in findings:
        by_image[REDIS8 if f["file"].startswith(REDIS8) else REDIS7].add(f["rule_id"])
    # Debian 13's redis and openssl advisories hit redis:8, Debian 12's redis advisory hits redis:7 only;
    # the zlib advisory fixed before the installed version and the nginx one (not installed) never match.
    assert by_image == {
        REDIS8: {"SC-TEST-2026-0001", "SC-TEST-2026-0002"},
        REDIS7: {"SC-TEST-2026-0005"},
    }, findings
    redis = next(f for f in findings if f["rule_id"] == "SC-TEST-2026-0001")
    assert redis["severity"] == "high" and redis["status"] == "open"
    assert "redis-server 5:8.0.2" in redis["message"] and "fixed in 5:8.2.0-1~deb13u1" in redis["message"]
    assert {f["severity"] for f in findings if f["rule_id"] == "SC-TEST-2026-0005"} == {"critical"}
    # every affected binary package is a finding: redis-server + redis-tools, libssl3t64 + the legacy provider
    assert results[REDIS8]["evidence"]["observed"] == sum(f["file"].startswith(REDIS8) for f in findings) >= 2
    summary = (out / "summary.md").read_text()
    assert "SC-TEST-2026-0001" in summary and "SC-TEST-2026-0005" in summary

    sarif = json.loads((out / "results.sarif").read_text())
    trivy_runs = [r for r in sarif["runs"] if r["tool"]["driver"]["name"].lower() == "trivy"]
    assert len(trivy_runs) == 1
    sarif_rules = {res["ruleId"] for res in trivy_runs[0]["results"]}
    assert {"SC-TEST-2026-0001", "SC-TEST-2026-0002", "SC-TEST-2026-0005"} <= sarif_rules
    assert not {"SC-TEST-2026-0003", "SC-TEST-2026-0004"} & sarif_rules


def test_advisories_fixed_below_the_installed_versions_pass_image_vulnerabilities(
    dbs: dict[str, Path], tmp_path: Path, run_cli: Callable[..., Any]
) -> None:
    run, out = _scan(run_cli, tmp_path, dbs["patched"], "patched")
    assert run.code in (0, 1), run.stdout + run.stderr  # trivy ran (image.trivy may fail on these images)
    results = _vuln_results(out)
    assert results[REDIS8]["status"] == "passed", results[REDIS8]
    assert results[REDIS7]["status"] == "passed", results[REDIS7]
    assert _vuln_findings(out) == []


@pytest.mark.parametrize("configured", [False, True], ids=["unset", "folder-without-db"])
def test_without_a_db_image_vulnerabilities_is_skipped_with_the_reason(
    configured: bool, tmp_path: Path, run_cli: Callable[..., Any]
) -> None:
    empty = tmp_path / "no-db"
    empty.mkdir()
    _, out = _scan(run_cli, tmp_path, empty if configured else None, "nodb")
    results = _vuln_results(out)
    for image in (REDIS8, REDIS7):
        assert results[image]["status"] == "skipped", results[image]
        assert "vulnerability database" in results[image]["message"]
        if configured:
            assert "no-db/db/trivy.db" in results[image]["message"]
    assert _vuln_findings(out) == []


def test_the_db_build_is_idempotent_and_replaces_stale_advisories(tmp_path: Path) -> None:
    _need_builder()
    cache = tmp_path / "cache"
    assert _build(cache, DEFAULT_FIXTURES).startswith("built ")
    db_file = cache / "db" / "trivy.db"
    first = db_file.stat().st_mtime_ns
    assert "up to date" in _build(cache, DEFAULT_FIXTURES)
    assert db_file.stat().st_mtime_ns == first
    meta = json.loads((cache / "db" / "metadata.json").read_text())
    assert meta["Version"] == 2 and meta["NextUpdate"] > meta["UpdatedAt"]
    # Other fixtures rebuild from scratch into a new file: nothing of the old DB lingers.
    one = tmp_path / "one.yaml"
    one.write_text((DEFAULT_FIXTURES / "debian.yaml").read_text().split("- bucket: debian 12")[0])
    rebuilt = _build(cache, one)
    assert rebuilt.startswith("built ") and "debian 13=4" in rebuilt, rebuilt
    assert "debian 12" not in rebuilt and "vulnerability=" not in rebuilt, rebuilt
    broken = tmp_path / "broken.yaml"
    broken.write_text("- bucket: debian 13\n  pairs: [unclosed\n")
    proc = _builder(cache, broken)
    assert proc.returncode == 3 and "trivydb failed" in proc.stderr, proc.stderr
    assert db_file.is_file(), "a failed build must leave the previous DB in place"
