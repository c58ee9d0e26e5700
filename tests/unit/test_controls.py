"""The control catalog and the verdicts: one source of truth for which checks support a control, each
verdict both ways, which frameworks a report shows, and the tables of summary.md and index.html."""

from __future__ import annotations

import datetime as dt
import tomllib
from pathlib import Path

import pytest

from stackcheck._exceptions import UsageError
from stackcheck.catalog import REGISTRY
from stackcheck.catalog.spec import CheckSpec, Severity, SuiteName
from stackcheck.cli import main
from stackcheck.controls import (
    CATALOG_DIR,
    Control,
    ControlStatus,
    Framework,
    check_frameworks,
    framework_names,
    judge_controls,
    load_catalog,
)
from stackcheck.outcomes import CheckResult, ErrorReason, Status
from stackcheck.report.html import render_html
from stackcheck.report.model import ProfileInfo, Report, RunInfo, summarize
from stackcheck.report.summary import render_summary
from stackcheck.resources import data_path
from stackcheck.settings import Settings

ROOT = Path(__file__).resolve().parents[2]


def spec(check_id: str, *controls: str) -> CheckSpec:
    return CheckSpec(
        id=check_id, title=check_id, severity=Severity.LOW, suite=SuiteName.TEAM, section="health",
        controls=controls,
    )  # fmt: skip


A, B = spec("team.a", "T:both", "T:either", "T:a_only"), spec("team.b", "T:both", "T:either")
CATALOG = (
    Framework(
        framework="t",
        prefix="T",
        title="Test framework",
        edition="1",
        controls=(
            Control(id="T:both", title="needs a and b"),
            Control(id="T:either", title="a or b", combine="any"),
            Control(id="T:a_only", title="needs a"),
            Control(id="T:none", title="no check"),
        ),
    ),
)


def result(check: CheckSpec, status: Status, subject: str | None = None) -> CheckResult:
    reason = ErrorReason.TIMEOUT if status is Status.ERROR else None
    return CheckResult.of(check, status, "m", subject=subject, error_reason=reason)


def verdicts(*results: CheckResult, frameworks: tuple[str, ...] = ("t",)) -> dict[str, ControlStatus]:
    judged = judge_controls(results, frameworks, (A, B), CATALOG)
    return {v.id: v.status for v in judged}


# --- the catalog: one source of truth ----------------------------------------------------------------------


def test_the_catalog_has_the_six_frameworks_each_control_once_with_its_prefix() -> None:
    catalog = load_catalog()
    assert framework_names() == ("asvs", "cis-docker", "dpdp", "gdpr", "pci-dss", "soc2")
    ids = [c.id for fw in catalog for c in fw.controls]
    assert len(ids) == len(set(ids))
    for fw in catalog:
        assert all(c.id.startswith(fw.prefix + ":") and c.title for c in fw.controls), fw.framework


def test_every_control_a_check_names_is_in_the_catalog() -> None:
    known = {c.id for fw in load_catalog() for c in fw.controls}
    unknown = {(s.id, c) for s in REGISTRY.values() for c in s.controls if c not in known}
    assert not unknown, f"checks name controls the catalog does not know: {sorted(unknown)}"


def test_the_catalog_names_no_check_a_checks_key_is_refused(tmp_path: Path) -> None:
    """Which checks support a control is declared on the check only: a second list could disagree."""
    good = (data_path(CATALOG_DIR) / "soc2.yaml").read_text(encoding="utf-8")
    title = "    title: The entity tests recovery"
    (tmp_path / "soc2.yaml").write_text(good.replace(title, "    checks: [health.live]\n" + title))
    with pytest.raises(ValueError, match="checks"):
        load_catalog(tmp_path)


def test_a_broken_catalog_is_refused(tmp_path: Path) -> None:
    (tmp_path / "x.yaml").write_text(
        "framework: x\nprefix: X\ntitle: t\nedition: e\ncontrols:\n  - {id: 'Y:1', title: t}\n"
    )
    with pytest.raises(ValueError, match="does not start with X:"):
        load_catalog(tmp_path)
    (tmp_path / "x.yaml").write_text(
        "framework: y\nprefix: X\ntitle: t\nedition: e\ncontrols:\n  - {id: 'X:1', title: t}\n"
    )
    with pytest.raises(ValueError, match="not named after its file"):
        load_catalog(tmp_path)


def test_the_wheel_carries_the_catalog() -> None:
    includes = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["hatch"]["build"]["targets"]
    assert includes["wheel"]["force-include"][CATALOG_DIR] == f"stackcheck/_data/{CATALOG_DIR}"
    assert data_path(CATALOG_DIR).is_dir()


