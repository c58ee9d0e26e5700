"""Where report folders go by default: ``reports/out/<profile>[-<stage>]-<UTC time>/``, and ``latest``."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

__all__ = ["default_report_dir", "point_latest"]


def default_report_dir(profile_name: str, stage: str | None = None) -> Path:
    """A fresh folder name under ``reports/out`` (relative to the working directory)."""
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    safe = re.sub(r"[^A-Za-z0-9_.-]+", "-", profile_name)
    if stage and (safe == stage or safe.endswith(f"-{stage}")):
        stage = None  # a profile named `demo-load` gives demo-load-<time>, not demo-load-load-<time>
    return Path("reports") / "out" / "-".join(filter(None, [safe, stage, stamp]))


def point_latest(report_dir: Path) -> None:
    """Keep ``reports/out/latest`` pointing at the newest default report folder (a convenience only)."""
    latest = report_dir.parent / "latest"
    try:
        if latest.is_symlink() or latest.exists():
            latest.unlink()
        latest.symlink_to(report_dir.name, target_is_directory=True)
    except OSError:
        pass
