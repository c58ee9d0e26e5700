"""Pure rules of issue 11's scan fixes: one path convention (relative to the scan root, absolute outside
it), detect-secrets entries merged per line, unparseable YAML found, and an unread file never passes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from stackcheck.catalog import scan as scan_checks
from stackcheck.catalog.spec import Severity
from stackcheck.outcomes import Status
from stackcheck.scan.checkov import unparseable_yaml
from stackcheck.scan.context import display_path
from stackcheck.scan.engine import judge
from stackcheck.scan.findings import ToolOutcome, make_finding
from stackcheck.scan.secrets import parse_detect_secrets


def test_paths_are_relative_to_the_root_whatever_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / "repo"
    (root / "infra").mkdir(parents=True)
    monkeypatch.chdir(tmp_path)
    assert display_path(root / "infra" / "main.tf", root) == "infra/main.tf"
    assert display_path("repo/infra/main.tf", root) == "infra/main.tf"  # relative to the cwd, as given
    outside = tmp_path / "other" / "x.tf"
    assert display_path(outside, root) == outside.resolve().as_posix()


def _baseline(entries: list[tuple[str, int, str, str]]) -> str:
    results: dict[str, list[dict[str, object]]] = {}
    for file, line, kind, hashed in entries:
        item = {"type": kind, "filename": file, "line_number": line, "hashed_secret": hashed}
        results.setdefault(file, []).append(item)
    return json.dumps({"results": results})


def test_detect_secrets_names_files_from_the_scan_root_and_reads_the_pragma_there(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = tmp_path / "repo"
    (root / "app").mkdir(parents=True)
    (root / "app" / "s.py").write_text('a = "x"\nb = "y"  # pragma: allowlist secret\n')
    monkeypatch.chdir(tmp_path)  # not the folder detect-secrets ran in
    text = _baseline([("app/s.py", 1, "Secret Keyword", "h1"), ("app/s.py", 2, "Secret Keyword", "h2")])
    findings = parse_detect_secrets(text, root=root, scan_root=root)
    assert [(f.file, f.line, f.status) for f in findings] == [
        ("app/s.py", 1, "open"),
        ("app/s.py", 2, "suppressed"),
    ]


def test_an_entropy_hit_on_a_line_a_named_detector_reports_is_the_same_secret(tmp_path: Path) -> None:
    text = _baseline(
        [
            ("s.py", 1, "GitHub Token", "token-hash"),
            ("s.py", 1, "Base64 High Entropy String", "quoted-hash"),  # another span, another hash
            ("s.py", 2, "Base64 High Entropy String", "random"),  # alone on its line: kept
        ]
    )
    findings = parse_detect_secrets(text, root=tmp_path, scan_root=tmp_path)
    assert [(f.rule_id, f.line) for f in findings] == [("GitHubToken", 1), ("Base64HighEntropyString", 2)]


def test_yaml_that_does_not_parse_is_found_below_the_iac_paths(tmp_path: Path) -> None:
    (tmp_path / "ok.yml").write_text("a: 1\n---\nb: 2\n")
    (tmp_path / "bad.yaml").write_text('a: "unterminated\n b: [\n')
    (tmp_path / "node_modules").mkdir()
    (tmp_path / "node_modules" / "bad.yml").write_text("a: [\n")  # checkov skips this folder too
    assert unparseable_yaml((tmp_path,)) == [tmp_path / "bad.yaml"]


def _outcome(*findings: object, unscanned: tuple[str, ...] = ()) -> ToolOutcome:
    return ToolOutcome("checkov", scan_checks.IAC, None, findings=findings, unscanned=unscanned)  # type: ignore[arg-type]


def test_an_unread_file_is_an_error_naming_it_that_claims_no_observation() -> None:
    result = judge(_outcome(unscanned=("infra/main.tf: checkov could not parse it",)), [], "low", None)
    assert result.status is Status.ERROR and "infra/main.tf" in result.message
    assert result.evidence.observed is None and result.evidence.expected is None


def test_a_failing_finding_decides_even_when_another_file_was_unread() -> None:
    finding = make_finding(
        tool="checkov", rule_id="CKV_AWS_20", severity=Severity.MEDIUM, message="m", anchor="a", file="b.tf"
    )
    outcome = _outcome(finding, unscanned=("infra/main.tf: checkov could not parse it",))
    result = judge(outcome, [finding], "low", None)
    assert result.status is Status.FAILED and "could not scan 1 file(s): infra/main.tf" in result.message
    assert result.evidence.observed == 1