def test_known_mappings_of_the_issue() -> None:
    assert "PCI-DSS:4.2.1" in REGISTRY["tls.certificate"].controls
    assert "PCI-DSS:4.2.1" in REGISTRY["tls.protocols"].controls
    assert "PCI-DSS:8.6.2" in REGISTRY["secrets.repo"].controls
    assert "DPDP:S8(5)" in REGISTRY["tls.protocols"].controls
    assert REGISTRY["headers.nosniff"].controls == ("OWASP-ASVS:14.4.4",)


# --- verdicts, both ways -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("a", "b", "both", "either"),
    [
        (Status.PASSED, Status.PASSED, ControlStatus.SUPPORTED, ControlStatus.SUPPORTED),
        (Status.PASSED, Status.FAILED, ControlStatus.NOT_MET, ControlStatus.NOT_MET),
        (Status.PASSED, Status.WAIVED, ControlStatus.NOT_MET, ControlStatus.NOT_MET),  # a gap, accepted
        (Status.PASSED, Status.ERROR, ControlStatus.INCOMPLETE, ControlStatus.SUPPORTED),
        (Status.PASSED, Status.SKIPPED, ControlStatus.SUPPORTED, ControlStatus.SUPPORTED),  # as for claims
        (Status.SKIPPED, Status.SKIPPED, ControlStatus.INCOMPLETE, ControlStatus.INCOMPLETE),
        (Status.PASSED, None, ControlStatus.INCOMPLETE, ControlStatus.SUPPORTED),  # b did not run
        (Status.ERROR, Status.FAILED, ControlStatus.NOT_MET, ControlStatus.NOT_MET),
        (Status.SKIPPED, None, ControlStatus.INCOMPLETE, ControlStatus.INCOMPLETE),
        (Status.ERROR, Status.SKIPPED, ControlStatus.INCOMPLETE, ControlStatus.INCOMPLETE),
    ],
)
def test_a_controls_verdict_from_its_checks(
    a: Status, b: Status | None, both: ControlStatus, either: ControlStatus
) -> None:
    results = [result(A, a)] + ([result(B, b)] if b is not None else [])
    got = verdicts(*results)
    assert got["T:both"] is both
    assert got["T:either"] is either
    assert got["T:none"] is ControlStatus.NOT_COVERED


def test_a_check_with_several_subjects_fails_a_control_when_one_subject_fails() -> None:
    ok = [result(A, Status.PASSED, "x"), result(B, Status.PASSED)]
    assert verdicts(*ok, result(A, Status.SKIPPED, "y"))["T:a_only"] is ControlStatus.SUPPORTED
    assert verdicts(*ok, result(A, Status.FAILED, "y"))["T:a_only"] is ControlStatus.NOT_MET
    assert verdicts(*ok, result(A, Status.ERROR, "y"))["T:a_only"] is ControlStatus.INCOMPLETE


def test_the_verdict_names_its_checks_results_and_why() -> None:
    waived = result(B, Status.WAIVED)
    judged = {v.id: v for v in judge_controls([result(A, Status.PASSED), waived], ("t",), (A, B), CATALOG)}
    both = judged["T:both"]
    assert both.checks == ("team.a", "team.b") and both.results == ("team.a", "team.b")
    assert "team.b" in both.message and "waived" in both.message
    assert "did not run" in verdicts_message(result(A, Status.PASSED))
    assert judged["T:none"].message == "no stackcheck check supports this control"


def verdicts_message(*results: CheckResult) -> str:
    return next(v.message for v in judge_controls(results, ("t",), (A, B), CATALOG) if v.id == "T:both")


# --- which frameworks a report shows ------------------------------------------------------------------------


def test_by_default_a_report_shows_the_frameworks_a_check_of_the_run_supports() -> None:
    nosniff = CheckResult.of(REGISTRY["headers.nosniff"], Status.PASSED, "ok")
    shown = {v.framework for v in judge_controls([nosniff])}
    assert shown == {"asvs"}
    pg_ssl = CheckResult.of(REGISTRY["pg.ssl"], Status.FAILED, "no")
    shown = {v.framework for v in judge_controls([pg_ssl])}
    assert shown == {"asvs", "soc2", "pci-dss", "gdpr", "dpdp"}
    judged = {v.id: v.status for v in judge_controls([nosniff])}
    assert judged["OWASP-ASVS:14.4.4"] is ControlStatus.SUPPORTED
    assert judged["OWASP-ASVS:14.4.5"] is ControlStatus.INCOMPLETE  # headers.hsts did not run


def test_framework_selects_what_the_report_shows_even_without_a_check_in_the_run() -> None:
    nosniff = CheckResult.of(REGISTRY["headers.nosniff"], Status.PASSED, "ok")
    judged = judge_controls([nosniff], ("cis-docker",))
    assert {v.framework for v in judged} == {"cis-docker"}
    assert {v.status for v in judged} <= {ControlStatus.INCOMPLETE, ControlStatus.NOT_COVERED}


