"""Helpers for writing suites: what a suite module imports besides pytest."""

from __future__ import annotations

from typing import TypeVar

import pytest

from stackcheck.collector import EvidenceRecorder
from stackcheck.plugin import COLLECTOR, Target
from stackcheck.probes.http import Exchange, HttpProbe
from stackcheck.profile import Profile

__all__ = ["EvidenceRecorder", "Exchange", "HttpProbe", "Target", "profile_of", "require"]

T = TypeVar("T")


def profile_of(config: pytest.Config) -> Profile | None:
    """The run's profile at collection time (for ``pytest_generate_tests``), or ``None`` when inactive."""
    collector = config.stash.get(COLLECTOR, None)
    return collector.loaded.profile if collector is not None else None


def require(value: T | None, reason: str) -> T:
    """Return ``value``, or skip the check with ``reason`` when the profile does not configure it."""
    if value is None:
        pytest.skip(reason)
    return value
