"""The accuracy table: what counts as agreeing, and that every row and disagreement shows."""

from __future__ import annotations

from accuracy.model import Row
from accuracy.table import render


def _row(**kw: object) -> Row:
    base: dict[str, object] = dict(
        suite="tls",
        case="nginx TLS 1.3 only",
        check="tls.protocols",
        truth="passed",
        truth_detail="TLS 1.3",
        reference_tool="testssl.sh",
        reference="TLSv1.3 offered",
        reference_agrees=True,
        stackcheck="passed",
    )
    base.update(kw)
    return Row(**base)  # type: ignore[arg-type]


def test_a_row_agrees_only_when_stackcheck_is_the_truth_and_the_reference_saw_it() -> None:
    assert _row().agree
    assert not _row(stackcheck="failed").agree
    assert not _row(stackcheck="error").agree
    assert not _row(reference_agrees=False).agree
    assert _row(reference_agrees=None).agree


def test_the_table_counts_agreements_decisions_and_disagreements() -> None:
    rows = [_row(), _row(case="bad | pipe", stackcheck="failed"), _row(stackcheck="error", decision="why")]
    text = render(rows, ["`data`: not run here — pgbouncer missing"], 12.3)
    assert "**1 of 3 rows agree**, 1 differ by a documented decision, 1 disagree" in text
    assert "| tls | 3 | 1 | 1 | 1 |" in text
    assert "bad \\| pipe" in text and "**no**" in text
    assert "pgbouncer missing" in text and "- *nginx TLS 1.3 only* (`tls.protocols`): why" in text


def test_every_cell_is_redacted_and_sanitised_whatever_the_case_module_yields() -> None:
    row = _row(reference="curl: http://admin:hunter22@127.0.0.1/ \x1b[31mred\x1b[0m <b>x</b>")
    text = render([row], [], 1.0)
    assert "hunter22" not in text  # the redaction layer masked the URL's credentials
    assert "\x1b" not in text and "\\x1b" in text  # the escape character shows as text, never acts
    assert "\\<b>" in text and "<b>" not in text.replace("\\<b>", "")  # raw HTML escaped for Markdown
