"""The one sanitising layer: hostile target text is inert in every artifact and on the terminal."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

from stackcheck.catalog import Severity
from stackcheck.outcomes import CheckResult, ErrorReason, Evidence, SourceRef, Status, WaiverRef
from stackcheck.redact import Redactor
from stackcheck.report import ARTIFACTS, Finding, ProfileInfo, Report, RunInfo, write_report
from stackcheck.report.console import render_console, result_line
from stackcheck.report.model import summarize
from stackcheck.report.publish import publishable
from stackcheck.report.sanitize import TEXT_LIMIT, clean, md_cell, md_code, one_line
from stackcheck.waivers import WaiverState, WaiverStatus
from tests.artifact_checks import UNSAFE, assert_artifacts_inert
from tests.data.hostile_text import HOSTILE

NOW = dt.datetime(2026, 11, 23, 12, 0, tzinfo=dt.UTC)
PW = "Pl4nted-" + "pw-5eed"


def test_control_characters_and_escape_sequences_become_visible_escapes() -> None:
    out = clean("a\x00b\x07c\x1b[31md\x1b]0;t\x07e\x9bf\u202eg\ud800h\uffff\r\n\ti")
    assert not UNSAFE.search(out.replace("\n", "").replace("\t", ""))
    assert out == "a\\x00b\\x07c\\x1b[31md\\x1b]0;t\\x07e\\x9bf\\u202eg\\ud800h\\uffff\\r\n\ti"
    assert one_line("a\nb\tc") == "a\\nb\\tc" and clean(out) == out


def test_long_text_is_capped_with_a_marker_and_capping_twice_changes_nothing() -> None:
    out = clean("x" * 100_000)
    assert len(out) <= TEXT_LIMIT and out.endswith(f"[truncated {100_000 - out.index('…')} chars]")
    assert clean(out) == out and clean("short") == "short"


def test_markdown_cells_escape_pipes_html_links_and_code_spans() -> None:
    cell = md_cell("a | b \\| c <script>x</script> [l](u) `t`\nnext")
    assert "\\<script" in cell and "\n" not in cell and "\\`t\\`" in cell and "\\[l]" in cell
    code = md_code("x | `y` \\| z")
    assert len(_cells(f"| {cell} | {code} |")) == 2
    assert md_code("a`b") == "``a`b``" and md_cell("") == "-"


def _cells(row: str) -> list[str]:
    """GFM's split of a table row: at pipes not escaped by a backslash (``\\\\`` escapes itself)."""
    inner = row.strip()[1:-1]
    return re.findall(r"(?:\\.|[^|\\])+", inner)


def _hostile_report() -> Report:
    hostile = f"{HOSTILE} password={PW} " + "y" * 50_000
    results = tuple(
        CheckResult(
            id="headers.server_banner",
            subject=f"/p{i}|{HOSTILE[:20]}",
            status=status,
            severity=Severity.LOW,
            title="banner",
            suite="headers",
            message=hostile,
            evidence=Evidence(
                expected=HOSTILE, observed=hostile, details={"server": HOSTILE, "password": PW}
            ),
            error_reason=ErrorReason.UNREACHABLE if status is Status.ERROR else None,
            remediation=f"set it | {HOSTILE[:40]}",
            source=SourceRef(file=f"p|{HOSTILE[:20]}.yaml", line=3, key="headers.required"),
            waiver=WaiverRef(owner=f"ops | {HOSTILE}", reason=HOSTILE, expires=dt.date(2099, 1, 1))
            if status is Status.WAIVED
            else None,
        )
        for i, status in enumerate([Status.FAILED, Status.ERROR, Status.WAIVED, Status.PASSED])
    )
    waiver = WaiverStatus(
        check="headers.server_banner",
        subject=None,
        owner=f"ops | {HOSTILE}",
        reason=f"legacy | {HOSTILE}",
        expires=dt.date(2000, 1, 1),
        state=WaiverState.EXPIRED,
        covered=(),
    )
    finding = Finding(
        tool="bandit",
        rule_id="B105",
        severity=Severity.HIGH,
        file=f"app|{HOSTILE[:10]}.py",
        line=3,
        message=hostile,
        fingerprint="f" * 24,
    )
    return Report(
        run=RunInfo(
            command=f"stackcheck verify --target http://u:{PW}@127.0.0.1:1",
            started_at=NOW,
            finished_at=NOW,
            duration_s=1.0,
            host="h",
            tool_versions={"stackcheck": "0.1.0"},
        ),
        profile=ProfileInfo(name="hostile", path="h.yaml", files=("h.yaml",), sha256="0" * 64),
        target=f"http://u:{PW}@127.0.0.1:1",
        summary=summarize(results, (waiver,)),
        results=results,
        waivers=(waiver,),
        findings=(finding,),
    )


def test_every_artifact_of_a_hostile_report_parses_renders_and_leaks_nothing(tmp_path: Path) -> None:
    written = write_report(_hostile_report(), tmp_path)
    assert {p.name for p in written} == set(ARTIFACTS)
    for path in written:
        text = path.read_text(encoding="utf-8")
        assert PW not in text, path.name
        assert not UNSAFE.search(text), f"{path.name} holds a raw control character"
    report = json.loads((tmp_path / "report.json").read_text())
    assert all(len(r["message"]) <= TEXT_LIMIT and "[truncated" in r["message"] for r in report["results"])
    tables = assert_artifacts_inert(tmp_path)
    # (rows, cells): failures and errors, what to change, passed, waivers, findings
    assert tables == [(3, 5), (2, 3), (1, 5), (1, 5), (1, 6)]


def test_console_lines_hold_no_escape_sequence_nor_a_forged_line() -> None:
    report = publishable(_hostile_report())
    unsanitised = _hostile_report().results[0]
    for line in [result_line(unsanitised), *render_console(_hostile_report()).splitlines()]:
        assert not UNSAFE.search(line) and PW not in line
    assert "\n" not in result_line(unsanitised.model_copy(update={"message": "a\n  PASS forged"}))
    assert publishable(report) == report  # idempotent: the collector and the writer may both apply it


def test_known_values_are_masked_but_catalog_fields_are_kept() -> None:
    report = _hostile_report()
    safe = publishable(report, Redactor(["headers", "banner", "onerror"]))
    # A known value that is also a common word renames no suite and no title, but leaves no message.
    assert {(r.suite, r.title) for r in safe.results} == {("headers", "banner")}
    assert all("onerror" not in r.message and "[REDACTED]" in r.message for r in safe.results)


def test_a_tool_log_in_the_report_folder_is_cut_to_its_tail_redacted_and_sanitised(
    tmp_path: Path,
) -> None:
    from stackcheck.redact import Redactor
    from stackcheck.report.publish import publish_log

    log = tmp_path / "master.log"
    log.write_bytes(
        b"x" * 5000 + b"\nGET http://admin:hunter22@127.0.0.1/ failed \x1b[31mred\n" + b"\xff tail\n"
    )
    publish_log(log, Redactor(), limit_bytes=200)
    text = log.read_text()
    assert text.startswith("[the first ") and "bytes of this log were dropped]" in text
    assert "hunter22" not in text and "admin:***@" in text
    assert "\x1b" not in text and "\\x1b[31mred" in text and "\ufffd tail" in text
