"""Run stackcheck the way a user does (the CLI in a subprocess) and read its verdicts back."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

__all__ = ["REPO", "Verdicts", "run_tool", "stackcheck"]

REPO = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class Verdicts:
    """The results of one ``stackcheck`` run: ``status(check_id, subject)`` and the whole report."""

    code: int
    report: dict[str, Any]
    stderr: str

    def result(self, check_id: str, subject: str | None = None) -> dict[str, Any]:
        found = [
            r
            for r in self.report.get("results", [])
            if r["id"] == check_id and (subject is None or r.get("subject") == subject)
        ]
        if len(found) != 1:
            tail = self.stderr[-300:]
            raise LookupError(f"{check_id}[{subject}]: {len(found)} results (exit {self.code}) {tail}")
        return dict(found[0])

    def status(self, check_id: str, subject: str | None = None) -> str:
        return str(self.result(check_id, subject)["status"])

    def detail(self, check_id: str, subject: str | None = None) -> str:
        r = self.result(check_id, subject)
        return str(r.get("message") or "")[:160]


def stackcheck(
    command: str,
    profile: Mapping[str, Any] | Path,
    *args: str,
    timeout_s: float = 600,
    env: Mapping[str, str] | None = None,
) -> Verdicts:
    """``python -m stackcheck COMMAND --profile P --report-dir D ARGS``; the report it wrote.

    ``profile`` is a path or a mapping (written to a temporary YAML file).
    """
    work = Path(tempfile.mkdtemp(prefix="stackcheck-accuracy-"))
    try:
        if isinstance(profile, Path):
            path = profile
        else:
            path = work / "profile.yaml"
            path.write_text(yaml.safe_dump(dict(profile), sort_keys=False))
        cmd = [sys.executable, "-m", "stackcheck", command, "--profile", str(path)]
        cmd += ["--report-dir", str(work / "report"), *args]
        proc = subprocess.run(
            cmd,
            cwd=REPO,
            env={**os.environ, **(env or {})},
            capture_output=True,
            text=True,
            timeout=timeout_s,
            check=False,
        )
        report_file = work / "report" / "report.json"
        report = json.loads(report_file.read_text()) if report_file.is_file() else {}
        return Verdicts(proc.returncode, report, proc.stderr)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def run_tool(argv: Sequence[str], timeout_s: float = 300) -> subprocess.CompletedProcess[str]:
    """Run a reference tool (``testssl.sh``, ``sslscan``, ``promtool``...) and return its output."""
    return subprocess.run(list(argv), capture_output=True, text=True, timeout=timeout_s, check=False)
