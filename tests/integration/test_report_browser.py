"""The browser check of the report page can fail: a page that runs a script logs on Chromium's console, and
a print stylesheet that hides the tables drops their ids from the PDF. (The passing side is the real
`stackcheck run` folder in test_run_merge and the history runs in test_history_drift.)"""

from __future__ import annotations

from pathlib import Path

import pytest

from stackcheck.claims import ClaimStatus, ClaimVerdict
from stackcheck.outcomes import Status
from stackcheck.report import render_html
from tests.integration.browser import open_in_browser
from tests.unit.test_report import make_report

pytestmark = pytest.mark.integration


def _page(tmp_path: Path) -> tuple[str, str]:
    claim = ClaimVerdict(
        id="tls-modern",
        text="TLS 1.3 only.",
        source="docs/adr/0001.md:4",
        status=ClaimStatus.VERIFIED,
        message="1 result passed",
    )
    report = make_report(Status.PASSED, Status.FAILED).model_copy(update={"claims": (claim,)})
    return render_html(report), claim.id


def test_a_clean_page_logs_nothing_and_prints_its_claims(tmp_path: Path) -> None:
    html, claim = _page(tmp_path)
    (tmp_path / "index.html").write_text(html)
    page = open_in_browser(tmp_path / "index.html", tmp_path / "b")
    assert page.console == [] and claim in page.text_without_breaks()


def test_a_script_is_refused_and_logged_and_a_hidden_table_is_missing_from_the_pdf(tmp_path: Path) -> None:
    html, claim = _page(tmp_path)
    broken = html.replace("</body>", "<script>document.title='x'</script></body>").replace(
        "@media print{", "@media print{table{display:none}"
    )
    (tmp_path / "index.html").write_text(broken)
    page = open_in_browser(tmp_path / "index.html", tmp_path / "b")
    assert any("Content Security Policy" in line for line in page.console), page.console
    assert claim not in page.text_without_breaks()
