"""A profile drafted from an ADR (`stackcheck adr draft`) verifies the real reference service, both ways.

The ADR (tests/data/adr/reference-service.md) describes what the reference service does when started with
the demo profile; the drafted profile must validate, pass on the compliant service with every mapped claim
verified, and fail on a service with defects, the broken claims violated.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

import pytest

from conftest import DEMO_PROFILE, REPO_ROOT, CliRun
from fixtures.refservice import RefService
from tests.integration.http_surface import compliant, https_refservice
from tests.integration.test_health_suite import COMPLIANT as HEALTH_COMPLIANT

pytestmark = pytest.mark.integration

SUITES = ["health", "metrics", "ratelimit", "headers", "cors", "exposure", "tls"]
# Every check of these suites passes, but for those the ADR gives no keys for.
COMPLIANT = {
    **HEALTH_COMPLIANT,  # its drill is skipped: the ADR names no dependency
    **{k: v for suite in SUITES[1:] for k, v in compliant(suite).items()},
    "metrics.required": "skipped",  # nor metric names
    "metrics.latency_histogram": "skipped",
    "metrics.not_public": "skipped",  # nor a private metrics port
    "headers.values": "skipped",  # nor exact header values
    "cors.credentials": "skipped",  # nor whether credentials are allowed
    "tls.redirect": "skipped",  # nor the plain-HTTP port
}


@pytest.fixture(scope="module")
def drafted(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The profile `stackcheck adr draft` writes for the reference service's ADR (run as the CLI)."""
    out = tmp_path_factory.mktemp("adr") / "drafted.yaml"
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "stackcheck",
            "adr",
            "draft",
            "tests/data/adr/reference-service.md",
            "-o",
            str(out),
        ],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert "11 claims found: 10 mapped to 17 keys, 1 manual" in proc.stderr
    return out


def _verify(run_cli: Callable[..., CliRun], profile: Path, service: RefService) -> CliRun:
    args = ["verify", "--profile", str(profile), "--target", service.url]
    args += ["--set", f"target.ca_bundle={service.ca_file}"]
    for suite in SUITES:
        args += ["--suite", suite]
    return run_cli(*args)


def _verdicts(run: CliRun) -> dict[str, str]:
    return {c["id"]: c["status"] for c in run.report["claims"]}


def test_the_draft_validates(run_cli: Callable[..., CliRun], drafted: Path) -> None:
    run = run_cli("profile", "validate", str(drafted))
    assert run.code == 0, run.stdout + run.stderr
    assert "11 claim(s), 1 manual" in run.stdout


def test_the_draft_passes_on_the_compliant_service_with_its_claims_verified(
    run_cli: Callable[..., CliRun], drafted: Path
) -> None:
    with https_refservice(profile=DEMO_PROFILE) as service:
        run = _verify(run_cli, drafted, service)
    assert run.code == 0, run.stdout + run.stderr
    assert run.statuses() == COMPLIANT
    verdicts = _verdicts(run)
    assert verdicts == {**{f"c-{n:03d}": "verified" for n in range(1, 11)}, "c-011": "manual"}
    sources = {c["id"]: c["source"] for c in run.report["claims"]}
    assert sources["c-006"] == "tests/data/adr/reference-service.md:19"


DEFECTS: Sequence[str] = ("missing=/freshness", "no-rate-limit", "hsts-short", "tls-min=1.2")


def test_the_draft_fails_on_a_broken_service_naming_the_broken_claims(
    run_cli: Callable[..., CliRun], drafted: Path
) -> None:
    with https_refservice(DEFECTS, profile=DEMO_PROFILE) as service:
        run = _verify(run_cli, drafted, service)
    assert run.code == 1, run.stdout + run.stderr
    statuses = run.statuses()
    for label in ("health.extra[/freshness]", "ratelimit.enforced", "headers.hsts", "tls.protocols"):
        assert statuses[label] == "failed", (label, statuses[label])
    verdicts = _verdicts(run)
    # /freshness, the rate limit, HSTS and TLS 1.3 only are violated; the other claims still hold.
    assert {k for k, v in verdicts.items() if v == "violated"} == {"c-003", "c-006", "c-007", "c-010"}
    assert verdicts["c-001"] == verdicts["c-008"] == "verified" and verdicts["c-011"] == "manual"
