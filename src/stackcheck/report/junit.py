"""``junit.xml``: one ``testsuite`` per suite, one ``testcase`` per result, for CI test tabs."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from itertools import groupby

from stackcheck.outcomes import Status
from stackcheck.report.model import Report
from stackcheck.report.summary import format_evidence

__all__ = ["render_junit"]


def render_junit(report: Report) -> str:
    """JUnit XML of a run: failed → ``failure``, error → ``error`` typed by its reason, skipped → ``skipped``.

    A waived result is ``skipped`` too, with the waiver as its message.
    """
    root = ET.Element("testsuites", name=f"stackcheck {report.profile.name}")
    results = sorted(report.results, key=lambda r: r.suite)
    for suite, group in groupby(results, key=lambda r: r.suite):
        items = list(group)
        node = ET.SubElement(
            root,
            "testsuite",
            name=suite,
            tests=str(len(items)),
            failures=str(sum(r.status is Status.FAILED for r in items)),
            errors=str(sum(r.status is Status.ERROR for r in items)),
            skipped=str(sum(r.status in (Status.SKIPPED, Status.WAIVED) for r in items)),
            time=f"{sum(r.duration_s for r in items):.3f}",
        )
        for r in items:
            case = ET.SubElement(
                node, "testcase", classname=r.suite, name=r.label, time=f"{r.duration_s:.3f}"
            )
            if r.claims:  # the team's sentences this result verifies, for CI tabs that show properties
                props = ET.SubElement(case, "properties")
                for c in r.claims:
                    ET.SubElement(props, "property", name=f"claim:{c.id}", value=f"{c.text} ({c.source})")
            detail = "\n".join(x for x in (r.message, format_evidence(r)) if x)
            if r.status is Status.FAILED:
                ET.SubElement(case, "failure", message=r.message, type=str(r.severity)).text = detail
            elif r.status is Status.ERROR:
                kind = r.error_reason.value if r.error_reason else "could-not-check"
                ET.SubElement(case, "error", message=r.message, type=kind).text = detail
            elif r.status is Status.SKIPPED:
                ET.SubElement(case, "skipped", message=r.message)
            elif r.status is Status.WAIVED and r.waiver is not None:
                text = f"waived until {r.waiver.expires} by {r.waiver.owner}: {r.waiver.reason}"
                ET.SubElement(case, "skipped", message=text)
    if report.findings:
        _findings_suite(root, report)
    ET.indent(root)
    return ET.tostring(root, encoding="unicode", xml_declaration=True) + "\n"


def _findings_suite(root: ET.Element, report: Report) -> None:
    """One ``findings`` suite: an open finding is a failure; waived or suppressed ones are skipped."""
    findings = report.findings
    node = ET.SubElement(
        root,
        "testsuite",
        name="findings",
        tests=str(len(findings)),
        failures=str(sum(f.status == "open" for f in findings)),
        errors="0",
        skipped=str(sum(f.status != "open" for f in findings)),
    )
    for f in findings:
        where = f"{f.file}:{f.line}" if f.file and f.line else (f.file or "")
        case = ET.SubElement(
            node, "testcase", classname=f"findings.{f.tool}", name=f"{f.rule_id} {where}".strip()
        )
        if f.status == "open":
            ET.SubElement(case, "failure", message=f.message, type=str(f.severity)).text = f.fingerprint
        else:
            ET.SubElement(case, "skipped", message=f"{f.status}: {f.message}")
