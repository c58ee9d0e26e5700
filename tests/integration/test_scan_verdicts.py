"""Issue 11's scan verdicts, through ``stackcheck scan`` and the real checkov, bandit and detect-secrets on
planted files: one path convention for every scanner (run from another working directory), files a
scanner cannot read are ``error`` naming them, nothing to scan is ``skipped``, and the custom policies
neither flag the Docker secrets convention nor repeat checkov's built-ins."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from stackcheck.catalog import scan as scan_checks
from stackcheck.catalog import secrets as secret_checks
from tests.integration.scan_helpers import tool

pytestmark = pytest.mark.integration

GH_TOKEN = "ghp_" + "k3J9xQ2mN7bV5cZ8aL1sD4fG6hJ0kL2pQ9rT"  # built at run time: this file holds none
PASSWORD = "Canary-" + "Pw-91e7c3a5"

PUBLIC_BUCKET_AND_OPEN_SG = """\
resource "aws_s3_bucket" "public" {
  bucket = "demo-public"
  acl    = "public-read"
}

resource "aws_security_group" "open" {
  name = "open"
  ingress {
    from_port   = 22
    to_port     = 22
    protocol    = "tcp"
    cidr_blocks = ["0.0.0.0/0"]
  }
}
"""
# The same file with the bucket's closing brace missing: checkov cannot parse it.
UNPARSEABLE_TF = PUBLIC_BUCKET_AND_OPEN_SG.replace('"public-read"\n}\n', '"public-read"\n', 1)
INHERITING_DOCKERFILE = """\
FROM python:3.12-slim AS base
RUN useradd --uid 1000 app
USER app
HEALTHCHECK CMD curl -f http://localhost:8080/health || exit 1

FROM base
COPY app.py /app/app.py
CMD ["python", "/app/app.py"]
"""
ROOT_DOCKERFILE = 'FROM python:3.12-slim\nRUN pip install flask\nCMD ["python"]\n'
COMPOSE = """\
services:
  db:
    image: postgres:16
    environment:
      - POSTGRES_USER=app
      - POSTGRES_PASSWORD_FILE=/run/secrets/db_password
    secrets: [db_password]
  app:
    image: app:1
    environment:
      - LOG_LEVEL=info
      - API_KEY=live-key-1234
secrets:
  db_password:
    file: ./db_password.txt
