"""Each scanner's recorded JSON output (tests/data/scan/) normalised to the one finding model."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import REPO_ROOT
from stackcheck.catalog.spec import Severity
from stackcheck.scan.actionlint import find_workflows, parse_actionlint
from stackcheck.scan.bandit import nosec_ids, parse_bandit
from stackcheck.scan.checkov import CUSTOM_SEVERITY, checkov_reports
from stackcheck.scan.secrets import parse_detect_secrets
from stackcheck.scan.trivy import MISCONFIG, SECRETS, VULNS, parse_trivy

DATA = REPO_ROOT / "tests" / "data" / "scan"


@pytest.fixture(autouse=True)
def _at_repo_root(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(REPO_ROOT)  # recorded paths are relative to the repository


def test_checkov_json_is_a_list_per_framework_or_one_dict() -> None:
    many = checkov_reports((DATA / "checkov-djinn-noncompliant.json").read_text())
    one = checkov_reports((DATA / "checkov-single-framework.json").read_text())
    assert {r["check_type"] for r in many} == {"terraform", "yaml", "github_actions"}
    assert [r["check_type"] for r in one] == ["dockerfile"]


def test_custom_policy_ids_all_carry_a_severity() -> None:
    shipped = {p.stem for p in (REPO_ROOT / "policies" / "checkov").glob("*.py")} - {
        "__init__",
        "stackcheck_params",
        "stackcheck_stages",  # helpers the policies import, no policy
    }
    assert len(CUSTOM_SEVERITY) >= len(shipped) and all(
        isinstance(s, Severity) for s in CUSTOM_SEVERITY.values()
    )


def test_a_stackcheck_policy_says_what_is_missing_in_its_finding_and_a_builtin_does_not() -> None:
    """CKV_SC_23 lists the promised alarms it did not find (checkov's ``details``), bounded; a built-in
    check's details stay out of the message."""
    from stackcheck.scan.checkov import MAX_DETAILS, _finding

    def item(rule: str, details: list[str]) -> dict[str, object]:
        return {"check_id": rule, "check_name": "n", "resource": "aws.default", "details": details}

    missing = ["no alarm with alarm_actions on DatabaseConnections", "x" * 1000]
    ours = _finding(item("CKV_SC_23", missing), "open", (), REPO_ROOT)
    assert "n: no alarm with alarm_actions on DatabaseConnections; x" in ours.message
    assert len(ours.message) < MAX_DETAILS + 60 and ours.message.endswith("(resource aws.default)")
    builtin = _finding(item("CKV_AWS_21", ["a detail"]), "open", (), REPO_ROOT)
    assert "a detail" not in builtin.message


def test_bandit_nosec_lines_are_suppressed_and_listed_and_quoted_passwords_masked() -> None:
    findings, secrets, errors = parse_bandit((DATA / "bandit.json").read_text())
    by_line = {(f.rule_id, f.line): f for f in findings}
    assert by_line[("B602", 9)].status == "suppressed" and "# nosec" in by_line[("B602", 9)].message
    assert by_line[("B602", 10)].status == "open" and by_line[("B602", 10)].severity is Severity.HIGH
    password = by_line[("B105", 5)]
    assert "recorded-Pw-7781" not in password.message and "'***'" in password.message
    assert secrets == {"recorded-Pw-7781"} and errors == []


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("x = 1", None),
        ("x  # nosec", set()),
        ("x  # nosec B105, B602", {"B105", "B602"}),
        ("#nosec:B101", {"B101"}),
    ],
)
def test_nosec_markers(line: str, expected: set[str] | None) -> None:
    assert nosec_ids(line) == expected


def test_detect_secrets_findings_never_hold_the_secret() -> None:
    findings = parse_detect_secrets((DATA / "detect-secrets.json").read_text(), root=DATA)
    assert [(f.rule_id, f.line, f.status) for f in findings] == [("SecretKeyword", 5, "open")]
    assert "recorded-Pw-7781" not in findings[0].model_dump_json()
    assert findings[0].file is not None and findings[0].file.endswith("code/app.py")


