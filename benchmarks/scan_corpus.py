"""A generated repository of realistic size for the scan benchmark and tests: no third-party files.

``python benchmarks/scan_corpus.py OUT [--scale 1.0] [--seed 17]`` writes, at scale 1: 300 Terraform files
(aws, google, azurerm; three files per module), 100 Dockerfiles, 100 compose files, 200 Kubernetes
manifests, 50 GitHub workflow files and 300 Python modules, with misconfigurations and secrets planted at
known places (listed in ``CORPUS.json``, which names places, never values). It is a git repository (one
commit, fixed author and date, so ``git ls-files`` works) whose ``.gitignore`` hides ``node_modules/`` and
``build/``: junk holding more planted secrets and misconfigurations that a scan of what the repository
tracks must not report. Deterministic: the same seed and scale give the same files.

The secrets are fake: the AWS documentation's example key id (``AKIAIOSFODNN7EXAMPLE``), keyword
assignments of made-up passwords, a truncated dummy private-key header — shapes detect-secrets flags.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["COUNTS", "Corpus", "generate"]

#: Files per kind at scale 1 (the issue's "realistic size").
COUNTS = {
    "terraform": 300,
    "dockerfile": 100,
    "compose": 100,
    "kubernetes": 200,
    "workflow": 50,
    "python": 300,
}
PROVIDERS = ("aws", "google", "azurerm")
AWS_EXAMPLE_KEY = "AKIAIOSFODNN7EXAMPLE"  # AWS's documented example key id: never a live key
IGNORED = ("node_modules/", "build/")
# Fixed identity and dates: the commit (and so its id) is the same on every run.
GIT_ENV = {
    "GIT_AUTHOR_NAME": "corpus",
    "GIT_AUTHOR_EMAIL": "corpus@example.invalid",
    "GIT_COMMITTER_NAME": "corpus",
    "GIT_COMMITTER_EMAIL": "corpus@example.invalid",
    "GIT_AUTHOR_DATE": "2026-01-01T00:00:00Z",
    "GIT_COMMITTER_DATE": "2026-01-01T00:00:00Z",
}


@dataclass
class Corpus:
    """What was written: the root, file counts by kind, the planted places (``file``, ``line``, ``kind``)."""

    root: Path
    counts: dict[str, int] = field(default_factory=dict)
    planted: list[dict[str, object]] = field(default_factory=list)
    ignored_planted: list[dict[str, object]] = field(default_factory=list)


class _Writer:
    def __init__(self, root: Path, corpus: Corpus) -> None:
        self.root = root
        self.corpus = corpus

    def write(self, rel: str, lines: list[str], kind: str) -> None:
        path = self.root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
        self.corpus.counts[kind] = self.corpus.counts.get(kind, 0) + 1

    def plant(self, rel: str, line: int, kind: str, ignored: bool = False) -> None:
        spot = {"file": rel, "line": line, "kind": kind}
        (self.corpus.ignored_planted if ignored else self.corpus.planted).append(spot)


def _password(rng: random.Random) -> str:
    """A made-up password of keyword shape (detect-secrets' KeywordDetector flags the assignment)."""
    return "fake-corpus-" + "".join(rng.choice("abcdefghjkmnpqrstuvwxyz23456789") for _ in range(14))


def _terraform(w: _Writer, rng: random.Random, n: int) -> None:
    modules = max(1, n // 3)
    for m in range(modules):
        provider = PROVIDERS[m % len(PROVIDERS)]
        base = f"infra/{provider}/mod{m:03d}"
        region = rng.choice(["eu-west-1", "us-east-1", "ap-south-1"])
        if provider == "aws":
            main = [
                'provider "aws" {',
                f'  region = "{region}"',
                "}",
                "",
                f'resource "aws_s3_bucket" "data{m}" {{',
                f'  bucket = "corpus-data-{m}"',
                "}",
                "",
                f'resource "aws_security_group" "web{m}" {{',
                f'  name = "web{m}"',
                "  ingress {",
                "    from_port   = 22",
                "    to_port     = 22",
                '    protocol    = "tcp"',
                # planted: SSH open to the world (CKV_AWS_24)
                '    cidr_blocks = ["0.0.0.0/0"]' if m % 2 == 0 else '    cidr_blocks = ["10.0.0.0/8"]',
                "  }",
                "}",
            ]
            if m % 10 == 0:  # planted: a literal key id in a Lambda's environment
                main += [
                    "",
                    f'resource "aws_lambda_function" "fn{m}" {{',
                    f'  function_name = "fn{m}"',
                    '  role          = "arn:aws:iam::123456789012:role/lambda"',
                    '  runtime       = "python3.12"',
                    '  handler       = "app.handler"',
                    "  environment {",
                    "    variables = {",
                    f'      AWS_ACCESS_KEY_ID = "{AWS_EXAMPLE_KEY}"',
                    "    }",
                    "  }",
                    "}",
                ]
                w.plant(f"{base}/main.tf", len(main) - 3, "AWSKeyDetector")
        elif provider == "google":
            main = [
                'provider "google" {',
                '  project = "corpus"',
                f'  region  = "{rng.choice(["europe-west1", "us-central1"])}"',
                "}",
                "",
                f'resource "google_storage_bucket" "b{m}" {{',
                f'  name     = "corpus-b-{m}"',
                '  location = "EU"',
                # planted: uniform bucket-level access off (CKV_GCP_29)
                "  uniform_bucket_level_access = false",
                "}",
                "",
                f'resource "google_sql_database_instance" "db{m}" {{',
                '  database_version = "POSTGRES_15"',
                "  settings {",
                '    tier = "db-f1-micro"',
                "  }",
                "}",
            ]
        else:
            main = [
                'provider "azurerm" {',
                "  features {}",
                "}",
                "",
                f'resource "azurerm_storage_account" "sa{m}" {{',
                f'  name                     = "corpussa{m}"',
                '  resource_group_name      = "rg"',
                '  location                 = "westeurope"',
                '  account_tier             = "Standard"',
                '  account_replication_type = "LRS"',
                # planted: TLS 1.0 allowed (CKV_AZURE_44)
                '  min_tls_version          = "TLS1_0"',
                "}",
            ]
        w.write(f"{base}/main.tf", main, "terraform")
        variables = ['variable "env" {', "  type    = string", '  default = "dev"', "}"]
        if m % 7 == 3:  # planted: a default password in a variable
            secret = _password(rng)
            variables += ["", "locals {", f'  db_password = "{secret}"', "}"]
            w.plant(f"{base}/variables.tf", len(variables) - 1, "SecretKeyword")
        w.write(f"{base}/variables.tf", variables, "terraform")
        w.write(f"{base}/outputs.tf", ['output "env" {', "  value = var.env", "}"], "terraform")


def _dockerfile(w: _Writer, rng: random.Random, n: int) -> None:
    for i in range(n):
        lines = [f"FROM python:3.12-slim{'' if i % 3 else '@sha256:' + '0' * 64}", "WORKDIR /app", "COPY . ."]
        lines += ["RUN pip install --no-cache-dir -r requirements.txt", "EXPOSE 8080"]
        if i % 4:
            lines += ["RUN useradd -u 1000 app", "USER app"]  # i % 4 == 0: planted, runs as root
        if i % 5:
            lines += ["HEALTHCHECK CMD curl -f http://localhost:8080/health || exit 1"]
        if i % 25 == 0:  # planted: a password baked into the image's environment
            lines.insert(2, f'ENV DB_PASSWORD="{_password(rng)}"')
            w.plant(f"services/svc{i:03d}/Dockerfile", 3, "SecretKeyword")
        lines.append('CMD ["python", "-m", "app"]')
        w.write(f"services/svc{i:03d}/Dockerfile", lines, "dockerfile")


def _compose(w: _Writer, rng: random.Random, n: int) -> None:
    for i in range(n):
        lines = ["services:", "  web:", "    build: .", "    ports:", '      - "8080:8080"', "  db:"]
        lines += [f"    image: postgres:{rng.choice(['15', '16', 'latest'])}", "    environment:"]
        if i % 10 == 0:  # planted: a literal password in compose's environment (CKV_SC_7)
            lines.append(f"      POSTGRES_PASSWORD: {_password(rng)}")
            w.plant(f"compose/stack{i:03d}/docker-compose.yml", len(lines), "SecretKeyword")
        else:
            lines.append("      POSTGRES_PASSWORD_FILE: /run/secrets/db")
        lines += ["  cache:", f"    image: redis:{rng.choice(['7', '7.2'])}", "    command: redis-server"]
        w.write(f"compose/stack{i:03d}/docker-compose.yml", lines, "compose")


def _kubernetes(w: _Writer, rng: random.Random, n: int) -> None:
    for i in range(n):
        privileged = "true" if i % 8 == 0 else "false"  # planted: privileged containers (CKV_K8S_16)
        lines = [
            "apiVersion: apps/v1",
            "kind: Deployment",
            "metadata:",
            f"  name: app{i}",
            f"  namespace: ns{i % 10}",
            "spec:",
            f"  replicas: {rng.randint(1, 4)}",
            "  selector:",
            "    matchLabels:",
            f"      app: app{i}",
            "  template:",
            "    metadata:",
            "      labels:",
            f"        app: app{i}",
            "    spec:",
            "      containers:",
            f"        - name: app{i}",
            f"          image: registry.example.invalid/app{i}:1.{i % 9}",
            "          securityContext:",
            f"            privileged: {privileged}",
            "          env:",
            "            - name: MODE",
            "              value: production",
        ]
        w.write(f"k8s/ns{i % 10}/app{i:03d}.yaml", lines, "kubernetes")


def _workflows(w: _Writer, rng: random.Random, n: int) -> None:
    for i in range(n):
        lines = [
            f"name: ci{i}",
            "on: [push, pull_request]",
            "permissions:",
            "  contents: read",
            "jobs:",
            "  test:",
            "    runs-on: ubuntu-latest",
            "    steps:",
            "      - uses: actions/checkout@v4",
            "      - run: python -m pytest -q",
        ]
        if i % 10 == 0:  # planted: script injection (actionlint: untrusted expression in run:)
            lines.append('      - run: echo "${{ github.event.pull_request.title }}"')
        w.write(f".github/workflows/ci{i:03d}.yml", lines, "workflow")


_PY_BODY = [
    "def handler(event):",
    '    """Return the event\'s size."""',
    "    return len(str(event))",
]


def _filler(i: int, f: int, rng: random.Random) -> list[str]:
    """One ordinary function (about eight lines) so modules have a real module's size."""
    names = ["orders", "users", "items", "events", "rows"]
    name = rng.choice(names)
    return [
        f"def transform_{i}_{f}({name}, limit={rng.randint(2, 500)}):",
        f'    """Keep at most ``limit`` of the {name}, sorted by key {f}."""',
        "    kept = []",
        f"    for entry in sorted({name}, key=lambda e: e.get('k{f}', 0)):",
        "        if len(kept) >= limit:",
        "            break",
        f"        kept.append({{'id': entry.get('id'), 'value': entry.get('v', 0) * {rng.randint(1, 9)}}})",
        "    return kept",
        "",
    ]


def _python(w: _Writer, rng: random.Random, n: int) -> None:
    for i in range(n):
        rel = f"app/pkg{i % 20:02d}/mod{i:03d}.py"
        lines = [f'"""Module {i} of the corpus."""', "import subprocess", "", *_PY_BODY, ""]
        lines += [f"def compute_{i}(values):", "    total = 0", "    for v in values:"]
        lines += [f"        total += v * {i}", "    return total", ""]
        for f in range(rng.randint(20, 40)):  # the bulk of a real module: plain functions, no finding
            lines += _filler(i, f, rng)
        if i % 6 == 0:  # planted: shell=True (bandit B602)
            lines += ["def run(cmd):", "    return subprocess.call(cmd, shell=True)", ""]
        if i % 15 == 0:  # planted: a hard-coded password (bandit B105, detect-secrets keyword)
            lines.append(f'password = "{_password(rng)}"')
            w.plant(rel, len(lines), "SecretKeyword")
        if i % 50 == 7:  # planted: the AWS documentation's example key id
            lines.append(f'AWS_KEY_ID = "{AWS_EXAMPLE_KEY}"')
            w.plant(rel, len(lines), "AWSKeyDetector")
        w.write(rel, lines, "python")
    for pkg in range(min(20, n)):
        w.write(f"app/pkg{pkg:02d}/__init__.py", [f'"""Package {pkg}."""'], "python")


def _junk(w: _Writer, rng: random.Random) -> None:
    """Ignored files with findings of their own: a tracked-files scan must report none of them."""
    secret = _password(rng)
    w.write("node_modules/leftpad/config.py", [f'password = "{secret}"'], "ignored")
    w.plant("node_modules/leftpad/config.py", 1, "SecretKeyword", ignored=True)
    w.write("build/gen/settings.py", [f'AWS_KEY_ID = "{AWS_EXAMPLE_KEY}"'], "ignored")
    w.plant("build/gen/settings.py", 1, "AWSKeyDetector", ignored=True)
    w.write("build/gen/main.tf", ['resource "aws_s3_bucket" "junk" {', '  bucket = "junk"', "}"], "ignored")


def _git(root: Path, *args: str) -> None:
    env = {**os.environ, **GIT_ENV}
    subprocess.run(["git", *args], cwd=root, env=env, check=True, capture_output=True, timeout=120)


def generate(root: Path, scale: float = 1.0, seed: int = 17, git: bool = True) -> Corpus:
    """Write the corpus into ``root`` (created; should be empty) and, with ``git``, commit what is tracked."""
    root.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    corpus = Corpus(root=root)
    w = _Writer(root, corpus)
    n = {k: max(1, round(v * scale)) for k, v in COUNTS.items()}
    n["terraform"] = max(3, n["terraform"])
    _terraform(w, rng, n["terraform"])
    _dockerfile(w, rng, n["dockerfile"])
    _compose(w, rng, n["compose"])
    _kubernetes(w, rng, n["kubernetes"])
    _workflows(w, rng, n["workflow"])
    _python(w, rng, n["python"])
    _junk(w, rng)
    (root / ".gitignore").write_text("".join(f"{d}\n" for d in IGNORED), encoding="utf-8")
    manifest = {"seed": seed, "scale": scale, "counts": corpus.counts, "planted": corpus.planted}
    manifest["ignored_planted"] = corpus.ignored_planted
    (root / "CORPUS.json").write_text(json.dumps(manifest, indent=1) + "\n", encoding="utf-8")
    if git:
        _git(root, "init", "-q", "-b", "main")
        _git(root, "add", "-A")
        _git(root, "commit", "-q", "-m", "corpus")
    return corpus


def main() -> int:
    """Generate into OUT and print what was written."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("out", type=Path)
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--seed", type=int, default=17)
    parser.add_argument("--no-git", action="store_true", help="plain files, no repository")
    args = parser.parse_args()
    corpus = generate(args.out, args.scale, args.seed, git=not args.no_git)
    print(json.dumps({"root": str(corpus.root), "counts": corpus.counts, "planted": len(corpus.planted)}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
