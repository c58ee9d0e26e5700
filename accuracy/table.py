"""``docs/accuracy.md`` from the rows: a summary per suite, then every row."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from accuracy.model import Row
from stackcheck.redact import Redactor
from stackcheck.report.sanitize import md_cell, one_line

__all__ = ["render"]

HEADER = """# Accuracy: stackcheck beside the reference tools

Written by `nox -s accuracy` (`python -m accuracy`); do not edit by hand. Every row is a configuration the
harness built itself from Debian's packages and PyPI, on loopback: the **truth** is what that configuration
makes true, the **reference** is what an established tool run directly on it reports, **stackcheck** is the
verdict of `stackcheck verify` / `stackcheck scan` on the same thing. *agree* means stackcheck's verdict is
the truth and the reference tool saw the same; a disagreement is either a documented decision (explained in
its row) or a defect.
"""


_REDACT = Redactor()  # credential-shaped strings (URL user info, tokens) a tool or a target printed


def _cell(text: str, limit: int = 200) -> str:
    """One table cell through the product's own layers: redacted, sanitised, one line, Markdown escaped.

    Every row field passes here (tool output, server text, stackcheck's messages): a case module need not
    clean what it yields."""
    return md_cell(one_line(_REDACT.text(" ".join(str(text).split())), limit))


def render(rows: Sequence[Row], notes: Sequence[str], elapsed_s: float, *, partial: bool = False) -> str:
    by_suite: dict[str, list[Row]] = defaultdict(list)
    for row in rows:
        by_suite[row.suite].append(row)
    agree = sum(r.agree for r in rows)
    decided = sum(1 for r in rows if not r.agree and r.decision)
    lines = [HEADER]
    if partial:
        lines.append("*A partial run (`--only`): suites not listed were not run.*\n")
    lines += [
        f"**{agree} of {len(rows)} rows agree**, {decided} differ by a documented decision, "
        f"{len(rows) - agree - decided} disagree; the run took {elapsed_s:.0f} s.\n",
        "| suite | rows | agree | documented decision | disagree |",
        "|---|---:|---:|---:|---:|",
    ]
    for suite, group in by_suite.items():
        a = sum(r.agree for r in group)
        d = sum(1 for r in group if not r.agree and r.decision)
        lines.append(f"| {suite} | {len(group)} | {a} | {d} | {len(group) - a - d} |")
    if notes:
        lines += ["", "Not run:", *[f"- {n}" for n in notes]]
    for suite, group in by_suite.items():
        lines += [
            "",
            f"## {suite}",
            "",
            "| case | check | truth | reference tool | reference | stackcheck | agree |",
            "|---|---|---|---|---|---|---|",
        ]
        for r in group:
            verdict = "yes" if r.agree else ("decision" if r.decision else "**no**")
            sc = f"{r.stackcheck}: {r.stackcheck_detail}" if r.stackcheck_detail else r.stackcheck
            cells = [_cell(r.case), f"`{r.check}`", f"{r.truth}: {_cell(r.truth_detail)}"]
            cells += [_cell(r.reference_tool), _cell(r.reference), _cell(sc), verdict]
            lines.append("| " + " | ".join(cells) + " |")
        decisions = [r for r in group if r.decision]
        if decisions:
            lines += ["", "Decisions:"]
            lines += [f"- *{_cell(r.case)}* (`{r.check}`): {_cell(r.decision, 1000)}" for r in decisions]
    return "\n".join(lines) + "\n"
