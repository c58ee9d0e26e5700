"""Scans: ``stackcheck scan`` beside checkov, bandit and detect-secrets run directly on a generated corpus.

The harness writes one folder per case (Terraform, Dockerfiles, compose, Python, planted secrets), runs
each reference tool **once** over all its cases (from the tool venvs ``python -m stackcheck.scan.tools
install`` builds; scanner start-up dominates) and ``stackcheck scan`` once per row of cases (one IaC, one
code and one secrets case per run: three checks, three scanners). A row agrees when stackcheck's verdict
is the truth, the tool's own reading is the truth, and stackcheck's open findings are the tool's findings
(rule, file), after the case's waivers.
"""

from __future__ import annotations

import fnmatch
import json
import os
import tempfile
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from itertools import zip_longest
from pathlib import Path
from typing import Any

from accuracy.harness import Verdicts, run_tool, stackcheck
from accuracy.model import Row, Unavailable

__all__ = ["rows"]

SECRET = "Canary-" + "Pw-91e7c3a5"  # built at run time: this file holds no secret
GH_TOKEN = "ghp_" + "k3J9xQ2mN7bV5cZ8aL1sD4fG6hJ0kL2pQ9rT"
FRAMEWORKS = ["terraform", "dockerfile", "yaml"]

PUBLIC_BUCKET = """\
resource "aws_s3_bucket" "public" {
  bucket = "demo-public"
  acl    = "public-read"
}
"""
OPEN_SG = """\
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
CLEAN_TF = """\
resource "aws_cloudwatch_log_group" "app" {
  name              = "app"
  retention_in_days = 365
  kms_key_id        = "arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"
}
"""
DOCKER_ROOT = 'FROM python:3.12-slim\nHEALTHCHECK CMD python -c "print(1)"\nCMD ["python"]\n'
DOCKER_NO_HEALTHCHECK = 'FROM python:3.12-slim\nRUN useradd --uid 1000 app\nUSER app\nCMD ["python"]\n'
DOCKER_INHERITS = """\
FROM python:3.12-slim AS base
RUN useradd --uid 1000 app
USER app
HEALTHCHECK CMD python -c "print(1)"

FROM base
COPY app.py /app/app.py
CMD ["python", "/app/app.py"]
"""
COMPOSE_SECRET = (
    f"services:\n  db:\n    image: postgres:16\n    environment:\n      POSTGRES_PASSWORD: {SECRET}\n"
)
COMPOSE_FILE_CONVENTION = """\
services:
  db:
    image: postgres:16
    environment:
      - POSTGRES_USER=app
      - POSTGRES_PASSWORD_FILE=/run/secrets/db_password
    secrets: [db_password]
secrets:
  db_password:
    file: ./db_password.txt
