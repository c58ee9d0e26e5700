"""The scan stage's engine: plan every scanner, run them concurrently, and judge one verdict.

``run_scan`` is shared by ``stackcheck scan`` (which writes the report folder) and the ``scan``/``secrets``
suites (which replay its results as pytest checks under ``stackcheck verify``). Adding a scanner is one
module with a ``SCANNER`` plus one line in :data:`SCANNERS`.
"""

from __future__ import annotations

import datetime as dt
import os
import tempfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from stackcheck._exceptions import CouldNotCheck
from stackcheck.catalog import REGISTRY
from stackcheck.outcomes import CheckResult, Evidence, Status, WaiverRef
from stackcheck.profile.models import Profile
from stackcheck.report.model import Finding
from stackcheck.scan import bandit, checkov, secrets, trivy
from stackcheck.scan.context import Planned, ScanContext, Scanner
from stackcheck.scan.findings import (
    ToolOutcome,
    apply_finding_waivers,
    at_least,
    covering_waiver,
    finding_label,
    is_finding_waiver,
)
from stackcheck.scan.redact import Redactor
from stackcheck.scan.runner import JobResult, run_jobs
from stackcheck.scan.tools import TOOLS, tools_dir
from stackcheck.waivers import WaiverStatus, apply_waivers

__all__ = ["SCANNERS", "ScanRun", "judge", "run_scan"]

SCANNERS: dict[str, Scanner] = {
    "checkov": checkov.SCANNER,
    "bandit": bandit.SCANNER,
    "detect-secrets": secrets.SCANNER,
    "trivy": trivy.SCANNER,
}
# The checks each scanner decides (used when it cannot even be planned, e.g. not installed).
SCANNER_CHECKS: dict[str, tuple[str, ...]] = {
    "checkov": ("scan.iac",),
    "bandit": ("scan.code",),
    "detect-secrets": ("secrets.repo",),
    "trivy": ("image.trivy", "secrets.image", "image.vulnerabilities"),
}


@dataclass
class ScanRun:
    """Everything one scan established (secrets not yet redacted: redact before writing)."""

    results: list[CheckResult]
    findings: list[Finding]
    waivers: list[WaiverStatus]
    outcomes: list[ToolOutcome]
    tool_versions: dict[str, str]
    redactor: Redactor
    durations: dict[str, float] = field(default_factory=dict)  # job name → wall time (s)
    wall_s: float = 0.0


def _plan_all(ctx: ScanContext) -> list[Planned]:
    planned: list[Planned] = []
    for name, scanner in SCANNERS.items():
        try:
            planned += scanner.plan(ctx)
        except CouldNotCheck as exc:
            planned += [
                Planned(c, None, outcome=ToolOutcome(name, c, None, error=str(exc)))
                for c in SCANNER_CHECKS[name]
            ]
    return planned


def _parse(ctx: ScanContext, planned: Planned, result: JobResult) -> list[ToolOutcome]:
    """The scanner's reading of its output; a surprise in that output is "could not check", not a crash."""
    assert planned.job is not None
    try:
        return SCANNERS[planned.job.tool].parse(ctx, planned, result)
    except Exception as exc:
        error = f"could not read {planned.job.tool}'s output: {exc.__class__.__name__}: {exc}"
        return [ToolOutcome(planned.job.tool, planned.check, planned.subject, error=error)]


def _versions(ctx: ScanContext, planned: list[Planned]) -> dict[str, str]:
    used = {p.job.tool: p.job.argv[0] for p in planned if p.job is not None}
    cache = tools_dir(ctx.environ).resolve()
    out = {}
    for tool, exe in sorted(used.items()):
        pinned = Path(exe).resolve().is_relative_to(cache)
        out[tool] = TOOLS[tool].version if pinned else f"unknown ({exe})"
    return out


