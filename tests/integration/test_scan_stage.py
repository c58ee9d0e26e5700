"""`stackcheck scan` end to end with real scanners: redaction of planted secrets in every artifact, one
waiver policy for findings, inline suppressions listed, and a missing or crashing tool is an error."""

from __future__ import annotations

import datetime as dt
import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from stackcheck.catalog import scan as scan_checks
from stackcheck.catalog import secrets as secret_checks
from tests.integration.scan_helpers import tool

pytestmark = pytest.mark.integration

# Planted secrets: built at run time so this file itself holds none of them.
AWS_KEY = "AKIA" + "Q7ZR3T5W2Y6U4I8O"
GH_TOKEN = "ghp_" + "k3J9xQ2mN7bV5cZ8aL1sD4fG6hJ0kL2pQ9rT"
DB_PASSWORD = "Canary-" + "Pw-91e7c3a5"
ENV_CANARY = "canary-env-" + "5f0c2b8e9d714a36"


def _repo(tmp_path: Path) -> Path:
    repo = tmp_path / "repo"
    (repo / "app").mkdir(parents=True)
    (repo / "infra").mkdir()
    (repo / "app" / "settings.py").write_text(
        "import subprocess\n"
        f'AWS_ACCESS_KEY_ID = "{AWS_KEY}"\n'
        f'password = "{DB_PASSWORD}"\n'
        f'GITHUB_TOKEN = "{GH_TOKEN}"\n'
        "subprocess.call('ls', shell=True)  # nosec B602\n"
        f'FALLBACK = "{ENV_CANARY}"\n'
    )
    (repo / "infra" / "docker-compose.yml").write_text(
        "services:\n  db:\n    image: postgres:16\n    environment:\n"
        f"      POSTGRES_PASSWORD: {DB_PASSWORD}\n"
        f"      DATABASE_URL: postgres://app:{DB_PASSWORD}@db:5432/app\n"
    )
    return repo


def _profile(tmp_path: Path, repo: Path, waivers: str = "") -> Path:
    profile = tmp_path / "scan.yaml"
    profile.write_text(
        "name: planted\n"
        f"scan:\n  iac_paths: [{repo / 'infra'}]\n  code_paths: [{repo / 'app'}]\n"
        f"  secret_paths: [{repo}]\n  frameworks: [yaml]\n  canaries: [PLANTED_CANARY]\n" + waivers
    )
    return profile


