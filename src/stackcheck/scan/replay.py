"""Replay the scan engine's verdicts as pytest checks, for ``stackcheck verify --suite scan|secrets``.

The ``scan`` and ``secrets`` suites run the same :func:`~stackcheck.scan.engine.run_scan` once per pytest
session and turn each result back into the plugin's outcome: failed → ``AssertionError``, error →
:class:`CouldNotCheck`, skipped → ``pytest.skip``. ``stackcheck scan`` remains the richer front end: it
also writes ``findings[]`` and ``results.sarif`` and accounts for finding waivers.
"""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from stackcheck._exceptions import CouldNotCheck, ErrorReason
from stackcheck.catalog.spec import CheckSpec
from stackcheck.collector import EvidenceRecorder
from stackcheck.outcomes import CheckResult, Status
from stackcheck.profile import LoadedProfile
from stackcheck.scan.engine import ScanRun, run_scan
from stackcheck.settings import Settings

__all__ = ["forget_shared_scans", "image_subjects", "replay", "scan_session", "share_scan"]

# A scan this process already ran for the same effective profile (`stackcheck run`: the scan stage, then
# verify's secrets suite, which replays secrets.repo/secrets.image): replayed instead of scanning twice.
_SHARED: dict[tuple[str, str], ScanRun] = {}


def _key(loaded: LoadedProfile) -> tuple[str, str]:
    return str(loaded.path.resolve()), loaded.sha256


def share_scan(loaded: LoadedProfile, scan: ScanRun) -> None:
    """Let the suites of a later verify run in this process replay ``scan`` (same profile file and sha256)."""
    _SHARED[_key(loaded)] = scan


def forget_shared_scans() -> None:
    """Drop what :func:`share_scan` kept (at the end of the run that shared it)."""
    _SHARED.clear()


def image_subjects(images: Sequence[str]) -> list[str]:
    """The subjects image checks report under: the image reference, or a tarball's file name."""
    return [i.rsplit("/", 1)[-1] if i.endswith((".tar", ".tar.gz")) else i for i in images]


def scan_session(loaded: LoadedProfile, settings: Settings) -> ScanRun:
    """Run every scanner for the profile once (the suites share the run through a session fixture).

    ``settings`` are the plugin's (tool overrides, the tool cache, canary values in its environment).
    """
    shared = _SHARED.get(_key(loaded))
    if shared is not None:
        return shared
    return run_scan(loaded.profile, loaded.path.parent, settings)


def replay(run: ScanRun, spec: CheckSpec, subject: str | None, evidence: EvidenceRecorder) -> None:
    """Re-raise the engine's verdict for ``spec``/``subject`` as this pytest check's outcome."""
    __tracebackhide__ = True
    result: CheckResult | None = next(
        (r for r in run.results if r.id == spec.id and r.subject == subject), None
    )
    if result is None:
        raise CouldNotCheck(f"the scan produced no result for {spec.id}[{subject}]", ErrorReason.INTERNAL)
    message = run.redactor.text(result.message)
    if result.status is Status.SKIPPED:
        pytest.skip(message)
    if result.status is Status.ERROR:
        raise CouldNotCheck(message, result.error_reason or ErrorReason.TOOL_FAILED)
    ev = result.evidence
    evidence.record(
        expected=ev.expected, observed=ev.observed, op=ev.op, unit=ev.unit, **run.redactor.data(ev.details)
    )
    evidence.message = message
    assert result.status is not Status.FAILED, message