def test_an_unknown_framework_is_a_usage_error_before_anything_runs(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert check_frameworks(["SOC2", "soc2", "pci-dss"]) == ("soc2", "pci-dss")
    with pytest.raises(UsageError, match="unknown --framework 'soc3'"):
        Settings.from_environ({}, frameworks=["soc3"])
    profile = ROOT / "policies" / "profiles" / "reference-stack.yaml"
    assert main(["scan", "--profile", str(profile), "--framework", "nist"]) == 2
    err = capsys.readouterr().err
    assert "unknown --framework 'nist'" in err and "soc2" in err and "Traceback" not in err


# --- the report and its renderings --------------------------------------------------------------------------


def _report(*results: CheckResult, frameworks: tuple[str, ...] = ()) -> Report:
    controls = judge_controls(results, frameworks)
    now = dt.datetime(2026, 1, 1, tzinfo=dt.UTC)
    return Report(
        run=RunInfo(
            command="stackcheck verify",
            started_at=now,
            finished_at=now,
            duration_s=0.0,
            host="h",
            tool_versions={},
        ),
        profile=ProfileInfo(name="p", path="p.yaml", files=("p.yaml",), sha256="0" * 64),
        target=None,
        summary=summarize(tuple(results), (), (), controls),
        controls=controls,
        results=tuple(results),
    )


def test_the_report_counts_the_controls_and_round_trips() -> None:
    report = _report(
        CheckResult.of(REGISTRY["headers.nosniff"], Status.FAILED, "missing"),
        CheckResult.of(REGISTRY["headers.csp"], Status.PASSED, "ok"),
    )
    c = report.summary.controls
    assert (c.total, c.not_met, c.supported) == (len(report.controls), 1, 1)
    assert c.total == c.supported + c.not_met + c.incomplete + c.not_covered
    assert Report.from_json(report.to_json()) == report


def test_summary_md_and_index_html_show_a_table_per_framework_and_say_support_not_certify() -> None:
    report = _report(CheckResult.of(REGISTRY["tls.protocols"], Status.FAILED, "TLS 1.0 accepted"))
    md, page = render_summary(report), render_html(report)
    for fw in ("OWASP Application Security Verification Standard", "Payment Card Industry", "SOC 2"):
        assert fw in md and fw in page
    assert "they do not certify it" in md and "they do not certify it" in page
    row = next(line for line in md.splitlines() if "`PCI-DSS:4.2.1`" in line)
    assert row.startswith("| NOT MET |") and row.count(" | ") == 4  # five cells
    assert "`tls.protocols`" in row
    assert "<code>GDPR:Art.32(1)(a)</code>" in page and "NOT MET" in page
    assert "## Controls" not in render_summary(_report())  # nothing shown, no empty section


def test_a_secret_in_a_subject_is_redacted_in_the_controls_too() -> None:
    from stackcheck.redact import Redactor
    from stackcheck.report.publish import publishable

    leaked = CheckResult.of(REGISTRY["headers.nosniff"], Status.FAILED, "m", subject="/files/hunter2-secret")
    redactor = Redactor(["hunter2-secret"])
    safe = publishable(_report(leaked), redactor)
    assert "hunter2-secret" not in safe.to_json()
    nosniff = next(c for c in safe.controls if c.id == "OWASP-ASVS:14.4.4")
    assert nosniff.status is ControlStatus.NOT_MET and nosniff.title.startswith("All responses contain")


def test_merged_stages_judge_a_control_over_every_stages_results() -> None:
    """``stackcheck run`` / ``report merge``: a control whose checks span two stages is supported only
    once both have run; one failure in any stage makes it not met."""
    from stackcheck.controls import rejudge_controls

    a, b = result(A, Status.PASSED), result(B, Status.PASSED)
    first = judge_controls([a], ("t",), (A, B), CATALOG)
    second = judge_controls([b], ("t",), (A, B), CATALOG)
    assert {v.id: v.status for v in first}["T:both"] is ControlStatus.INCOMPLETE
    merged = {v.id: v for v in rejudge_controls([first, second], [a, b])}
    assert merged["T:both"].status is ControlStatus.SUPPORTED and merged["T:both"].checks == (
        "team.a",
        "team.b",
    )
    assert merged["T:none"].status is ControlStatus.NOT_COVERED
    failed = {v.id: v.status for v in rejudge_controls([first, second], [a, result(B, Status.FAILED)])}
    assert failed["T:both"] is ControlStatus.NOT_MET and failed["T:a_only"] is ControlStatus.SUPPORTED