def test_planted_secrets_are_found_and_redacted_in_every_file_the_run_wrote(
    tmp_path: Path, run_cli: Callable[..., Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    for name in ("checkov", "bandit", "detect-secrets"):
        tool(name)
    repo = _repo(tmp_path)
    monkeypatch.setenv("PLANTED_CANARY", ENV_CANARY)
    out = tmp_path / "out"
    profile = str(_profile(tmp_path, repo))
    run = run_cli("scan", "--profile", profile, "--report-dir", str(out), "--framework", "pci-dss")
    assert run.code == 1, run.stdout + run.stderr
    report = json.loads((out / "report.json").read_text())
    statuses = {r["id"]: r["status"] for r in report["results"]}
    assert statuses[secret_checks.REPO.id] == "failed" and statuses[scan_checks.CODE.id] == "failed", statuses
    controls = {c["id"]: c["status"] for c in report["controls"]}  # --framework: PCI DSS alone
    assert {c.split(":")[0] for c in controls} == {"PCI-DSS"}
    assert controls["PCI-DSS:8.6.2"] == controls["PCI-DSS:6.2.3"] == "not_met"  # secrets.repo, scan.code
    rules = {(f["tool"], f["rule_id"], f["status"]) for f in report["findings"]}
    assert ("detect-secrets", "AWSAccessKey", "open") in rules
    assert ("bandit", "B105", "open") in rules
    assert ("bandit", "B602", "suppressed") in rules  # honoured, and listed for the auditor
    written = sorted(out.rglob("*"))
    assert {p.name for p in written} >= {"report.json", "junit.xml", "summary.md", "results.sarif"}
    for path in written:
        text = path.read_text(errors="replace")
        for secret in (AWS_KEY, GH_TOKEN, DB_PASSWORD, ENV_CANARY):
            assert secret not in text, f"{secret[:6]}... leaked into {path.name}"
    for secret in (AWS_KEY, GH_TOKEN, DB_PASSWORD, ENV_CANARY):
        assert secret not in run.stdout + run.stderr
    sarif = json.loads((out / "results.sarif").read_text())
    assert sorted(r["tool"]["driver"]["name"] for r in sarif["runs"]) == [
        "bandit",
        "checkov",
        "detect-secrets",
    ]


def test_waivers_cover_findings_and_expired_or_stale_ones_are_reported(
    tmp_path: Path, run_cli: Callable[..., Any]
) -> None:
    for name in ("checkov", "bandit", "detect-secrets"):
        tool(name)
    repo = _repo(tmp_path)
    future, past = dt.date.today() + dt.timedelta(days=30), dt.date.today() - dt.timedelta(days=1)
    waivers = (
        "waivers:\n"
        "  - {check: 'bandit:B105', subject: '*settings.py', owner: sec, reason: test fixture,"
        f" expires: {future}}}\n"
        f"  - {{check: 'checkov:CKV_SC_7', owner: sec, reason: local dev only, expires: {past}}}\n"
        f"  - {{check: 'bandit:B999', owner: sec, reason: nothing to cover, expires: {future}}}\n"
    )
    out = tmp_path / "out"
    run = run_cli("scan", "--profile", str(_profile(tmp_path, repo, waivers)), "--report-dir", str(out))
    report = json.loads((out / "report.json").read_text())
    states = {w["check"]: w["state"] for w in report["waivers"]}
    assert states == {"bandit:B105": "active", "checkov:CKV_SC_7": "expired", "bandit:B999": "stale"}
    b105 = [f for f in report["findings"] if f["rule_id"] == "B105"]
    assert b105 and all(f["status"] == "waived" for f in b105)
    assert run.code == 1 and report["summary"]["expired_waivers"] == 1
    assert "expired" in run.stdout


def test_missing_scanner_is_an_error_with_the_install_hint(
    tmp_path: Path, run_cli: Callable[..., Any]
) -> None:
    repo = _repo(tmp_path)
    out = tmp_path / "out"
    profile = tmp_path / "p.yaml"
    profile.write_text(f"name: missing\nscan: {{code_paths: [{repo / 'app'}], secret_paths: []}}\n")
    env_key = "STACKCHECK_BANDIT"
    os.environ[env_key] = str(tmp_path / "no-such-bandit")
    try:
        run = run_cli("scan", "--profile", str(profile), "--report-dir", str(out))
    finally:
        del os.environ[env_key]
    assert run.code == 3, run.stdout + run.stderr
    code = next(
        r for r in json.loads((out / "report.json").read_text())["results"] if r["id"] == scan_checks.CODE.id
    )
    assert code["status"] == "error" and "STACKCHECK_BANDIT" in code["message"]


def test_crashing_scanner_is_an_error_with_the_tail_of_its_stderr(
    tmp_path: Path, run_cli: Callable[..., Any]
) -> None:
    repo = _repo(tmp_path)
    fake = tmp_path / "bandit"
    fake.write_text(
        "#!/bin/sh\necho 'Traceback (most recent call last):' >&2\n"
        "echo 'ImportError: no module named x' >&2\nexit 2\n"
    )
    fake.chmod(0o755)
    profile = tmp_path / "p.yaml"
    profile.write_text(f"name: crash\nscan: {{code_paths: [{repo / 'app'}], secret_paths: []}}\n")
    out = tmp_path / "out"
    os.environ["STACKCHECK_BANDIT"] = str(fake)
    try:
        run = run_cli("scan", "--profile", str(profile), "--report-dir", str(out))
    finally:
        del os.environ["STACKCHECK_BANDIT"]
    assert run.code == 3, run.stdout + run.stderr
    code = next(
        r for r in json.loads((out / "report.json").read_text())["results"] if r["id"] == scan_checks.CODE.id
    )
    assert code["status"] == "error" and "ImportError: no module named x" in code["message"]


def test_profile_without_scan_section_is_a_one_line_usage_error(
    tmp_path: Path, run_cli: Callable[..., Any]
) -> None:
    profile = tmp_path / "p.yaml"
    profile.write_text("name: nothing\n")
    run = run_cli("scan", "--profile", str(profile))
    assert run.code == 2
    assert run.stderr.count("\n") == 1 and "has no `scan:` section" in run.stderr
