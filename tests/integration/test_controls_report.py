"""Control verdicts end to end, both ways, against the real reference service: a compliant run supports the
controls of the checks that ran; a defect that fails one check turns exactly the controls that check
supports to not met, and nothing else."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from conftest import CliRun
from stackcheck.catalog import REGISTRY

pytestmark = pytest.mark.integration

PROFILE = """\
name: controls-edge
health: {live: /health/live, ready: null}
headers: {required: [x-content-type-options, content-security-policy]}
cors: {allowed_origins: [https://app.example.com]}
"""


def verify(tmp_path: Path, name: str, url: str, run_cli: Callable[..., CliRun], *extra: str) -> CliRun:
    profile = tmp_path / f"{name}.yaml"
    profile.write_text(PROFILE)
    return run_cli(
        "verify", "--profile", str(profile), "--target", url, "--suite", "health", "--suite", "headers",
        "--suite", "cors", *extra,
    )  # fmt: skip


def controls(run: CliRun) -> dict[str, dict[str, Any]]:
    return {c["id"]: c for c in run.report["controls"]}


def test_a_defect_that_fails_one_check_turns_exactly_its_controls_to_not_met(
    tmp_path: Path, refservice: Callable[..., Any], run_cli: Callable[..., CliRun]
) -> None:
    good = verify(tmp_path, "good", refservice().url, run_cli)
    assert good.code == 0, good.stderr
    bad_service = refservice(defects=["no-header=x-content-type-options"])
    bad = verify(tmp_path, "bad", bad_service.url, run_cli, "--framework", "asvs", "--framework", "soc2")
    assert bad.code == 1, bad.stderr
    failed = {r["id"] for r in bad.report["results"] if r["status"] == "failed"}
    assert failed == {"headers.nosniff", "headers.required"}  # required lists the dropped header too
    before, after = controls(good), controls(bad)

    # Without a defect: every control whose supporting checks all ran (a skipped one looked and found nothing
    # to apply to) with at least one passing is supported.
    results = good.report["results"]
    assert {r["status"] for r in results} <= {"passed", "skipped"}
    ran = {r["id"] for r in results}
    passed = {r["id"] for r in results if r["status"] == "passed"}
    for control in before.values():
        checks = set(control["checks"])
        if checks and checks <= ran and checks & passed:
            assert control["status"] == "supported", control
        else:
            assert control["status"] in ("incomplete", "not_covered"), control
    assert before["OWASP-ASVS:14.4.4"]["status"] == "supported"
    assert {c["framework"] for c in before.values()} == {"asvs", "soc2"}  # the frameworks its checks support

    # With it: exactly the controls of the failed checks changed, each to not_met.
    expected = {c for check in failed for c in REGISTRY[check].controls}
    assert expected == {"OWASP-ASVS:14.4.4"}
    changed = {cid for cid in before if after[cid]["status"] != before[cid]["status"]}
    assert changed == expected
    assert all(after[cid]["status"] == "not_met" for cid in changed)
    assert "headers.nosniff" in after["OWASP-ASVS:14.4.4"]["message"]
    assert bad.report["summary"]["controls"]["not_met"] == 1
    assert set(after) == set(before)  # --framework asvs soc2: the same frameworks, named

    # Every artifact shows them, with the statement that checks support a control and do not certify it.
    assert bad.report_dir is not None
    summary = (bad.report_dir / "summary.md").read_text()
    page = (bad.report_dir / "index.html").read_text()
    assert "## Controls" in summary and "| NOT MET | `OWASP-ASVS:14.4.4` |" in summary
    assert "<code>OWASP-ASVS:14.4.4</code>" in page and "they do not certify it" in page
    c = bad.report["summary"]["controls"]
    assert f"{c['total']} controls: {c['supported']} supported, 1 not met" in bad.stdout


def test_framework_selects_frameworks_no_check_of_the_run_supports(
    tmp_path: Path, refservice: Callable[..., Any], run_cli: Callable[..., CliRun]
) -> None:
    run = verify(tmp_path, "pci", refservice().url, run_cli, "--framework", "pci-dss")
    assert run.code == 0, run.stderr
    shown = run.report["controls"]
    assert shown and {c["framework"] for c in shown} == {"pci-dss"}
    assert {c["status"] for c in shown} <= {"incomplete", "not_covered"}  # tls/secrets did not run
    wrong = verify(tmp_path, "wrong", refservice().url, run_cli, "--framework", "iso27001")
    assert wrong.code == 2 and "unknown --framework 'iso27001'" in wrong.stderr
    assert "Traceback" not in wrong.stderr
