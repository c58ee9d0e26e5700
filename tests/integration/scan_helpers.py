"""Shared helpers of the scan integration tests: skip cleanly when a scanner is not installed."""

from __future__ import annotations

from pathlib import Path

import pytest

from stackcheck._exceptions import CouldNotCheck
from stackcheck.scan.registry import SCANNERS
from stackcheck.scan.scanner import ScannerName
from stackcheck.scan.toolcache import locate
from stackcheck.settings import Settings


def tool(name: str) -> Path:
    """The installed scanner, or skip (``python -m stackcheck.scan.tools install`` installs them)."""
    try:
        return locate(SCANNERS[ScannerName(name)].tool, Settings.from_environ())
    except CouldNotCheck as exc:
        pytest.skip(str(exc))
