"""A team's own claims end to end: a profile for a service that is none of the seeds, verified against the
real reference service; every artifact names only that profile's claims, quoted with their source lines."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from conftest import CliRun

pytestmark = pytest.mark.integration

ADR = """\
# ADR 0007: Edge of the payments API

## Decision
- The API answers its liveness probe at /health/live.
- Every response carries X-Content-Type-Options: nosniff and a Content-Security-Policy.
- Browsers may call us only from https://app.example.com.
- Hosting stays below EUR 300 per month.
- We serve TLS 1.3 only.
"""

PROFILE = """\
name: payments-edge
description: The payments API's edge promises (docs/adr/0007-edge.md).
health: {live: /health/live, ready: null}
headers: {required: [x-content-type-options, content-security-policy]}
cors: {allowed_origins: [https://app.example.com]}
claims:
  - id: pay-live
    text: "The API answers its liveness probe at /health/live."
    source: docs/adr/0007-edge.md:4
    verified_by: [health.live]
  - id: pay-headers
    text: "Every response carries X-Content-Type-Options: nosniff and a Content-Security-Policy."
    source: docs/adr/0007-edge.md:5
    verified_by: [headers.nosniff, headers.csp, headers.required]
  - id: pay-cors
    text: "Browsers may call us only from https://app.example.com."
    source: docs/adr/0007-edge.md:6
    verified_by: [cors]
  - id: pay-cost
    text: "Hosting stays below EUR 300 per month."
    source: docs/adr/0007-edge.md:7
    manual: the cloud bill; no check can see it
  - id: pay-tls
    text: "We serve TLS 1.3 only."
    source: docs/adr/0007-edge.md:8
    verified_by: [tls.protocols]
"""

# Every way the catalog used to name our first customers' systems.
SEED_NAMES = re.compile(r"chimera|djinn|monte.carlo|railway|blue-green platform|ai community|seeds?/00", re.I)


def verify_payments(tmp_path: Path, service_url: str, run_cli: Callable[..., CliRun]) -> CliRun:
    (tmp_path / "docs" / "adr").mkdir(parents=True)
    (tmp_path / "docs" / "adr" / "0007-edge.md").write_text(ADR)
    profile = tmp_path / "payments.yaml"
    profile.write_text(PROFILE)
    return run_cli(
        "verify", "--profile", str(profile), "--target", service_url, "--suite", "health", "--suite",
        "headers", "--suite", "cors",
    )  # fmt: skip


def test_a_teams_report_names_only_its_own_claims_each_quoted_with_its_source(
    tmp_path: Path, refservice: Callable[..., Any], run_cli: Callable[..., CliRun]
) -> None:
    service = refservice(defects=["no-header=x-content-type-options"])
    run = verify_payments(tmp_path, service.url, run_cli)
    assert run.code == 1, run.stderr
    report = run.report
    verdicts = {c["id"]: c["status"] for c in report["claims"]}
    assert verdicts == {
        "pay-live": "verified",
        "pay-headers": "violated",  # the defect drops nosniff
        "pay-cors": "verified",
        "pay-cost": "manual",
        "pay-tls": "not_run",  # the tls suite was not selected
    }
    assert report["summary"]["claims"] == {
        "total": 5,
        "verified": 2,
        "violated": 1,
        "could_not_check": 0,
        "manual": 1,
        "not_run": 1,
    }
    headers = next(c for c in report["claims"] if c["id"] == "pay-headers")
    assert "headers.nosniff" in headers["message"]
    # Every result that a claim points at carries the team's sentence and its line; no other claim exists.
    adr_lines = ADR.splitlines()
    for result in report["results"]:
        for claim in result["claims"]:
            assert claim["id"].startswith("pay-")
            line = int(claim["source"].rsplit(":", 1)[1])
            assert claim["text"].strip(".") in adr_lines[line - 1], claim
    nosniff = next(r for r in report["results"] if r["id"] == "headers.nosniff")
    assert nosniff["status"] == "failed" and [c["id"] for c in nosniff["claims"]] == ["pay-headers"]
    # Every artifact: the team's claims present, none of our seed systems anywhere.
    assert run.report_dir is not None
    summary = (run.report_dir / "summary.md").read_text()
    page = (run.report_dir / "index.html").read_text()
    assert "## Claims" in summary and "docs/adr/0007-edge.md:5" in summary and "VIOLATED" in summary
    assert "Hosting stays below EUR 300 per month." in page and "docs/adr/0007-edge.md:7" in page
    assert "5 claims: 2 verified, 1 violated" in run.stdout
    junit = (run.report_dir / "junit.xml").read_text()
    assert 'name="claim:pay-headers"' in junit and "docs/adr/0007-edge.md:5" in junit
    for artifact in sorted(run.report_dir.iterdir()):
        if artifact.is_file():
            text = artifact.read_text(errors="replace")
            assert not SEED_NAMES.search(text), f"{artifact.name}: {SEED_NAMES.search(text)}"


def test_the_same_claims_hold_on_the_compliant_service(
    tmp_path: Path, refservice: Callable[..., Any], run_cli: Callable[..., CliRun]
) -> None:
    run = verify_payments(tmp_path, refservice().url, run_cli)
    assert run.code == 0, run.stdout + run.stderr
    verdicts = {c["id"]: c["status"] for c in run.report["claims"]}
    assert verdicts["pay-headers"] == "verified" and verdicts["pay-live"] == "verified"
