"""Secrets in the repository: Yelp's detect-secrets over the profile's secret paths (``secrets.repo``).

Why detect-secrets: it is the established pre-commit/CI detector from PyPI (pure Python, offline, a venv of
its own), it combines ~25 provider patterns (AWS, GitHub, GitLab, Slack, Stripe, private keys, JWTs ...)
with a *keyword* detector (``password = "..."``, ``api_key: ...``) and entropy detectors for random tokens
no pattern knows — the shape of secrets teams actually commit — and it reports a secret's SHA-1 hash,
never its value, so its output cannot leak what it found. That hash is not shown either: a SHA-1 of a
dictionary password (``postgres``) is reversed by a lookup. Messages carry a tag keyed per run
(:func:`~stackcheck.redact.secret_tag`), and fingerprints hash the finding's place, not the secret.

Secrets baked into image layers are trivy's job (:mod:`stackcheck.scan.trivy`, ``secrets.image``):
detect-secrets cannot read images.

Inline ``# pragma: allowlist secret`` comments are honoured but listed: stackcheck switches detect-secrets'
allowlist filter off and marks those findings ``suppressed`` itself.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path
from typing import Any

from stackcheck.catalog import secrets as secret_checks
from stackcheck.catalog.spec import Severity
from stackcheck.redact import secret_tag
from stackcheck.scan.context import Planned, ScanContext, display_path
from stackcheck.scan.findings import ToolOutcome, make_finding
from stackcheck.scan.runner import Job, JobResult
from stackcheck.scan.scanner import Scanner, ScannerName
from stackcheck.scan.toolcache import ToolSpec, locate
from stackcheck.scan.tracked import MAX_ARGV_CHARS, skip_regex

__all__ = ["SCANNER", "TOOL", "parse_detect_secrets"]

NAME = ScannerName.DETECT_SECRETS
TOOL = ToolSpec(NAME, "detect-secrets", "1.5.0", pip=("detect-secrets==1.5.0",))
CHECK = secret_checks.REPO
ALLOWLIST_FILTER = "detect_secrets.filters.allowlist.is_line_allowlisted"
EXCLUDE = r"(^|/)(\.git|\.nox|\.venv|venv|node_modules|__pycache__|\.mypy_cache|\.ruff_cache)(/|$)"
_ALLOWLISTED = re.compile(r"pragma:\s*allowlist[ -]secret", re.I)
# Entropy hits say "something random"; a named detector on the same line says what it is.
_GENERIC = {"Base64 High Entropy String", "Hex High Entropy String"}


def _plan(ctx: ScanContext) -> list[Planned]:
    if not ctx.secret_paths:
        outcome = ToolOutcome(
            NAME, CHECK, None, skipped="no scan paths (scan.secret_paths, iac_paths, code_paths)"
        )
        return [Planned(CHECK, None, outcome=outcome)]
    missing = [p for p in ctx.secret_paths if not p.exists()]
    if missing:
        error = f"scan paths: {display_path(missing[0])} does not exist"
        return [Planned(CHECK, None, outcome=ToolOutcome(NAME, CHECK, None, error=error))]
    exe = locate(TOOL, ctx.settings)
    # detect-secrets silently ignores paths outside its working directory: run it from their common root.
    resolved = [p.resolve() for p in ctx.secret_paths]
    root = Path(os.path.commonpath([str(p if p.is_dir() else p.parent) for p in resolved]))
    exclude = EXCLUDE
    files = ctx.files(resolved)  # in git: what the repository tracks (stackcheck.scan.tracked)
    if files is not None and not files:
        outcome = ToolOutcome(NAME, CHECK, None, skipped="no file git tracks under the scan paths")
        return [Planned(CHECK, None, outcome=outcome)]
    if files is not None and sum(len(str(f)) + 1 for f in files) <= MAX_ARGV_CHARS:
        resolved = files
    elif files is not None:  # too many for one command line: the folders, without what git ignores
        ignored = [i for p in resolved for i in ctx.tracked.ignored_under(p)]
        exclude = "|".join(filter(None, [EXCLUDE, skip_regex(ignored, root)]))
    # Its own parallelism, told explicitly: detect-secrets splits the files over ``--cores`` processes
    # (default: every core). It runs after the single-core scanners, with every core of the budget.
    argv = [str(exe), "--cores", str(ctx.cores), "scan", "--all-files", "--disable-filter", ALLOWLIST_FILTER]
    argv += ["--exclude-files", exclude]
    argv += [str(p.relative_to(root)) for p in resolved]
    job = Job(
        NAME,
        NAME,
        tuple(argv),
        cwd=root,
        timeout_s=ctx.section.timeout_s,
        cores=ctx.cores,
        inputs=tuple(resolved),
        elastic=True,  # its --cores processes share the cores with the last single-core scanner's tail
    )
    return [Planned(CHECK, None, job=job)]


def _line(path: str, number: int) -> str:
    try:
        lines = Path(path).read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return ""
    return lines[number - 1] if 0 < number <= len(lines) else ""


def parse_detect_secrets(
    text: str, skip: list[str] | None = None, root: Path | None = None, scan_root: Path | None = None
) -> list[Any]:
    """detect-secrets' baseline JSON → findings, one per secret per line (types merged; an entropy hit on
    a line where a named detector hit is that secret).

    File names in the JSON are relative to the folder detect-secrets ran in (``root``, default: the
    current directory); findings name them relative to ``scan_root`` (default: the current directory),
    as every scanner's findings do, and the ``# pragma: allowlist secret`` marker is read from the file
    itself, wherever stackcheck runs.
    """
    ran_in = (root or Path.cwd()).resolve()
    data = json.loads(text)
    grouped: dict[tuple[str, int, str], list[str]] = {}
    for filename, items in data.get("results", {}).items():
        for item in items:
            key = (
                str(item.get("filename", filename)),
                int(item.get("line_number") or 0),
                str(item["hashed_secret"]),
            )
            grouped.setdefault(key, []).append(str(item["type"]))
    # The entropy detectors hash a different span of the same token (the quoted string), so grouping by
    # hash alone left a GitHub token as two findings, and a waiver for GitHubToken half-covered it.
    named_lines = {(f, n) for (f, n, _), types in grouped.items() if any(t not in _GENERIC for t in types)}
    findings = []
    seen: dict[tuple[str, str], int] = {}
    for (filename, number, hashed), types in sorted(grouped.items()):
        if (filename, number) in named_lines and all(t in _GENERIC for t in types):
            continue  # an entropy hit on a line a named detector already reports
        named = [t for t in types if t not in _GENERIC] or types
        rule = named[0].replace(" ", "")
        if skip and rule in skip:
            continue
        # The n-th secret of this kind in this file: stable when lines move, and holds nothing of the secret.
        nth = seen[(filename, rule)] = seen.get((filename, rule), 0) + 1
        path = ran_in / filename
        status = "suppressed" if _ALLOWLISTED.search(_line(str(path), number)) else "open"
        message = f"{' / '.join(dict.fromkeys(named))} in committed file (secret tag {secret_tag(hashed)})"
        if status == "suppressed":
            message += " [suppressed inline: pragma: allowlist secret]"
        findings.append(
            make_finding(
                tool=NAME,
                rule_id=rule,
                severity=Severity.HIGH,
                message=message,
                anchor=f"{rule}#{nth}",
                file=display_path(path, scan_root),
                line=number,
                status=status,
            )
        )
    return findings


def _parse(ctx: ScanContext, planned: Planned, result: JobResult) -> list[ToolOutcome]:
    if result.failure:
        return [ToolOutcome(NAME, CHECK, None, error=result.failure, duration_s=result.duration_s)]
    try:
        findings = parse_detect_secrets(result.stdout, ctx.section.skip, result.job.cwd, ctx.root)
    except (ValueError, KeyError) as exc:
        return [ToolOutcome(NAME, CHECK, None, error=f"detect-secrets printed unreadable JSON: {exc}")]
    return [ToolOutcome(NAME, CHECK, None, findings=tuple(findings), duration_s=result.duration_s)]


# detect-secrets ≈ 0.2 s here: the quickest, started last.
SCANNER = Scanner(name=NAME, tool=TOOL, checks=(CHECK,), cost=0, plan=_plan, parse=_parse, parallel=True)