"""


@dataclass(frozen=True)
class Case:
    """One folder of the corpus: its files, the check it is about, and the truth."""

    name: str
    check: str
    truth: str  # passed / failed / error / skipped / waived
    truth_detail: str
    files: Mapping[str, str]
    waivers: tuple[Mapping[str, str], ...] = field(default=())  # {check: tool:RULE, subject: glob}


IAC = "scan.iac"
CODE = "scan.code"
SECRETS = "secrets.repo"
CASES: tuple[Case, ...] = (
    Case("tf-public-bucket", IAC, "failed", "S3 bucket with acl public-read", {"main.tf": PUBLIC_BUCKET}),
    Case("tf-open-sg", IAC, "failed", "security group open to 0.0.0.0/0 on 22", {"main.tf": OPEN_SG}),
    Case(
        "tf-unparseable",
        IAC,
        "error",
        "public bucket + open SG, a closing brace missing: nothing can be judged",
        {"main.tf": PUBLIC_BUCKET.replace("}\n", "\n", 1) + OPEN_SG},
    ),
    Case("tf-clean", IAC, "passed", "a log group kept a year, KMS-encrypted", {"main.tf": CLEAN_TF}),
    Case("no-iac", IAC, "skipped", "a README only: no IaC file", {"README.md": "# docs\n"}),
    Case("docker-root", IAC, "failed", "no USER: runs as root", {"Dockerfile": DOCKER_ROOT}),
    Case("docker-no-healthcheck", IAC, "failed", "no HEALTHCHECK", {"Dockerfile": DOCKER_NO_HEALTHCHECK}),
    Case(
        "docker-multistage-inherits",
        IAC,
        "passed",
        "final stage FROM base inherits USER app and HEALTHCHECK",
        {"Dockerfile": DOCKER_INHERITS},
    ),
    Case(
        "compose-secret-in-env",
        IAC,
        "failed",
        "POSTGRES_PASSWORD written literally",
        {"docker-compose.yml": COMPOSE_SECRET},
    ),
    Case(
        "compose-file-convention",
        IAC,
        "passed",
        "POSTGRES_PASSWORD_FILE=/run/secrets/... (Docker secrets)",
        {"docker-compose.yml": COMPOSE_FILE_CONVENTION},
    ),
    Case(
        "compose-unparseable",
        IAC,
        "error",
        "the secret compose file with an unterminated quote: nothing can be judged",
        {"docker-compose.yml": COMPOSE_SECRET.replace(f": {SECRET}", f': "{SECRET}\n   x: [')},
    ),
    Case(
        "py-bandit-issues",
        CODE,
        "failed",
        "subprocess with shell=True, hard-coded password",
        {"app.py": f"import subprocess\npassword = '{SECRET}'\nsubprocess.call('ls', shell=True)\n"},
    ),
    Case(
        "py-nosec",
        CODE,
        "passed",
        "shell=True marked # nosec (honoured, listed as suppressed)",
        {"app.py": "import subprocess  # nosec B404\nsubprocess.call('ls', shell=True)  # nosec B602 B607\n"},
    ),
    Case("py-clean", CODE, "passed", "plain arithmetic", {"app.py": "def add(a, b):\n    return a + b\n"}),
    Case("py-unparseable", CODE, "error", "a syntax error: bandit cannot read it", {"app.py": "def f(:\n"}),
    Case(
        "secret-planted",
        SECRETS,
        "failed",
        "a GitHub token in a settings file",
        {"settings.py": f'GITHUB_TOKEN = "{GH_TOKEN}"\n'},
    ),
    Case(
        "secret-pragma",
        SECRETS,
        "passed",
        "the same token marked # pragma: allowlist secret",
        {"settings.py": f'GITHUB_TOKEN = "{GH_TOKEN}"  # pragma: allowlist secret\n'},
    ),
    Case(
        "secret-waived",
        SECRETS,
        "waived",
        "the token, covered by a waiver whose subject is a file glob",
        {"settings.py": f'GITHUB_TOKEN = "{GH_TOKEN}"\n'},
        ({"check": "detect-secrets:GitHubToken", "subject": "secrets/secret-waived/*.py"},),
    ),
    Case("secret-clean", SECRETS, "passed", "no credential", {"settings.py": "DEBUG = False\n"}),
)
FOLDER = {IAC: "iac", CODE: "code", SECRETS: "secrets"}
SILENT_IN_CHECKOV = {"compose-unparseable"}  # the reference cannot see what the case plants


def _tool(name: str) -> Path:
    from stackcheck._exceptions import CouldNotCheck
    from stackcheck.scan.registry import SCANNERS
    from stackcheck.scan.scanner import ScannerName
    from stackcheck.scan.toolcache import locate
    from stackcheck.settings import Settings

    try:
        return locate(SCANNERS[ScannerName(name)].tool, Settings.from_environ())
    except CouldNotCheck as exc:
        raise Unavailable(f"{exc} (python -m stackcheck.scan.tools install {name})") from exc


def _write(root: Path) -> None:
    for case in CASES:
        folder = root / FOLDER[case.check] / case.name
        folder.mkdir(parents=True)
        for name, text in case.files.items():
            (folder / name).write_text(text)


@dataclass
class Reading:
    """What one tool, run directly, reported for each case: (rule, file) pairs and unreadable files."""

    findings: dict[str, set[tuple[str, str]]] = field(default_factory=dict)
    unreadable: dict[str, set[str]] = field(default_factory=dict)
    scanned: set[str] = field(default_factory=set)

    def add(self, root: Path, path: str, rule: str | None) -> None:
        rel = Path(path).resolve().relative_to(root).as_posix()
        case = rel.split("/")[1]
        self.scanned.add(case)
        if rule is None:
            self.unreadable.setdefault(case, set()).add(rel)
        else:
            self.findings.setdefault(case, set()).add((rule, rel))


def _checkov(root: Path, version: str) -> Reading:
    from stackcheck.scan.checkov import OFFLINE_ENV, checkov_reports, render_policies

    exe = _tool("checkov")
    policies = render_policies(root.parent / "policies-src", root.parent / "policies", {})
    out = root.parent / "checkov-out"
    argv = [str(exe), "-d", str(root / "iac"), "--framework", ",".join(FRAMEWORKS), "--skip-download"]
    argv += [
        "--external-checks-dir",
        str(policies),
        "--compact",
        "-o",
        "json",
        "--output-file-path",
        str(out),
    ]
    proc = run_tool(["env", *(f"{k}={v}" for k, v in OFFLINE_ENV.items()), *argv], timeout_s=600)
    if not (out / "results_json.json").is_file():
        raise Unavailable(f"checkov {version} wrote no report: {proc.stderr[-300:]}")
    reading = Reading()
    for report in checkov_reports((out / "results_json.json").read_text()):
        for item in report["results"].get("failed_checks", []):
            reading.add(root, item["file_abs_path"], str(item["check_id"]))
        for item in report["results"].get("passed_checks", []):
            reading.scanned.add(Path(item["file_abs_path"]).resolve().relative_to(root).parts[1])
        for path in report["results"].get("parsing_errors", []):
            reading.add(root, path, None)
    return reading


def _bandit(root: Path) -> Reading:
    out = root.parent / "bandit.json"
    run_tool([str(_tool("bandit")), "-r", str(root / "code"), "-f", "json", "-o", str(out), "-q"])
    data = json.loads(out.read_text())
    reading = Reading()
    for item in data.get("results", []):
        reading.add(root, item["filename"], str(item["test_id"]))
    for error in data.get("errors", []):
        reading.add(root, error["filename"], None)
    reading.scanned |= {
        Path(k).resolve().relative_to(root).parts[1] for k in data["metrics"] if k != "_totals"
    }
    return reading


def _detect_secrets(root: Path) -> Reading:
    exe = _tool("detect-secrets")
    proc = run_tool(["sh", "-c", f'cd "{root}" && exec "{exe}" scan --all-files secrets'])
    reading = Reading()
    for filename, items in json.loads(proc.stdout)["results"].items():
        for item in items:
            reading.add(root, str(root / filename), str(item["type"]).replace(" ", ""))
    reading.scanned |= {c.name for c in CASES if c.check == SECRETS}  # detect-secrets reads every text file
    return reading


def _tool_verdict(case: Case, reading: Reading, after_waivers: set[tuple[str, str]]) -> str:
    if case.name in reading.unreadable:
        return "error"
    if case.name not in reading.scanned:
        return "skipped"
    if reading.findings.get(case.name) and not after_waivers:
        return "waived"
    return "failed" if after_waivers else "passed"


def _waived(case: Case, pairs: set[tuple[str, str]], tool: str) -> set[tuple[str, str]]:
    def covered(rule: str, file: str) -> bool:
        return any(
            w["check"] in (f"{tool}:{rule}", rule) and fnmatch.fnmatch(file, w["subject"])
            for w in case.waivers
        )

    return {(r, f) for r, f in pairs if not covered(r, f)}


def _profile(root: Path, group: list[Case | None]) -> dict[str, Any]:
    by_check = {c.check: c for c in group if c is not None}
    paths = {check: [f"{FOLDER[check]}/{c.name}"] if (c := by_check.get(check)) else [] for check in FOLDER}
    # A check without a case in this run gets the empty folder: its result is not read.
    scan = {
        "iac_paths": paths[IAC] or ["empty"],
        "code_paths": paths[CODE] or ["empty"],
        "secret_paths": paths[SECRETS] or ["empty"],
        "frameworks": FRAMEWORKS,
    }
    waivers = [
        {**w, "owner": "accuracy", "reason": "planted", "expires": "2099-12-31"}
        for c in by_check.values()
        for w in c.waivers
    ]
    return {"name": "accuracy-scan", "scan": scan, **({"waivers": waivers} if waivers else {})}


def rows() -> Iterator[Row]:
    """One row per case: stackcheck scan vs the tool run directly on the same folder."""
    from stackcheck.resources import data_path
    from stackcheck.scan.registry import SCANNERS
    from stackcheck.scan.scanner import ScannerName

    versions = {n: SCANNERS[ScannerName(n)].tool.version for n in ("checkov", "bandit", "detect-secrets")}
    tool_of = {IAC: "checkov", CODE: "bandit", SECRETS: "detect-secrets"}
    with tempfile.TemporaryDirectory(prefix="stackcheck-accuracy-scan-") as work:
        root = (Path(work) / "corpus").resolve()
        _write(root)
        (root / "empty").mkdir()
        os.symlink(data_path("policies/checkov"), Path(work) / "policies-src")
        readings = {
            IAC: _checkov(root, versions["checkov"]),
            CODE: _bandit(root),
            SECRETS: _detect_secrets(root),
        }
        groups = list(zip_longest(*([c for c in CASES if c.check == k] for k in FOLDER)))
        for number, group in enumerate(groups):
            profile = root / f"run-{number}.yaml"
            profile.write_text(json.dumps(_profile(root, list(group))))
            verdicts = stackcheck("scan", profile, timeout_s=600)
            for case in (c for c in group if c is not None):
                yield _row(case, verdicts, readings[case.check], tool_of[case.check], versions)


def _row(case: Case, verdicts: Verdicts, reading: Reading, tool: str, versions: Mapping[str, str]) -> Row:
    found = reading.findings.get(case.name, set())
    # detect-secrets reports one entry per detector; stackcheck merges the detectors of one line into one
    # finding named by the specific one (GitHubToken, not also "Base64 High Entropy String").
    if tool == "detect-secrets":
        named = {(r, f) for r, f in found if "HighEntropy" not in r}
        found = named | {(r, f) for r, f in found if not any(f == g for _, g in named)}
    theirs = _waived(case, found, tool)
    ours = {
        (str(f["rule_id"]), str(f["file"]))
        for f in verdicts.report.get("findings", [])
        if f["tool"] == tool and f["status"] == "open"
    }
    reading_verdict = _tool_verdict(case, reading, theirs)
    decision = ""
    if case.name in SILENT_IN_CHECKOV and reading_verdict != case.truth:
        decision = (
            "checkov alone skips a YAML file that does not parse without a word (no parsing_errors, nothing "
            "logged); stackcheck parses every YAML file below scan.iac_paths itself and says error"
        )
    status = verdicts.status(case.check)
    unreadable = sorted(reading.unreadable.get(case.name, set()))
    reference = ", ".join(sorted(r for r, _ in theirs)) or "no finding"
    if unreadable:
        reference = f"could not read {', '.join(unreadable)}"
    elif reading_verdict == "skipped":
        reference = "no file scanned"
    elif reading_verdict == "waived":
        reference = f"{', '.join(sorted(r for r, _ in found))} (all waived)"
    shown = ", ".join(sorted(r for r, _ in ours)) or "no open finding"
    return Row(
        suite="scan",
        case=case.name,
        check=case.check,
        truth=case.truth,
        truth_detail=case.truth_detail,
        reference_tool=f"{tool} {versions[tool]} direct"
        + (", merged per line" if tool == "detect-secrets" else ""),
        reference=reference,
        reference_agrees=reading_verdict == case.truth and ours == theirs,
        stackcheck=status,
        stackcheck_detail=f"{shown}; {verdicts.detail(case.check)}",
        decision=decision,
    )