def judge(
    outcome: ToolOutcome, findings: Sequence[Finding], fail_on: str, waiver: WaiverRef | None
) -> CheckResult:
    """The check result of one outcome, from its findings after waivers (``waiver`` covers waived ones)."""
    spec = REGISTRY[outcome.check]
    counts = {s: sum(1 for f in findings if f.status == s) for s in ("open", "waived", "suppressed")}
    failing = [f for f in findings if f.status == "open" and at_least(f.severity, fail_on)]
    waived = [f for f in findings if f.status == "waived" and at_least(f.severity, fail_on)]
    details = {
        "tool": outcome.tool,
        "findings": counts,
        "below_fail_on": sum(1 for f in findings if f.status == "open" and not at_least(f.severity, fail_on)),
        "suppressed_inline": [finding_label(f) for f in findings if f.status == "suppressed"],
        "duration_s": round(outcome.duration_s, 2),
        **outcome.details,
    }
    ref: WaiverRef | None = None
    if outcome.error is not None:
        status, message = Status.ERROR, outcome.error
    elif outcome.skipped is not None:
        status, message = Status.SKIPPED, outcome.skipped
    elif failing:
        status = Status.FAILED
        shown = "; ".join(f"{f.rule_id} {f.file or ''}{f':{f.line}' if f.line else ''}" for f in failing[:3])
        more = f" (+{len(failing) - 3} more)" if len(failing) > 3 else ""
        message = f"{len(failing)} open {outcome.tool} finding(s) at or above {fail_on}: {shown}{more}"
    elif waived:
        status, ref = Status.WAIVED, waiver
        message = f"{len(waived)} {outcome.tool} finding(s) at or above {fail_on}, all covered by waivers"
    else:
        status = Status.PASSED
        message = (
            f"{outcome.tool}: no open finding at or above {fail_on} "
            f"({counts['suppressed']} suppressed inline, {details['below_fail_on']} below {fail_on})"
        )
    evidence = Evidence(expected=0, observed=len(failing), op="<=", unit="findings", details=details)
    return CheckResult.of(
        spec,
        status,
        message,
        subject=outcome.subject,
        evidence=evidence if status is not Status.SKIPPED else Evidence(details={"tool": outcome.tool}),
        duration_s=outcome.duration_s,
        waiver=ref,
    )


# Relative cost of each scanner here (checkov ≈ 2.4 s, trivy and bandit ≈ 0.8 s, detect-secrets ≈ 0.2 s).
_COST: dict[str, int] = {"checkov": 3, "trivy": 2, "bandit": 1, "detect-secrets": 0}


def run_scan(
    profile: Profile,
    base: Path,
    environ: Mapping[str, str],
    paths: Sequence[Path] = (),
    today: dt.date | None = None,
    on_job: Callable[[JobResult], None] | None = None,
) -> ScanRun:
    """Run every scanner the profile's ``scan`` section asks for and judge the results (not redacted)."""
    today = today or dt.date.today()
    section = profile.scan
    fail_on = section.fail_on if section else "low"
    canaries = [environ.get(name, "") for name in (section.canaries if section else [])]
    redactor = Redactor(canaries)
    with tempfile.TemporaryDirectory(prefix="stackcheck-scan-") as work:
        ctx = ScanContext.build(profile, base, Path(work), environ, paths)
        planned = _plan_all(ctx)
        # The slowest scanner starts first and at most one scanner runs per core: on a small machine,
        # oversubscribing the cores makes the slowest one (checkov) finish later than the rest combined.
        jobs = sorted((p.job for p in planned if p.job is not None), key=lambda j: -_COST.get(j.tool, 0))
        started = dt.datetime.now(dt.UTC)
        workers = max(1, min(len(jobs), os.cpu_count() or 1))
        by_name = {r.job.name: r for r in run_jobs(jobs, max_workers=workers, on_done=on_job)}
        wall = (dt.datetime.now(dt.UTC) - started).total_seconds()
        outcomes: list[ToolOutcome] = []
        for p in planned:
            if p.outcome is not None:
                outcomes.append(p.outcome)
            elif p.job is not None:
                outcomes += _parse(ctx, p, by_name[p.job.name])
        versions = _versions(ctx, planned)
    for outcome in outcomes:
        redactor.add(outcome.secret_values)
    # One waiver policy: waivers naming a registered check id cover results, the others cover findings.
    finding_waivers = [w for w in profile.waivers if is_finding_waiver(w, REGISTRY)]
    check_waivers = [w for w in profile.waivers if not is_finding_waiver(w, REGISTRY)]
    all_findings = [f for o in outcomes for f in o.findings]
    waived_findings, finding_statuses = apply_finding_waivers(all_findings, finding_waivers, today)
    results = []
    cursor = 0
    for outcome in outcomes:
        mine = waived_findings[cursor : cursor + len(outcome.findings)]
        cursor += len(outcome.findings)
        cover = next(
            (
                w
                for f in mine
                if f.status == "waived"
                for w in [covering_waiver(f, finding_waivers, today)]
                if w
            ),
            None,
        )
        ref = WaiverRef(owner=cover.owner, reason=cover.reason, expires=cover.expires) if cover else None
        results.append(judge(outcome, mine, fail_on, ref))
    results, check_statuses = apply_waivers(results, check_waivers, set(REGISTRY), today)
    order = {id(w): i for i, w in enumerate(profile.waivers)}
    statuses = sorted(
        zip(finding_waivers + check_waivers, finding_statuses + check_statuses, strict=True),
        key=lambda pair: order[id(pair[0])],
    )
    return ScanRun(
        results=results,
        findings=waived_findings,
        waivers=[s for _, s in statuses],
        outcomes=outcomes,
        tool_versions=versions,
        redactor=redactor,
        durations={name: round(r.duration_s, 3) for name, r in by_name.items()},
        wall_s=round(wall, 3),
    )
