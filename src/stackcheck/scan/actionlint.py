"""actionlint over the GitHub Actions workflows below the profile's IaC paths (``scan.ci``).

checkov reads a workflow's permissions and secrets; actionlint reads what the workflow *does*: a
``${{ github.event.pull_request.title }}`` expanded into a ``run:`` script (script injection), a job that
``needs`` a job that does not exist, an unknown runner label, a malformed expression or cron line. The
workflows are found, not listed: every ``.github/workflows/*.yml`` below ``scan.iac_paths`` (or the PATHs
given on the command line). actionlint is a Go program, built from its pinned module (``tools/actionlint/``)
into the tool cache like trivy; its shellcheck and pyflakes integrations are switched off, so the verdict
does not depend on what else happens to be on ``PATH``.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from stackcheck.catalog import scan as scan_checks
from stackcheck.catalog.spec import Severity
from stackcheck.scan.context import Planned, ScanContext, display_path
from stackcheck.scan.findings import ToolOutcome, make_finding
from stackcheck.scan.runner import Job, JobResult
from stackcheck.scan.scanner import Scanner, ScannerName
from stackcheck.scan.toolcache import ToolSpec, locate

__all__ = ["SCANNER", "TOOL", "find_workflows", "parse_actionlint"]

NAME = ScannerName.ACTIONLINT
MODULE = "github.com/rhysd/actionlint"
TOOL = ToolSpec(
    NAME, "actionlint", "1.7.12", go_package=f"{MODULE}/cmd/actionlint", go_version_var=f"{MODULE}.version"
)
CHECK = scan_checks.CI
# Shellcheck and pyflakes off: they would run only when installed, so the verdict would depend on PATH.
FLAGS = ("-format", "{{json .}}", "-no-color", "-shellcheck=", "-pyflakes=")
PRUNE = frozenset({".git", ".nox", ".venv", "venv", "node_modules", "__pycache__"})
# actionlint has no severities. An expression it calls "potentially untrusted" in a script is an injection.
UNTRUSTED = "potentially untrusted"


def _is_workflow(path: Path) -> bool:
    return (
        path.suffix in (".yml", ".yaml")
        and path.parent.name == "workflows"
        and path.parent.parent.name == ".github"
    )


def find_workflows(paths: Sequence[Path]) -> list[Path]:
    """Every GitHub Actions workflow file among ``paths`` or below them (sorted, without duplicates)."""
    found: list[Path] = []
    for root in paths:
        if root.is_file():
            found += [root] if _is_workflow(root) else []
            continue
        for folder, dirs, files in os.walk(root):
            dirs[:] = sorted(d for d in dirs if d not in PRUNE)
            found += [Path(folder) / f for f in sorted(files) if _is_workflow(Path(folder) / f)]
    return list(dict.fromkeys(p.resolve() for p in found))


def _known(**kw: Any) -> list[Planned]:
    """An outcome decided before running (``skipped=`` or ``error=``)."""
    return [Planned(CHECK, None, outcome=ToolOutcome(NAME, CHECK, None, **kw))]


def _plan(ctx: ScanContext) -> list[Planned]:
    if not ctx.iac_paths:
        return _known(skipped="scan.iac_paths is empty")
    missing = [p for p in ctx.iac_paths if not p.exists()]
    if missing:
        return _known(error=f"scan.iac_paths: {display_path(missing[0])} does not exist")
    # In git: only the workflows the repository tracks (a copy under an ignored folder is not CI).
    workflows = [w for w in find_workflows(ctx.iac_paths) if ctx.tracked.keeps(w)]
    if not workflows:
        return _known(skipped="no GitHub Actions workflow (.github/workflows/*.yml) under scan.iac_paths")
    argv = (str(locate(TOOL, ctx.settings)), *FLAGS, *(str(w) for w in workflows))
    # A Go program: GOMAXPROCS is its own parallelism knob; within the budget it has one core.
    env = {"GOMAXPROCS": "1"} if ctx.budget else {}
    job = Job(
        NAME, NAME, argv, frozenset({0, 1}), env=env, timeout_s=ctx.section.timeout_s, inputs=tuple(workflows)
    )
    return [Planned(CHECK, None, job=job)]


def parse_actionlint(text: str, skip: Sequence[str] = (), root: Path | None = None) -> list[Any]:
    """actionlint's ``{{json .}}`` output (a list of errors, or ``null`` when there is none) → findings.

    The rule id is actionlint's ``kind`` (``expression``, ``job-needs``, ``syntax-check`` ...); kinds in
    ``skip`` (``scan.skip``) are dropped; files are named relative to ``root`` (the scan root).
    """
    data = json.loads(text or "null") or []
    if not isinstance(data, list):
        raise ValueError(f"expected a list of errors, got {type(data).__name__}")
    findings = []
    for item in data:
        kind = str(item["kind"])
        if kind in skip:
            continue
        message = str(item["message"])
        file = str(item.get("filepath") or "")
        findings.append(
            make_finding(
                tool=NAME,
                rule_id=kind,
                severity=Severity.HIGH if UNTRUSTED in message else Severity.MEDIUM,
                message=message,
                anchor=message,  # names the job, step or expression: stable when lines move
                # actionlint names the files as given (absolute) or relative to its working directory, ours
                file=display_path(file, root) if file else None,
                line=int(item.get("line") or 0),
            )
        )
    return findings


def _parse(ctx: ScanContext, planned: Planned, result: JobResult) -> list[ToolOutcome]:
    if result.failure:
        return [ToolOutcome(NAME, CHECK, None, error=result.failure, duration_s=result.duration_s)]
    findings = parse_actionlint(result.stdout, ctx.section.skip, ctx.root)
    workflows = [ctx.show(w) for w in result.job.argv[1 + len(FLAGS) :]]
    return [
        ToolOutcome(
            NAME,
            CHECK,
            None,
            findings=tuple(findings),
            duration_s=result.duration_s,
            details={"workflows": workflows},
        )
    ]


# actionlint ≈ 0.05 s here: started last.
SCANNER = Scanner(name=NAME, tool=TOOL, checks=(CHECK,), cost=0, plan=_plan, parse=_parse)