def test_detect_secrets_skip_list_drops_a_rule() -> None:
    assert parse_detect_secrets((DATA / "detect-secrets.json").read_text(), ["SecretKeyword"], DATA) == []


def test_trivy_output_splits_into_misconfig_secret_and_vulnerability_findings() -> None:
    by_check = parse_trivy((DATA / "trivy-leaky.json").read_text(), "refservice:leaky")
    assert {f.rule_id for f in by_check[MISCONFIG]} == {"DS-0002", "DS-0026"}
    assert {f.rule_id for f in by_check[SECRETS]} == {"aws-access-key-id", "aws-secret-access-key"}
    assert by_check[VULNS] == []
    assert all(f.file and f.file.startswith("refservice:leaky") for f in by_check[SECRETS])
    assert {f.severity for f in by_check[SECRETS]} == {Severity.CRITICAL}


def test_fingerprints_ignore_line_numbers(tmp_path: Path) -> None:
    from stackcheck.scan.findings import make_finding

    a = make_finding(tool="t", rule_id="R", severity=Severity.LOW, message="m", anchor="x", file="f", line=3)
    b = make_finding(tool="t", rule_id="R", severity=Severity.LOW, message="m2", anchor="x", file="f", line=9)
    c = make_finding(tool="t", rule_id="R", severity=Severity.LOW, message="m", anchor="y", file="f", line=3)
    assert a.fingerprint == b.fingerprint != c.fingerprint


def test_actionlint_errors_become_findings_and_untrusted_input_in_a_script_is_high() -> None:
    findings = parse_actionlint((DATA / "actionlint-failing.json").read_text())
    by_rule = {f.rule_id: f for f in findings}
    assert set(by_rule) == {"job-needs", "expression"}
    assert (
        by_rule["expression"].severity is Severity.HIGH and by_rule["job-needs"].severity is Severity.MEDIUM
    )
    assert by_rule["expression"].file == "fixtures/ci/failing/.github/workflows/ci.yml"
    assert by_rule["expression"].line == 21 and "potentially untrusted" in by_rule["expression"].message
    assert parse_actionlint("[]") == parse_actionlint("null") == []
    assert [
        f.rule_id for f in parse_actionlint((DATA / "actionlint-failing.json").read_text(), ["expression"])
    ] == ["job-needs"]


def test_workflows_are_found_below_the_iac_paths_and_nowhere_else(tmp_path: Path) -> None:
    workflows = tmp_path / "repo" / ".github" / "workflows"
    workflows.mkdir(parents=True)
    for name in ("ci.yml", "release.yaml", "notes.md"):
        (workflows / name).write_text("")
    (tmp_path / "repo" / "ci.yml").write_text("")  # not under .github/workflows
    hidden = tmp_path / "repo" / "node_modules" / "x" / ".github" / "workflows"
    hidden.mkdir(parents=True)
    (hidden / "ci.yml").write_text("")
    found = find_workflows([tmp_path / "repo", workflows / "ci.yml"])
    assert [p.name for p in found] == ["ci.yml", "release.yaml"]


def test_checkov_runs_in_one_process_only_for_a_single_folder(tmp_path: Path) -> None:
    # In one process checkov 3.3 merges the reports of several --directory roots and loses findings.
    from stackcheck.scan.checkov import ONE_PROCESS_ENV, ONE_WORKER_ENV, _one_core_env

    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    (tmp_path / "f.tf").write_text("")
    assert _one_core_env((tmp_path / "a",)) == ONE_PROCESS_ENV
    assert _one_core_env((tmp_path / "a", tmp_path / "b")) == ONE_WORKER_ENV
    assert _one_core_env((tmp_path / "f.tf",)) == ONE_WORKER_ENV
