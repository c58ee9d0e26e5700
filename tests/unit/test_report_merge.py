"""report/merge.py: stage reports of one profile become one report; reports that are not are refused."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from stackcheck._exceptions import UsageError
from stackcheck.catalog import REGISTRY
from stackcheck.claims import apply_claims
from stackcheck.cli import main
from stackcheck.outcomes import CheckResult, ErrorReason, Status
from stackcheck.profile import Profile
from stackcheck.report import Report, read_report, write_report
from stackcheck.report.merge import merge_reports, refuse_mismatch
from stackcheck.report.model import ProfileInfo, RunInfo, mark_interrupted, summarize
from stackcheck.waivers import WaiverState, apply_waivers

NOW = dt.datetime(2026, 11, 23, 12, 0, tzinfo=dt.UTC)
PROFILE = Profile.model_validate(
    {
        "name": "edge",
        "health": {"live": "/health/live", "ready": None},
        "slo": {"p95_ms": 100},
        "claims": [
            {
                "id": "both",
                "text": "Alive and fast.",
                "source": "adr.md:1",
                "verified_by": ["health.live", "load.p95"],
            },
            {"id": "alive", "text": "Alive.", "source": "adr.md:2", "verified_by": ["health.live"]},
        ],
        "waivers": [
            {"check": "load.p95", "owner": "ops", "reason": "known", "expires": "2099-01-01"},
        ],
    }
)


def _result(check: str, status: Status) -> CheckResult:
    reason = ErrorReason.TIMEOUT if status is Status.ERROR else None
    return CheckResult.of(REGISTRY[check], status, f"{check} {status}", error_reason=reason)


def _stage(
    suite: str,
    *results: CheckResult,
    name: str = "edge",
    sha: str = "a" * 64,
    target: str | None = None,
    scan_root: str | None = None,
) -> Report:
    """A stage's report as the stage builds it: waivers then claims, over its own results only."""
    waived, waivers = apply_waivers(list(results), list(PROFILE.waivers), set(REGISTRY), NOW.date())
    judged, claims = apply_claims(waived, PROFILE)
    return Report(
        run=RunInfo(
            command=f"stackcheck {suite}",
            started_at=NOW,
            finished_at=NOW + dt.timedelta(seconds=2),
            duration_s=2.0,
            host="h",
            tool_versions={suite: "1"},
            suites=(suite,),
            scan_root=scan_root,
        ),
        profile=ProfileInfo(name=name, path="edge.yaml", files=("edge.yaml",), sha256=sha),
        target=target,
        summary=summarize(judged, tuple(waivers), claims),
        claims=claims,
        results=judged,
        waivers=tuple(waivers),
    )


def test_a_claim_spanning_stages_is_verified_only_over_both() -> None:
    verify = _stage("verify", _result("health.live", Status.PASSED), target="http://127.0.0.1:1")
    load = _stage("load", _result("load.p95", Status.PASSED), target="http://127.0.0.1:1")
    assert {c.id: c.status for c in verify.claims}["both"] == "not_run"
    merged = merge_reports([verify, load], "stackcheck run")
    assert {c.id: c.status for c in merged.claims} == {"both": "verified", "alive": "verified"}
    assert merged.summary.total == 2 and merged.summary.exit_code == 0
    assert merged.summary.claims.verified == 2
    assert merged.run.suites == ("load", "verify") and merged.run.tool_versions == {
        "verify": "1",
        "load": "1",
    }
    assert merged.target == "http://127.0.0.1:1"


def test_a_failure_in_one_stage_fails_the_merged_report_and_violates_the_claim() -> None:
    verify = _stage("verify", _result("health.live", Status.FAILED))
    load = _stage("load", _result("load.p95", Status.ERROR))
    merged = merge_reports([verify, load], "stackcheck run")
    assert merged.summary.exit_code == 1
    assert {c.id: c.status for c in merged.claims} == {"both": "violated", "alive": "violated"}


def test_a_waiver_active_in_one_stage_is_active_in_the_merged_report() -> None:
    verify = _stage("verify", _result("health.live", Status.PASSED))
    load = _stage("load", _result("load.p95", Status.FAILED))
    assert verify.waivers[0].state is WaiverState.UNUSED and load.waivers[0].state is WaiverState.ACTIVE
    merged = merge_reports([verify, load], "stackcheck run")
    assert merged.waivers[0].state is WaiverState.ACTIVE and merged.waivers[0].covered == ("load.p95",)
    assert merged.summary.exit_code == 0 and merged.summary.waived == 1


