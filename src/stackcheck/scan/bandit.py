"""bandit (Python SAST) over the profile's code paths.

bandit normally drops lines marked ``# nosec`` without saying which; stackcheck runs it with
``--ignore-nosec`` and marks those findings ``suppressed`` itself, so an auditor sees every suppression.
The hard-coded-password rules quote the password in their message (``Possible hardcoded password:
'it's-a-secret'``): everything from the first quote to the last is the password, apostrophes included. It is
masked, kept out of the fingerprint, and remembered so the whole report redacts it.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from stackcheck.catalog import scan as scan_checks
from stackcheck.scan.context import Planned, ScanContext, display_path
from stackcheck.scan.findings import ToolOutcome, make_finding, severity_of
from stackcheck.scan.runner import Job, JobResult
from stackcheck.scan.scanner import Scanner, ScannerName
from stackcheck.scan.toolcache import ToolSpec, locate
from stackcheck.scan.tracked import MAX_ARGV_CHARS

__all__ = ["SCANNER", "TOOL", "nosec_ids", "parse_bandit"]

NAME = ScannerName.BANDIT
TOOL = ToolSpec(NAME, "bandit", "1.9.4", pip=("bandit[sarif]==1.9.4",))
CHECK = scan_checks.CODE
_RULE = re.compile(r"^B\d{3}$")
_NOSEC = re.compile(r"#\s*nosec\b:?\s*([A-Za-z0-9_, ]*)")
# bandit writes '%s' around the value as it is: the value runs from the first quote to the last.
_QUOTED = re.compile(r"'(.*)'", re.S)
PY_SUFFIXES = (".py", ".pyw")  # what bandit reads in a folder (its default include)
PASSWORD_RULES = {"B105", "B106", "B107"}  # hard-coded password string / argument / default


def nosec_ids(line: str) -> set[str] | None:
    """``# nosec`` → set() (all rules); ``# nosec B105, B106`` → those ids; no marker → None."""
    match = _NOSEC.search(line)
    if match is None:
        return None
    return {part for part in re.split(r"[\s,]+", match.group(1)) if _RULE.match(part)}


def _plan(ctx: ScanContext) -> list[Planned]:
    if not ctx.code_paths:
        outcome = ToolOutcome(NAME, CHECK, None, skipped="scan.code_paths is empty")
        return [Planned(CHECK, None, outcome=outcome)]
    missing = [p for p in ctx.code_paths if not p.exists()]
    if missing:
        error = f"scan.code_paths: {display_path(missing[0])} does not exist"
        return [Planned(CHECK, None, outcome=ToolOutcome(NAME, CHECK, None, error=error))]
    exe = locate(TOOL, ctx.settings)
    out = ctx.work / "bandit.json"
    targets = [p.resolve() for p in ctx.code_paths]
    exclude = [".git", ".nox", ".venv", "venv", "node_modules", "__pycache__"]
    files = ctx.files(targets)  # in git: what the repository tracks (stackcheck.scan.tracked)
    if files is not None:
        named = {p for p in targets if p.is_file()}
        python = [f for f in files if f.suffix in PY_SUFFIXES or f in named]
        if not python:
            skipped = "no Python file git tracks under scan.code_paths"
            return [Planned(CHECK, None, outcome=ToolOutcome(NAME, CHECK, None, skipped=skipped))]
        if sum(len(str(f)) + 1 for f in python) <= MAX_ARGV_CHARS:
            targets = python
        else:  # too many for one command line: the folders, without what git ignores
            exclude += [str(i) for p in targets for i in ctx.tracked.ignored_under(p)]
    # Absolute paths: bandit names files as given, and stackcheck reads their lines back for # nosec.
    argv = [str(exe), "-r", *(str(p) for p in targets), "-f", "json", "-o", str(out), "-q"]
    argv += ["--ignore-nosec", "-x", ",".join(exclude)]
    skips = [s for s in ctx.section.skip if _RULE.match(s)]
    if skips:
        argv += ["--skip", ",".join(skips)]
    job = Job(
        NAME,
        NAME,
        tuple(argv),
        frozenset({0, 1}),
        timeout_s=ctx.section.timeout_s,
        output=out,
        inputs=tuple(targets),
    )
    return [Planned(CHECK, None, job=job)]


def _line_of(path: str, number: int) -> str:
    try:
        lines = Path(path).read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return ""
    return lines[number - 1] if 0 < number <= len(lines) else ""


def parse_bandit(text: str, root: Path | None = None) -> tuple[list[Any], set[str], list[str]]:
    """bandit JSON → (findings, literal secrets quoted in messages, files bandit could not read).

    Files are named relative to ``root`` (the scan root; default: the current directory).
    """
    data = json.loads(text)
    findings = []
    secrets: set[str] = set()
    for item in data.get("results", []):
        rule = str(item["test_id"])
        message = str(item.get("issue_text", ""))
        quoted = _QUOTED.search(message) if rule in PASSWORD_RULES else None
        filename = str(item.get("filename", ""))
        number = int(item.get("line_number") or 0)
        source_line = _line_of(filename, number)
        anchor = source_line.strip() or str(number)
        if quoted is not None and quoted.group(1):
            secrets.add(quoted.group(1))
            message = _QUOTED.sub("'***'", message)
            # A fingerprint of the line would let a dictionary find the password: hash the line without it.
            anchor = anchor.replace(quoted.group(1), "***")
        marked = nosec_ids(source_line)
        status = "open"
        if marked is not None and (not marked or rule in marked):
            status = "suppressed"
            message += " [suppressed inline: # nosec]"
        confidence = str(item.get("issue_confidence", "")).lower()
        findings.append(
            make_finding(
                tool=NAME,
                rule_id=rule,
                severity=severity_of(item.get("issue_severity")),
                message=f"{message} ({item.get('test_name')}, confidence {confidence})",
                anchor=anchor,
                file=display_path(filename, root),
                line=number,
                status=status,
            )
        )
    errors = [
        f"{display_path(e.get('filename', '?'), root)}: {e.get('reason', '')}" for e in data.get("errors", [])
    ]
    return findings, secrets, errors


def _parse(ctx: ScanContext, planned: Planned, result: JobResult) -> list[ToolOutcome]:
    if result.failure:
        return [ToolOutcome(NAME, CHECK, None, error=result.failure, duration_s=result.duration_s)]
    try:
        findings, secrets, errors = parse_bandit(result.output or "{}", ctx.root)
        scanned = [k for k in json.loads(result.output or "{}").get("metrics", {}) if k != "_totals"]
    except (ValueError, KeyError, AttributeError) as exc:
        return [ToolOutcome(NAME, CHECK, None, error=f"bandit wrote unreadable JSON: {exc}")]
    if not scanned and not errors:
        skipped = "no Python file under scan.code_paths (bandit read nothing)"
        return [ToolOutcome(NAME, CHECK, None, skipped=skipped, duration_s=result.duration_s)]
    return [
        ToolOutcome(
            NAME,
            CHECK,
            None,
            findings=tuple(findings),
            duration_s=result.duration_s,
            details={"unreadable_files": errors, "files_scanned": len(scanned) - len(errors)},
            secret_values=frozenset(secrets),
            unscanned=tuple(errors),
        )
    ]


# bandit ≈ 0.8 s here.
SCANNER = Scanner(name=NAME, tool=TOOL, checks=(CHECK,), cost=1, plan=_plan, parse=_parse)
