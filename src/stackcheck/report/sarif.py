"""``results.sarif``: the run's findings as SARIF 2.1.0, one run per tool (GitHub code scanning loads it).

A pure function of the report. Waived and inline-suppressed findings stay in the file with a SARIF
``suppressions`` entry (``external`` for a profile waiver, ``inSource`` for ``# nosec`` and friends), so
code scanning shows them as dismissed and an auditor still sees them. Failed or errored checks without
findings (e.g. a missing scanner) appear in a ``stackcheck`` run, so the file never claims a clean scan
that did not happen.
"""

from __future__ import annotations

import json
from itertools import groupby
from pathlib import Path
from typing import Any

from stackcheck.catalog.spec import Severity
from stackcheck.outcomes import CheckResult, Status
from stackcheck.report.model import Finding, Report

__all__ = ["render_sarif"]

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
LEVEL = {
    Severity.CRITICAL: "error",
    Severity.HIGH: "error",
    Severity.MEDIUM: "warning",
    Severity.LOW: "note",
    Severity.INFO: "note",
}
# GitHub ranks code-scanning alerts by this number (0.0-10.0).
SECURITY_SEVERITY = {
    Severity.CRITICAL: "9.5",
    Severity.HIGH: "8.0",
    Severity.MEDIUM: "5.5",
    Severity.LOW: "3.0",
    Severity.INFO: "0.0",
}


ROOT_ID = "SRCROOT"  # finding files and result sources are relative to the profile's folder


def _root(report: Report) -> str | None:
    """``SRCROOT``: the scan root, which is the profile's folder (the base of result sources too)."""
    return report.run.scan_root or report.profile.root


def _location(file: str | None, line: int | None) -> list[dict[str, Any]]:
    if not file:
        return []
    uri = file.replace("\\", "/")
    # An absolute path lies outside the scan root: a file URI of its own. Anything else (a relative path;
    # an image reference such as "redis:7 (debian 12)", which is no file) is relative to SRCROOT.
    artifact = {"uri": Path(uri).as_uri()} if uri.startswith("/") else {"uri": uri, "uriBaseId": ROOT_ID}
    physical: dict[str, Any] = {"artifactLocation": artifact}
    if line:
        physical["region"] = {"startLine": line}
    return [{"physicalLocation": physical}]


def _result(finding: Finding, rule_index: int) -> dict[str, Any]:
    result: dict[str, Any] = {
        "ruleId": finding.rule_id,
        "ruleIndex": rule_index,
        "level": LEVEL[finding.severity],
        "message": {"text": finding.message},
        "locations": _location(finding.file, finding.line),
        "partialFingerprints": {"stackcheckFingerprint/v1": finding.fingerprint},
        "properties": {"severity": str(finding.severity), "status": finding.status},
    }
    if finding.status == "waived":
        result["suppressions"] = [{"kind": "external", "justification": "profile waiver (see report.json)"}]
    elif finding.status == "suppressed":
        result["suppressions"] = [{"kind": "inSource", "justification": "inline suppression in the source"}]
    return result


def _tool_run(tool: str, findings: list[Finding], root: str | None) -> dict[str, Any]:
    rules: dict[str, dict[str, Any]] = {}
    results = []
    for finding in findings:
        if finding.rule_id not in rules:
            rules[finding.rule_id] = {
                "id": finding.rule_id,
                "shortDescription": {"text": finding.message.split(" (")[0][:200] or finding.rule_id},
                "defaultConfiguration": {"level": LEVEL[finding.severity]},
                "properties": {
                    "security-severity": SECURITY_SEVERITY[finding.severity],
                    "tags": ["security"],
                },
            }
        results.append(_result(finding, list(rules).index(finding.rule_id)))
    run: dict[str, Any] = {
        "tool": {"driver": {"name": tool, "rules": list(rules.values())}},
        "automationDetails": {"id": f"stackcheck/{tool}/"},
        "results": results,
    }
    if root is not None:
        run["originalUriBaseIds"] = {ROOT_ID: {"uri": root}}
    return run


def _properties(result: CheckResult) -> dict[str, str]:
    props = {"status": str(result.status)}
    if result.error_reason is not None:
        props["errorReason"] = str(result.error_reason)
    return props


def _stackcheck_run(report: Report) -> dict[str, Any] | None:
    """Checks that failed or errored with no finding behind them (a missing tool, a broken policy)."""
    tools_with_findings = {f.tool for f in report.findings}
    results = []
    rules: dict[str, dict[str, Any]] = {}
    for r in report.results:
        if (
            r.status not in (Status.FAILED, Status.ERROR)
            or r.evidence.details.get("tool") in tools_with_findings
        ):
            continue
        rule: dict[str, Any] = {"id": r.id, "shortDescription": {"text": r.title}}
        if r.remediation:
            rule["help"] = {"text": r.remediation}
        rules.setdefault(r.id, rule)
        results.append(
            {
                "ruleId": r.id,
                "ruleIndex": list(rules).index(r.id),
                "level": "error" if r.status is Status.FAILED else "warning",
                "message": {"text": _message(r)},
                # The profile line that makes the promise: code scanning annotates it.
                "locations": _location(r.source.file, r.source.line) if r.source else [],
                "properties": _properties(r),
            }
        )
    if not results and report.findings:
        return None
    version = report.run.tool_versions.get("stackcheck", "unknown")
    run: dict[str, Any] = {
        "tool": {"driver": {"name": "stackcheck", "version": version, "rules": list(rules.values())}},
        "automationDetails": {"id": "stackcheck/checks/"},
        "results": results,
    }
    root = _root(report)
    if root is not None:
        run["originalUriBaseIds"] = {ROOT_ID: {"uri": root}}
    return run


def _message(r: CheckResult) -> str:
    text = f"{r.label}: {r.status}: {r.message}"
    if r.claims:
        text += " · claim " + ", ".join(f"{c.id} “{c.text}”" for c in r.claims)
    if r.remediation and r.status is Status.FAILED:
        text += f" · fix: {r.remediation}"
    return text


def render_sarif(report: Report) -> str:
    """SARIF 2.1.0 JSON of the report's findings: one run per tool, tools in name order."""
    runs = []
    ordered = sorted(report.findings, key=lambda f: (f.tool, f.file or "", f.line or 0, f.rule_id))
    for tool, group in groupby(ordered, key=lambda f: f.tool):
        runs.append(_tool_run(tool, list(group), _root(report)))
    extra = _stackcheck_run(report)
    if extra is not None:
        runs.append(extra)
    return json.dumps({"$schema": SCHEMA, "version": "2.1.0", "runs": runs}, indent=2) + "\n"
