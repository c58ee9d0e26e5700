"""Fixtures for the harness's own tests: the reference service and the CLI as a real subprocess."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

REPO_ROOT = Path(__file__).resolve().parent
DEMO_PROFILE = REPO_ROOT / "policies" / "profiles" / "demo.yaml"

pytest_plugins = ["pytester"]


def pytest_configure(config: pytest.Config) -> None:
    # The signal tests deliver SIGINT/SIGTERM/SIGHUP to stackcheck and its children. A run started in the
    # background by a non-interactive shell inherits SIGINT ignored (POSIX), one under nohup SIGHUP ignored —
    # and stackcheck rightly keeps an ignored signal ignored. The harness's own run restores the defaults,
    # which every process it starts then inherits.
    if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
        signal.signal(signal.SIGINT, signal.default_int_handler)
    for sig in (signal.SIGTERM, signal.SIGHUP):
        if signal.getsignal(sig) is signal.SIG_IGN:
            signal.signal(sig, signal.SIG_DFL)


@dataclass(frozen=True)
class CliRun:
    """A finished ``stackcheck`` subprocess and what it wrote."""

    code: int
    stdout: str
    stderr: str
    report_dir: Path | None

    @property
    def report(self) -> dict[str, Any]:
        """``report.json`` of the run, parsed."""
        assert self.report_dir is not None, "the run had no report dir"
        return dict(json.loads((self.report_dir / "report.json").read_text()))

    def status_of(self, label: str) -> str:
        """Status of the result whose ``id[subject]`` label is ``label``."""
        for result in self.report["results"]:
            name = f"{result['id']}[{result['subject']}]" if result["subject"] else result["id"]
            if name == label:
                return str(result["status"])
        raise AssertionError(f"no result {label!r} in {[r['id'] for r in self.report['results']]}")

    def statuses(self) -> dict[str, str]:
        """Every result label → status."""
        out = {}
        for r in self.report["results"]:
            out[f"{r['id']}[{r['subject']}]" if r["subject"] else r["id"]] = r["status"]
        return out


@pytest.fixture
def run_cli(tmp_path: Path) -> Callable[..., CliRun]:
    """Run ``python -m stackcheck ARGS`` as a subprocess; ``verify`` runs get a fresh report dir.

    ``env`` adds (or, with an empty value, removes) environment variables for that one run.
    ``isolated`` runs it inside ``unshare -n`` (a network namespace with loopback alone, down): for the
    runs that name a documentation address (192.0.2.0/24 ...), which is live on these machines, to prove
    it is refused before any connection — none could leave the namespace if it were not.
    """

    def run(
        *args: str,
        report: bool = True,
        cwd: Path = REPO_ROOT,
        timeout: float = 300,
        env: Mapping[str, str] | None = None,
        isolated: bool = False,
    ) -> CliRun:
        argv = list(args)
        prefix: list[str] = []
        if isolated:
            if os.geteuid() != 0 or shutil.which("unshare") is None:
                pytest.skip("a run naming a non-loopback address needs root and unshare (unshare -n)")
            prefix = ["unshare", "-n"]
        report_dir: Path | None = None
        if report and argv and argv[0] == "verify" and "--report-dir" not in argv:
            report_dir = tmp_path / f"report-{len(list(tmp_path.iterdir()))}"
            argv += ["--report-dir", str(report_dir)]
        # This checkout's package first (a worktree's, not the editable install's).
        child = {**os.environ, "PYTHONPATH": f"{REPO_ROOT / 'src'}{os.pathsep}{REPO_ROOT}", **(env or {})}
        proc = subprocess.run(
            [*prefix, sys.executable, "-m", "stackcheck", *argv],
            cwd=cwd,
            env={k: v for k, v in child.items() if v},
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )
        return CliRun(proc.returncode, proc.stdout, proc.stderr, report_dir)

    return run


@pytest.fixture
def refservice() -> Iterator[Callable[..., Any]]:
    """Start reference services (real subprocesses on free loopback ports); all are stopped afterwards."""
    from fixtures.refservice import RefService

    started: list[RefService] = []

    def start(profile: Path | str = DEMO_PROFILE, defects: Sequence[str] = ()) -> RefService:
        service = RefService(profile, defects=defects).start()
        started.append(service)
        return service

    yield start
    for service in started:
        service.stop()
