"""The testing surface: everything a suite module imports besides pytest, the catalog and the probes.

A suite under ``suites/`` imports from three places only: :mod:`stackcheck.testing` (this module: the
fixtures' types, evidence, errors, waiting, profile sections), :mod:`stackcheck.catalog` (the check objects
its tests are marked with) and :mod:`stackcheck.probes` (the rules it applies to what it observed).

A team's own suite folder (``--suite-dir``) needs this module only: :func:`check` declares its checks, and
the fixtures' types are here (docs/team-checks.md).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, TypeVar

import pytest

from stackcheck._exceptions import CouldNotCheck, ErrorReason, UsageError
from stackcheck.catalog.spec import Severity
from stackcheck.collector import EvidenceRecorder
from stackcheck.infra import PostgresServer, RedisServer, ServiceSession
from stackcheck.infra.faults import ProxiedService
from stackcheck.infra.haproxy import HAProxy, find_haproxy
from stackcheck.infra.launch import LaunchedService
from stackcheck.infra.relay import Relay
from stackcheck.plugin import COLLECTOR, Target
from stackcheck.probes.http import Exchange, HttpProbe
from stackcheck.profile import LoadedProfile, Profile, version_specifier
from stackcheck.profile.models import (
    BackupSection,
    CorsSection,
    DeploySection,
    ExposureSection,
    HeadersSection,
    HealthSection,
    InputEndpoint,
    InputsSection,
    LogsSection,
    MetricsSection,
    PgBouncerSection,
    PostgresHypertable,
    PostgresPartitionedTable,
    PostgresSection,
    RateLimit,
    RateLimitSection,
    ReadyDependency,
    RedisSection,
    RedisTtl,
    ResilienceSection,
    RestoreDrill,
    ScanSection,
    ServiceSection,
    TlsSection,
    UploadEndpoint,
)
from stackcheck.scan.engine import ScanRun
from stackcheck.scan.replay import replay
from stackcheck.settings import Settings, resolve_target
from stackcheck.team import TeamCheck, check
from stackcheck.wait import wait_until

if TYPE_CHECKING:  # psycopg (the data extra): loaded on first use, see __getattr__ below
    from stackcheck.infra.pitr_drill import DrillResult, run_restore_drill, wal_settings
    from stackcheck.infra.pitr_exec import drill_executor
    from stackcheck.infra.pitr_target import run_target_drill

__all__ = [
    "BackupSection",
    "CorsSection",
    "CouldNotCheck",
    "DeploySection",
    "DrillResult",
    "ErrorReason",
    "EvidenceRecorder",
    "Exchange",
    "ExposureSection",
    "HAProxy",
    "HeadersSection",
    "HealthSection",
    "HttpProbe",
    "InputEndpoint",
    "InputsSection",
    "LaunchedService",
    "LoadedProfile",
    "LogsSection",
    "MetricsSection",
    "PgBouncerSection",
    "PostgresHypertable",
    "PostgresPartitionedTable",
    "PostgresSection",
    "PostgresServer",
    "Profile",
    "ProxiedService",
    "RateLimit",
    "RateLimitSection",
    "ReadyDependency",
    "RedisSection",
    "RedisServer",
    "RedisTtl",
    "Relay",
    "ResilienceSection",
    "RestoreDrill",
    "ScanRun",
    "ScanSection",
    "ServiceSection",
    "ServiceSession",
    "Settings",
    "Severity",
    "Target",
    "TeamCheck",
    "TlsSection",
    "UploadEndpoint",
    "UsageError",
    "check",
    "drill_executor",
    "find_haproxy",
    "loaded_profile",
    "profile_of",
    "replay",
    "require",
    "resolve_target",
    "run_restore_drill",
    "run_target_drill",
    "version_specifier",
    "wait_until",
    "wal_settings",
]

T = TypeVar("T")

# The restore drills' names live in modules that import psycopg (the data extra) at their top: a suite that
# imports them needs the extra, every other suite does not (the plugin reports which extra is missing).
_DRILL_NAMES: dict[str, str] = {
    "DrillResult": "stackcheck.infra.pitr_drill",
    "run_restore_drill": "stackcheck.infra.pitr_drill",
    "wal_settings": "stackcheck.infra.pitr_drill",
    "drill_executor": "stackcheck.infra.pitr_exec",
    "run_target_drill": "stackcheck.infra.pitr_target",
}


def __getattr__(name: str) -> Any:
    """The restore drills' names, imported on first use (PEP 562)."""
    if name in _DRILL_NAMES:
        import importlib

        return getattr(importlib.import_module(_DRILL_NAMES[name]), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def profile_of(config: pytest.Config) -> Profile | None:
    """The run's profile at collection time (for ``pytest_generate_tests``), or ``None`` when inactive."""
    collector = config.stash.get(COLLECTOR, None)
    return collector.loaded.profile if collector is not None else None


def loaded_profile(config: pytest.Config) -> LoadedProfile:
    """The run's loaded profile (its path, files and sha256): relative paths in it are from its folder."""
    collector = config.stash.get(COLLECTOR, None)
    if collector is None:
        raise UsageError("no profile given", "run with --profile FILE")
    return collector.loaded


def require(value: T | None, reason: str) -> T:
    """Return ``value``, or skip the check with ``reason`` when the profile does not configure it."""
    if value is None:
        pytest.skip(reason)
    return value
