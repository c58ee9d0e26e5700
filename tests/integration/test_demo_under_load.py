"""The README's main job must not depend on an idle machine: `nox -s demo` passes with both cores busy.

A shared CI runner is often saturated; the rate-limit probes allow for the tokens a bucket regains while
they run, so a compliant limiter stays compliant on a loaded machine (issue: 3 of 3 runs were exit 3).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from conftest import REPO_ROOT

pytestmark = pytest.mark.integration


@pytest.fixture
def cpu_hogs() -> Iterator[None]:
    """One busy loop per core, each bounded to 15 minutes, all ended afterwards."""
    hogs = [
        subprocess.Popen(
            [sys.executable, "-c", "import time\nend = time.time() + 900\nwhile time.time() < end: pass"],
            start_new_session=True,
        )
        for _ in range(os.cpu_count() or 2)
    ]
    try:
        yield
    finally:
        for hog in hogs:
            os.killpg(hog.pid, signal.SIGKILL)
            hog.wait()


def test_demo_passes_three_times_in_a_row_with_every_core_busy(cpu_hogs: None, tmp_path: Path) -> None:
    for attempt in range(3):
        report_dir = tmp_path / f"run-{attempt}"
        proc = subprocess.run(
            [sys.executable, "-m", "fixtures.demo", "--report-dir", str(report_dir)],
            cwd=REPO_ROOT,
            env={**os.environ, "PYTHONPATH": str(REPO_ROOT)},
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
        assert proc.returncode == 0, (
            f"run {attempt + 1} of 3: exit {proc.returncode}\n{proc.stdout}\n{proc.stderr}"
        )
