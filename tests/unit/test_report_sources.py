"""Where results point (the profile line that makes the promise), what SARIF makes of it, the schema
revision a reader accepts, and the charts' axes, thresholds and legends: pure functions, real profiles."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from stackcheck.catalog import REGISTRY
from stackcheck.claims import apply_claims
from stackcheck.locations import locate_results
from stackcheck.outcomes import CheckResult, Status
from stackcheck.profile import load_profile
from stackcheck.report import Report, render_html, render_summary
from stackcheck.report.charts import Threshold, bar_chart, nice_top, ticks
from stackcheck.report.model import SCHEMA_VERSION, ProfileInfo
from stackcheck.report.sarif import render_sarif
from tests.unit.test_report import make_report

PROFILE = """\
name: edge
slo:
  p95_ms: 200
headers:
  required: [x-content-type-options]
claims:
  - id: fast
    text: "p95 under 200 ms."
    source: docs/adr/0001.md:7
    verified_by: [slo.p95_ms]
"""


def _results(tmp_path: Path) -> tuple[Report, tuple[CheckResult, ...]]:
    (tmp_path / "edge.yaml").write_text(PROFILE)
    loaded = load_profile(tmp_path / "edge.yaml")
    raw = [
        CheckResult.of(REGISTRY["load.p95"], Status.FAILED, "p95 250 ms"),
        CheckResult.of(REGISTRY["headers.required"], Status.FAILED, "missing", subject="/"),
        CheckResult.of(REGISTRY["health.live"], Status.PASSED, "200"),
    ]
    results, _ = apply_claims(raw, loaded.profile)
    located = locate_results(results, loaded)
    base = make_report(Status.PASSED)
    report = base.model_copy(
        update={"results": located, "profile": ProfileInfo.of(loaded), "summary": base.summary}
    )
    return report, located


def test_a_result_points_at_its_claim_else_at_the_key_its_check_reads(tmp_path: Path) -> None:
    _, (p95, required, live) = _results(tmp_path)
    assert p95.source is not None and (p95.source.file, p95.source.key) == ("edge.yaml", "claims[fast]")
    assert p95.source.line == 7  # the claim's list item, not the ADR's line
    assert required.source is not None and (required.source.key, required.source.line) == (
        "headers.required",
        5,
    )
    assert live.source is None  # the profile has no health section: nothing it promised
    assert p95.remediation == REGISTRY["load.p95"].remediation != ""


def test_sarif_annotates_the_profile_line_from_the_same_base_as_findings(tmp_path: Path) -> None:
    report, _ = _results(tmp_path)
    sarif = json.loads(render_sarif(report))
    (run,) = [r for r in sarif["runs"] if r["tool"]["driver"]["name"] == "stackcheck"]
    assert run["originalUriBaseIds"]["SRCROOT"]["uri"] == tmp_path.resolve().as_uri() + "/"
    where = {r["ruleId"]: r["locations"][0]["physicalLocation"] for r in run["results"] if r["locations"]}
    assert where["load.p95"] == {
        "artifactLocation": {"uri": "edge.yaml", "uriBaseId": "SRCROOT"},
        "region": {"startLine": 7},
    }
    assert where["headers.required"]["region"] == {"startLine": 5}
    fix = next(r for r in run["results"] if r["ruleId"] == "load.p95")["message"]["text"]
    assert "claim fast “p95 under 200 ms.”" in fix and "fix: " in fix


def test_summary_lists_failures_first_with_what_to_change_and_collapses_the_skipped(tmp_path: Path) -> None:
    report, located = _results(tmp_path)
    skipped = CheckResult.of(REGISTRY["tls.protocols"], Status.SKIPPED, "no tls section")
    report = report.model_copy(update={"results": (*located, skipped)})
    md = render_summary(report)
    assert md.index("## Failures and errors") < md.index("## Passed (1)") < md.index("<details>")
    assert "| `load.p95` | " in md and "`edge.yaml:7`" in md  # what to change, and where it is promised
    assert re.search(r"<details><summary>Skipped \(1\).*</summary>\n\n\| check \| why \|", md)
    assert md.rstrip().count("</details>") == 1


def test_an_older_report_is_read_and_a_newer_revision_is_refused_by_name() -> None:
    current = json.loads(make_report(Status.FAILED).to_json())
    assert current["schema_version"] == SCHEMA_VERSION
    old = dict(current)
    del old["schema_version"]
    for result in old["results"]:
        del result["remediation"], result["source"]
    del old["profile"]["root"]
    back = Report.from_json(json.dumps(old))
    assert back.results[0].source is None and back.profile.root is None
    newer = {**current, "schema_version": "1.99"}
    with pytest.raises(ValueError, match=r"schema_version 1\.99 was written by a newer stackcheck"):
        Report.from_json(json.dumps(newer))


def test_charts_have_labelled_axes_a_drawn_threshold_and_a_legend() -> None:
    assert [nice_top(v) for v in (0.3, 7, 10, 11, 180, 0)] == [0.5, 10, 10, 20, 200, 1.0]
    assert ticks(5) == [0, 1, 2, 3, 4, 5] and ticks(200) == [0, 50, 100, 150, 200]
    svg = bar_chart(
        [50.0, 120.0, 250.0],
        ["0 s", "1 s", "2 s"],
        title="p95",
        x_title="time (s)",
        y_title="p95 (ms)",
        series="p95 per second",
        threshold=Threshold(200, "SLO p95 ≤ 200 ms"),
    )
    assert "time (s)" in svg and "p95 (ms)" in svg and svg.count("SLO p95 ≤ 200 ms") == 2  # line + legend
    (y,) = re.findall(r'<line x1="58" y1="([0-9.]+)" x2="624" y2="[0-9.]+" stroke="#c62828"', svg)
    # axis 0..500 over 164 px from y=176: the limit 200 sits at 176 - 164 * 200/500
    assert float(y) == pytest.approx(176 - 164 * 200 / 500, abs=0.1)
    assert 'class="legend"' in svg


def test_the_page_shows_remediation_and_where_each_promise_is_written(tmp_path: Path) -> None:
    report, _ = _results(tmp_path)
    page = render_html(report)
    assert REGISTRY["load.p95"].remediation.split(",")[0] in page
    assert "promised at <code>edge.yaml:7</code>" in page and "@media print" in page
