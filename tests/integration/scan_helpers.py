"""Shared helpers of the scan integration tests: skip cleanly when a scanner is not installed."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from stackcheck._exceptions import CouldNotCheck
from stackcheck.scan.tools import TOOLS, locate


def tool(name: str) -> Path:
    """The installed scanner, or skip (``python -m stackcheck.scan.tools install`` installs them)."""
    try:
        return locate(TOOLS[name], os.environ)
    except CouldNotCheck as exc:
        pytest.skip(str(exc))