"""


def _need_scanners() -> None:
    for name in ("checkov", "bandit", "detect-secrets"):
        tool(name)


def _scan(
    run_cli: Callable[..., Any], profile: Path, out: Path, cwd: Path, code: int
) -> tuple[dict[str, Any], str]:
    run = run_cli("scan", "--profile", str(profile), "--report-dir", str(out), cwd=cwd, timeout=600)
    assert run.code == code, run.stdout + run.stderr
    return json.loads((out / "report.json").read_text()), run.stdout


def _result(report: dict[str, Any], check_id: str) -> dict[str, Any]:
    return next(r for r in report["results"] if r["id"] == check_id)


def _repo(root: Path) -> None:
    (root / "infra").mkdir(parents=True)
    (root / "docker" / "inherits").mkdir(parents=True)
    (root / "docker" / "root").mkdir(parents=True)
    (root / "app").mkdir()
    (root / "infra" / "main.tf").write_text(PUBLIC_BUCKET_AND_OPEN_SG)
    (root / "docker" / "inherits" / "Dockerfile").write_text(INHERITING_DOCKERFILE)
    (root / "docker" / "root" / "Dockerfile").write_text(ROOT_DOCKERFILE)
    (root / "infra" / "docker-compose.yml").write_text(COMPOSE)
    (root / "app" / "settings.py").write_text(
        "import subprocess\n"
        f'password = "{PASSWORD}"\n'
        f'GITHUB_TOKEN = "{GH_TOKEN}"  # pragma: allowlist secret\n'
        "subprocess.call('ls', shell=True)\n"
    )


def test_every_scanner_names_files_relative_to_the_profile_folder_from_any_working_directory(
    tmp_path: Path, run_cli: Callable[..., Any]
) -> None:
    _need_scanners()
    repo = tmp_path / "repo"
    _repo(repo)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    profile = repo / "scan.yaml"
    waiver = "{check: %s, subject: '%s', owner: me, expires: 2099-01-01, reason: planted}"
    profile.write_text(
        "name: planted\nscan:\n  iac_paths: [infra, docker]\n  code_paths: [app]\n  secret_paths: [app]\n"
        "  frameworks: [terraform, dockerfile, yaml]\nwaivers:\n"
        + "".join(
            f"  - {waiver % pair}\n"
            for pair in (
                ("'checkov:CKV_AWS_24'", "infra/*.tf"),
                ("'bandit:B105'", "app/*.py"),
                ("'detect-secrets:SecretKeyword'", "app/*.py"),
            )
        )
    )
    report, _ = _scan(run_cli, profile, tmp_path / "out", elsewhere, code=1)
    files = {(f["tool"], f["file"]) for f in report["findings"]}
    assert {t for t, _ in files} == {"checkov", "bandit", "detect-secrets"}, files
    for tool_name, file in files:
        assert not file.startswith("/") and (repo / file).is_file(), (tool_name, file)
    # A correct waiver works for every tool alike: none is stale.
    assert [w["state"] for w in report["waivers"]] == ["active"] * 3, report["waivers"]
    secrets = {(f["rule_id"], f["status"]) for f in report["findings"] if f["tool"] == "detect-secrets"}
    assert ("GitHubToken", "suppressed") in secrets and ("SecretKeyword", "waived") in secrets, secrets
    sarif = json.loads((tmp_path / "out" / "results.sarif").read_text())
    for run in sarif["runs"]:
        if run["tool"]["driver"]["name"] == "stackcheck":
            continue
        assert run["originalUriBaseIds"]["SRCROOT"]["uri"] == repo.resolve().as_uri() + "/"
        for result in run["results"]:
            artifact = result["locations"][0]["physicalLocation"]["artifactLocation"]
            assert artifact["uriBaseId"] == "SRCROOT" and (repo / artifact["uri"]).is_file(), artifact
    # Custom policies: the inherited USER/HEALTHCHECK passes, the Docker secrets convention is no literal,
    # a Dockerfile without USER/HEALTHCHECK is reported once (by the built-ins), list-style env by service.
    checkov = [f for f in report["findings"] if f["tool"] == "checkov"]
    by_file: dict[str, set[str]] = {}
    for f in checkov:
        by_file.setdefault(f["file"], set()).add(f["rule_id"])
    assert not {"CKV_SC_1", "CKV_SC_2"} & by_file.get("docker/inherits/Dockerfile", set()), by_file
    assert {"CKV_DOCKER_2", "CKV_DOCKER_3"} <= by_file["docker/root/Dockerfile"]
    assert not {"CKV_SC_1", "CKV_SC_2"} & by_file["docker/root/Dockerfile"]
    literal = [f for f in checkov if f["rule_id"] == "CKV_SC_7"]
    assert [(f["file"], f["line"]) for f in literal] == [("infra/docker-compose.yml", 9)], literal
    assert {"CKV_AWS_24", "CKV_AWS_20"} <= by_file["infra/main.tf"]


def test_files_the_scanners_cannot_read_are_an_error_naming_them_and_the_fixed_files_fail(
    tmp_path: Path, run_cli: Callable[..., Any]
) -> None:
    _need_scanners()
    broken = tmp_path / "broken"
    (broken / "infra").mkdir(parents=True)
    (broken / "app").mkdir()
    (broken / "infra" / "main.tf").write_text(UNPARSEABLE_TF)
    (broken / "infra" / "docker-compose.yml").write_text(
        'services:\n  db:\n    image: "postgres:16\n   x: [\n'
    )
    (broken / "app" / "app.py").write_text(
        "import subprocess\ndef f(:\n    subprocess.call('ls', shell=True)\n"
    )
    profile = broken / "scan.yaml"
    profile.write_text(
        "name: broken\nscan:\n  iac_paths: [infra]\n  code_paths: [app]\n  frameworks: [terraform, yaml]\n"
    )
    report, stdout = _scan(run_cli, profile, tmp_path / "out", tmp_path, code=3)
    iac, code = _result(report, scan_checks.IAC.id), _result(report, scan_checks.CODE.id)
    assert iac["status"] == "error" and iac["error_reason"] == "unexpected_answer", iac
    assert "infra/main.tf" in iac["message"] and "infra/docker-compose.yml" in iac["message"], iac["message"]
    assert code["status"] == "error" and "app/app.py" in code["message"], code
    assert iac["evidence"]["observed"] is None and code["evidence"]["observed"] is None
    error_lines = [line for line in stdout.splitlines() if line.lstrip().startswith("ERROR")]
    assert len(error_lines) == 2 and not any("observed" in line for line in error_lines), error_lines
    # The same files, readable: the public bucket, the open security group and shell=True fail.
    (broken / "infra" / "main.tf").write_text(PUBLIC_BUCKET_AND_OPEN_SG)
    (broken / "infra" / "docker-compose.yml").write_text("services:\n  db:\n    image: postgres:16\n")
    (broken / "app" / "app.py").write_text("import subprocess\nsubprocess.call('ls', shell=True)\n")
    fixed, _ = _scan(run_cli, profile, tmp_path / "out-fixed", tmp_path, code=1)
    assert _result(fixed, scan_checks.IAC.id)["status"] == "failed"
    assert _result(fixed, scan_checks.CODE.id)["status"] == "failed"
    rules = {f["rule_id"] for f in fixed["findings"] if f["status"] == "open"}
    assert {"CKV_AWS_20", "CKV_AWS_24", "B602"} <= rules, rules


def test_a_tree_without_iac_or_python_is_skipped_saying_so_never_passed(
    tmp_path: Path, run_cli: Callable[..., Any]
) -> None:
    _need_scanners()
    tree = tmp_path / "docs-only"
    tree.mkdir()
    (tree / "README.md").write_text("# nothing to scan here\n")
    profile = tmp_path / "scan.yaml"
    profile.write_text("name: empty\nscan: {iac_paths: [docs-only], code_paths: [docs-only]}\n")
    report, _ = _scan(run_cli, profile, tmp_path / "out", tmp_path, code=0)
    iac, code = _result(report, scan_checks.IAC.id), _result(report, scan_checks.CODE.id)
    assert iac["status"] == "skipped" and "no IaC file" in iac["message"], iac
    assert code["status"] == "skipped" and "no Python file" in code["message"], code
    assert _result(report, secret_checks.REPO.id)["status"] == "passed"  # detect-secrets read README.md
    assert report["summary"]["passed"] == 1


def _slow_to_parse(resources: str) -> str:
    # A valid Terraform file that takes python-hcl2 well over 10 s to parse (~20 s alone on a 2-core
    # machine): a generated lookup table of 300,000 numbers, as generated modules carry.
    table = ",".join(str(i % 997) for i in range(300_000))
    return f"{resources}\nlocals {{\n  table = [{table}]\n}}\n"


def test_a_large_valid_terraform_file_is_judged_not_reported_unparseable(
    tmp_path: Path, run_cli: Callable[..., Any]
) -> None:
    # checkov's own 10 s per-file parse timeout reported a valid 1 MB file as a parsing error (scan.iac
    # `error`, its findings lost); stackcheck turns it off (the scanner process keeps its own bound).
    tool("checkov")
    tree = tmp_path / "generated"
    (tree / "infra").mkdir(parents=True)
    profile = tree / "scan.yaml"
    profile.write_text("name: generated\nscan:\n  iac_paths: [infra]\n  frameworks: [terraform]\n")
    (tree / "infra" / "main.tf").write_text(_slow_to_parse(PUBLIC_BUCKET_AND_OPEN_SG))
    report, _ = _scan(run_cli, profile, tmp_path / "out", tmp_path, code=1)
    iac = _result(report, scan_checks.IAC.id)
    assert iac["status"] == "failed", iac
    rules = {f["rule_id"] for f in report["findings"] if f["status"] == "open"}
    assert {"CKV_AWS_20", "CKV_AWS_24"} <= rules, rules
    # The same file under a profile that does not run the rules it breaks: read, judged, passed.
    skip = ", ".join(sorted(rules))
    profile.write_text(
        f"name: generated\nscan:\n  iac_paths: [infra]\n  frameworks: [terraform]\n  skip: [{skip}]\n"
    )
    clean, _ = _scan(run_cli, profile, tmp_path / "out-clean", tmp_path, code=0)
    result = _result(clean, scan_checks.IAC.id)
    assert result["status"] == "passed" and result["evidence"]["details"]["passed_checks"] > 0, result