def test_the_scan_stages_result_is_kept_over_verifys_replay_of_the_same_scanner() -> None:
    verify = _stage("verify", _result("health.live", Status.PASSED), _result("scan.code", Status.PASSED))
    scan = _stage("scan", _result("scan.code", Status.FAILED), scan_root="file:///repo/")
    refuse_mismatch([("v", verify), ("s", scan)])  # a verify folder and a scan folder: not refused
    merged = merge_reports([verify, scan], "stackcheck report merge")
    assert [(r.label, r.status) for r in merged.results] == [
        ("scan.code", Status.FAILED),
        ("health.live", Status.PASSED),
    ]
    assert merged.summary.total == 2 and merged.summary.exit_code == 1
    assert merged.run.scan_root == "file:///repo/"


def test_an_interrupted_stage_makes_the_merged_report_partial() -> None:
    verify = _stage("verify", _result("health.live", Status.PASSED))
    merged = merge_reports([mark_interrupted(verify, 15)], "stackcheck run")
    assert merged.run.interrupted and merged.run.signal == "SIGTERM" and merged.summary.exit_code == 143


@pytest.mark.parametrize(
    ("other", "words"),
    [
        (_stage("load", _result("load.p95", Status.PASSED), name="other"), "of profile 'other'"),
        (_stage("load", _result("load.p95", Status.PASSED), sha="b" * 64), "different versions"),
        (_stage("load", _result("load.p95", Status.PASSED), target="http://127.0.0.1:2"), "verified http"),
        (_stage("verify", _result("health.live", Status.PASSED)), "both hold a result of health.live"),
    ],
)
def test_reports_of_another_profile_target_or_the_same_stage_are_refused(other: Report, words: str) -> None:
    first = _stage("verify", _result("health.live", Status.PASSED), target="http://127.0.0.1:1")
    with pytest.raises(UsageError, match=words):
        refuse_mismatch([("v", first), ("o", other)])


def test_report_merge_writes_every_artifact_and_refuses_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write_report(_stage("verify", _result("health.live", Status.PASSED)), tmp_path / "v")
    write_report(_stage("load", _result("load.p95", Status.FAILED)), tmp_path / "l")
    write_report(_stage("load", _result("load.p95", Status.PASSED), name="other"), tmp_path / "x")
    assert main(["report", "merge", str(tmp_path / "v"), str(tmp_path / "l"), "-o", str(tmp_path / "o")]) == 0
    merged = read_report(tmp_path / "o")
    assert merged.summary.waived == 1 and {p.name for p in (tmp_path / "o").iterdir()} >= {
        "report.json", "junit.xml", "results.sarif", "summary.md", "index.html"
    }  # fmt: skip
    capsys.readouterr()
    for folders, words in (
        ([tmp_path / "v", tmp_path / "x"], "of profile 'other'"),
        ([tmp_path / "v", tmp_path / "missing"], "missing/report.json not found"),
    ):
        code = main(["report", "merge", *map(str, folders), "-o", str(tmp_path / "refused")])
        err = capsys.readouterr().err
        assert code == 2 and err.count("\n") == 1 and words in err, err
    assert not (tmp_path / "refused").exists()
    assert main(["report", "merge", str(tmp_path / "v")]) == 2
    assert "-o OUT" in capsys.readouterr().err


def test_the_merged_process_wall_time_adds_up_the_stages_and_is_unknown_if_one_lacks_it() -> None:
    def timed(report: Report, wall: float | None) -> Report:
        return report.model_copy(update={"run": report.run.model_copy(update={"process_wall_s": wall})})

    verify = _stage("verify", _result("health.live", Status.PASSED))
    load = _stage("load", _result("load.p95", Status.PASSED))
    merged = merge_reports([timed(verify, 3.5), timed(load, 12.25)], "stackcheck run")
    assert merged.run.process_wall_s == 15.75
    assert merge_reports([timed(verify, 3.5), load], "stackcheck run").run.process_wall_s is None
