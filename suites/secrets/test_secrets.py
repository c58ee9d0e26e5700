"""Suite ``secrets``: no credential in the repository, in image layers, or in what the service emits.

``secrets.repo`` and ``secrets.image`` replay the scan engine's verdicts (detect-secrets, trivy).
``secrets.logs`` is a runtime check: it sends a planted canary credential (a fresh random token, in the
``Authorization`` and ``X-API-Key`` headers of a bounded number of GETs to the profile's health endpoints)
and requires that neither the responses nor what the service appended to ``scan.log_files`` contain it —
nor any value of the profile's ``scan.canaries`` environment variables (secrets the service holds).
"""

from __future__ import annotations

import secrets as random_secrets
from pathlib import Path

import pytest

from stackcheck.catalog import secrets as checks
from stackcheck.probes.logcapture import FileLog
from stackcheck.testing import (
    EvidenceRecorder,
    HttpProbe,
    Profile,
    ScanRun,
    ScanSection,
    Settings,
    loaded_profile,
    replay,
    require,
    wait_until,
)

MAX_REQUESTS = 12  # bounded load: a handful of GETs, whatever the profile lists
LOG_SETTLE_S = 3.0  # how long the service may take to write its request log lines
MAX_LOG_BYTES = 10_000_000  # of each log file, read per run


@pytest.fixture
def scan(profile: Profile) -> ScanSection:
    """The profile's ``scan`` section (the plugin already skipped the check when it is absent)."""
    return require(profile.scan, "profile has no `scan` section")


@pytest.mark.check(checks.REPO)
def test_repository_holds_no_secret(scan_run: ScanRun, evidence: EvidenceRecorder) -> None:
    replay(scan_run, checks.REPO, None, evidence)


@pytest.mark.check(checks.IMAGE)
def test_image_layers_hold_no_secret(
    scan_run: ScanRun, image: str | None, evidence: EvidenceRecorder
) -> None:
    replay(scan_run, checks.IMAGE, image, evidence)


def _paths(profile: Profile) -> list[str]:
    health = profile.health
    paths = [p for p in (health.live, health.ready, health.startup, *health.extra) if p] if health else []
    return list(dict.fromkeys(["/", *paths]))[:MAX_REQUESTS]


@pytest.mark.check(checks.LOGS)  # spec.requires: skipped while scan.log_files is empty
def test_planted_canary_never_appears_in_responses_or_logs(
    request: pytest.FixtureRequest,
    scan: ScanSection,
    profile: Profile,
    settings: Settings,
    http: HttpProbe,
    evidence: EvidenceRecorder,
) -> None:
    base = loaded_profile(request.config).path.parent
    logs = [FileLog(Path(f) if Path(f).is_absolute() else base / f, "scan.log_files") for f in scan.log_files]
    for log in logs:
        log.open()  # a missing file is `error` (misconfigured), naming it
    canary = f"sc-canary-{random_secrets.token_hex(16)}"
    held = [value for name in scan.canaries if (value := settings.environ.get(name))]
    watched = [canary, *held]
    headers = {"Authorization": f"Bearer {canary}", "X-API-Key": canary}
    leaks: list[str] = []
    for path in _paths(profile):
        exchange = http.get(path, headers=headers)
        response = exchange.response
        text = exchange.text + "\n" + "\n".join(f"{k}: {v}" for k, v in response.headers.items())
        leaks += [f"response of GET {path}" for value in watched if value in text][:1]

    # The service logs asynchronously: wait (bounded) until it wrote something about our requests.
    wait_until(lambda: all(log.size() > 0 for log in logs), LOG_SETTLE_S, 0.05)
    written = {log.display: log.read(MAX_LOG_BYTES).data.decode(errors="replace") for log in logs}
    for name, text in written.items():
        for number, line in enumerate(text.splitlines(), 1):
            if any(value in line for value in watched):
                leaks.append(f"{name} (line {number} of what the run appended)")
    evidence.record(
        expected=0,
        observed=len(leaks),
        op="<=",
        unit="occurrences",
        requests=len(_paths(profile)),
        log_bytes_read={name: len(t) for name, t in written.items()},
        canaries_watched=len(watched),
        found_in=leaks[:10],
    )
    evidence.message = f"canary absent from {len(_paths(profile))} responses and {len(logs)} log file(s)"
    assert not leaks, f"a planted credential appeared in {leaks[0]}" + (
        f" and {len(leaks) - 1} more place(s)" if len(leaks) > 1 else ""
    )
