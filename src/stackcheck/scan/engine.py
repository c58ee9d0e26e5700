"""The scan stage's engine: plan every registered scanner, run them within a core budget, judge one verdict.

``run_scan`` is shared by ``stackcheck scan`` (which writes the report folder) and the ``scan``/``secrets``
suites (which replay its results as pytest checks under ``stackcheck verify``). It knows no scanner by
name: it runs what :data:`stackcheck.scan.registry.SCANNERS` lists. Adding a scanner is one module that
builds a :class:`~stackcheck.scan.scanner.Scanner` plus one line in that registry (and its name in
:class:`~stackcheck.scan.scanner.ScannerName`).
"""

from __future__ import annotations

import datetime as dt
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from stackcheck._exceptions import CouldNotCheck, ErrorReason
from stackcheck.catalog import REGISTRY
from stackcheck.outcomes import CheckResult, Evidence, Status, WaiverRef
from stackcheck.profile.models import Profile, Waiver
from stackcheck.profile.stages import DEFAULT_FAIL_ON
from stackcheck.redact import Redactor
from stackcheck.report.model import Finding
from stackcheck.report.publish import run_redactor
from stackcheck.scan.context import Planned, ScanContext
from stackcheck.scan.findings import (
    ToolOutcome,
    apply_finding_waivers,
    at_least,
    covering_waiver,
    finding_label,
    is_finding_waiver,
)
from stackcheck.scan.registry import SCANNERS
from stackcheck.scan.resultcache import ResultCache, tool_identity
from stackcheck.scan.runner import JobResult, run_jobs
from stackcheck.scan.scanner import Scanner
from stackcheck.scan.toolcache import is_pinned
from stackcheck.settings import Settings
from stackcheck.waivers import WaiverStatus, apply_waivers

__all__ = ["ScanRun", "judge", "run_scan"]


@dataclass
class ScanRun:
    """Everything one scan established (secrets not yet redacted: redact before writing)."""

    results: list[CheckResult]
    findings: list[Finding]
    waivers: list[WaiverStatus]
    outcomes: list[ToolOutcome]
    tool_versions: dict[str, str]
    redactor: Redactor
    root: Path | None = None  # the scan root: findings' files are relative to it (the profile's folder)


#: Told of each scanner job as soon as it ends, with what its output says (a progress line).
OnJob = Callable[[JobResult, Sequence[ToolOutcome]], None]


@dataclass(frozen=True)
class _Step:
    """One planned job or known outcome, with the scanner that planned it (and will read its output)."""

    scanner: Scanner
    planned: Planned


def _plan_all(ctx: ScanContext) -> list[_Step]:
    steps: list[_Step] = []
    for scanner in SCANNERS.values():
        try:
            planned = scanner.plan(ctx)
        except CouldNotCheck as exc:
            planned = scanner.unplanned(str(exc), exc.reason)
        steps += [_Step(scanner, p) for p in planned]
    return steps


def _parse(ctx: ScanContext, step: _Step, result: JobResult) -> list[ToolOutcome]:
    """The scanner's reading of its output; a surprise in that output is "could not check", not a crash."""
    try:
        return step.scanner.parse(ctx, step.planned, result)
    except Exception as exc:
        error = f"could not read {step.scanner.name}'s output: {exc.__class__.__name__}: {exc}"
        return [ToolOutcome(step.scanner.name, step.planned.check, step.planned.subject, error=error)]


def _start_order(step: _Step) -> tuple[bool, int]:
    """The scheduling policy: single-core scanners first, costliest first, one per core; then the parallel
    ones (detect-secrets, told ``--cores`` = the budget), started on the first core a single-core scanner
    frees (an elastic job: its processes share the cores with the last single-core scanner's tail, then
    have them all), so no core idles.

    Why, measured on the generated corpus (``benchmarks/scan_corpus.py``, 2 cores): each tool's default
    takes every core (checkov forks ``os.cpu_count()`` workers, detect-secrets one process per core), and
    side by side each ran 2-3x slower than alone, so the stage took longer than the tools in sequence.
    checkov is no slower with one worker (10.9 s vs 15.5 s with two), bandit has one process anyway
    (7-9 s); they share the two cores, then detect-secrets takes both (6.3 s vs 10.7 s on one).
    Starting detect-secrets first instead would leave checkov and bandit to queue behind it; waiting for
    both cores left one idle until the slower of checkov and bandit ended (on a small tree, seconds).
    """
    return (step.scanner.parallel, -step.scanner.cost)


def _cache(ctx: ScanContext, steps: Sequence[_Step], folder: Path) -> ResultCache:
    """The result cache of this scan: each tool known by its version and executable (and install stamp)."""
    tools = {}
    for step in steps:
        if step.planned.job is not None:
            spec, exe = step.scanner.tool, Path(step.planned.job.argv[0])
            stamp = (
                ctx.settings.tools_dir / f".{spec.name}.installed" if is_pinned(exe, ctx.settings) else None
            )
            tools[step.planned.job.tool] = tool_identity(spec.version, exe, stamp)
    return ResultCache(folder, ctx.work, ctx.settings.environ, tools, ctx.tracked)


def _run_steps(
    ctx: ScanContext, steps: Sequence[_Step], on_job: OnJob | None, cache: ResultCache | None = None
) -> list[ToolOutcome]:
    """Run every planned job and read each one's output as soon as it ends (``on_job`` hears of it then);
    outcomes in plan order."""
    with_jobs = sorted((s for s in steps if s.planned.job is not None), key=_start_order)
    jobs = [s.planned.job for s in with_jobs if s.planned.job is not None]
    step_of = {s.planned.job.name: s for s in with_jobs if s.planned.job is not None}
    parsed: dict[str, list[ToolOutcome]] = {}

    def done(result: JobResult) -> None:
        if cache is not None:
            cache.store(result)
        outcomes = _parse(ctx, step_of[result.job.name], result)
        if result.cached:  # said in the result, so a report shows which verdicts were replayed
            outcomes = [replace(o, details={**o.details, "result_cache": "hit"}) for o in outcomes]
        parsed[result.job.name] = outcomes
        if on_job is not None:
            on_job(result, parsed[result.job.name])

    replay = cache.replay if cache is not None else None
    run_jobs(jobs, ctx.settings.environ, cores=ctx.cores, on_done=done, replay=replay)
    outcomes: list[ToolOutcome] = []
    for step in steps:
        if step.planned.outcome is not None:
            outcomes.append(step.planned.outcome)
        elif step.planned.job is not None:
            outcomes += parsed[step.planned.job.name]
    return outcomes


def _versions(settings: Settings, steps: Sequence[_Step]) -> dict[str, str]:
    """Each scanner that ran: its pinned version, or ``unknown (PATH)`` when it came from elsewhere."""
    used = {s.scanner.name: (s.scanner, s.planned.job.argv[0]) for s in steps if s.planned.job is not None}
    return {
        str(name): scanner.tool.version if is_pinned(Path(exe), settings) else f"unknown ({exe})"
        for name, (scanner, exe) in sorted(used.items())
    }


def _threshold_text(fail_on: str) -> str:
    return "at any severity" if fail_on == "any" else f"at or above {fail_on}"


def _labels(findings: Sequence[Finding], limit: int = 3) -> str:
    """``B105 app.py:5; B602 app.py:10 (+2 more)``: the first findings, by rule and place."""
    shown = "; ".join(f"{f.rule_id} {f.file or ''}{f':{f.line}' if f.line else ''}" for f in findings[:limit])
    return shown + (f" (+{len(findings) - limit} more)" if len(findings) > limit else "")


def judge(
    outcome: ToolOutcome,
    findings: Sequence[Finding],
    fail_on: str,
    waiver: WaiverRef | None,
    fail_on_key: str = "scan.fail_on",
) -> CheckResult:
    """The check result of one outcome, from its findings after waivers (``waiver`` covers waived ones).

    ``fail_on`` is this check's threshold (a severity or ``any``) and ``fail_on_key`` the profile key that
    set it: open findings below it are listed (message and evidence) but do not fail.
    """
    counts = {s: sum(1 for f in findings if f.status == s) for s in ("open", "waived", "suppressed")}
    failing = [f for f in findings if f.status == "open" and at_least(f.severity, fail_on)]
    waived = [f for f in findings if f.status == "waived" and at_least(f.severity, fail_on)]
    below = [f for f in findings if f.status == "open" and not at_least(f.severity, fail_on)]
    threshold = _threshold_text(fail_on)
    details = {
        "tool": outcome.tool,
        "findings": counts,
        "fail_on": fail_on,
        "fail_on_key": fail_on_key,
        "below_fail_on": len(below),
        "below_fail_on_findings": [finding_label(f) + f" ({f.severity})" for f in below[:50]],
        "suppressed_inline": [finding_label(f) for f in findings if f.status == "suppressed"],
        "duration_s": round(outcome.duration_s, 2),
        **outcome.details,
    }
    ref: WaiverRef | None = None
    unscanned = _unscanned_text(outcome.unscanned)
    if outcome.unscanned:
        details["unscanned"] = list(outcome.unscanned)
    if outcome.error is not None:
        status, message = Status.ERROR, outcome.error
    elif outcome.skipped is not None:
        status, message = Status.SKIPPED, outcome.skipped
    elif failing:
        # Decided by what was read: a failing finding is non-compliant whatever the unread files hold.
        status = Status.FAILED
        message = f"{len(failing)} open {outcome.tool} finding(s) {threshold}: {_labels(failing)}"
        if below:
            message += f"; {len(below)} below {fail_on} listed, not failing"
        if unscanned:
            message += f"; also {unscanned}"
    elif unscanned:
        status, message = Status.ERROR, f"{outcome.tool} {unscanned}"
    elif waived:
        status, ref = Status.WAIVED, waiver
        message = f"{len(waived)} {outcome.tool} finding(s) {threshold}, all covered by waivers"
    else:
        status = Status.PASSED
        message = f"{outcome.tool}: no open finding {threshold} ({counts['suppressed']} suppressed inline"
        if fail_on != "any":
            message += f", {len(below)} below {fail_on}"
            if below:
                message += f": {_labels(below)}"
        message += ")"
    evidence = Evidence(expected=0, observed=len(failing), op="<=", unit="findings", details=details)
    if status is Status.ERROR:  # an error observed nothing: its evidence claims no count
        evidence = Evidence(details=details)
    return CheckResult.of(
        outcome.check,
        status,
        message,
        subject=outcome.subject,
        evidence=evidence if status is not Status.SKIPPED else Evidence(details={"tool": outcome.tool}),
        duration_s=outcome.duration_s,
        waiver=ref,
        error_reason=_error_reason(outcome) if status is Status.ERROR else None,
    )


def _unscanned_text(unscanned: Sequence[str]) -> str:
    """``could not scan 2 file(s): a.tf: ...; b.yml: ...`` (the first three named), or ``""``; ``could not
    check ...`` when what is left unchecked is a promise rather than a file."""
    if not unscanned:
        return ""
    more = f" (+{len(unscanned) - 3} more)" if len(unscanned) > 3 else ""
    what = "check" if all(u.startswith("scan.build.") for u in unscanned) else "scan"
    count = f"{len(unscanned)} {'promise' if what == 'check' else 'file'}(s)"
    return f"could not {what} {count}: {'; '.join(unscanned[:3])}{more}"


def _error_reason(outcome: ToolOutcome) -> ErrorReason:
    """Why an outcome is ``error``: the tool's failure, or files it could not read (unexpected input)."""
    if outcome.error is None and outcome.unscanned:
        return ErrorReason.UNEXPECTED_ANSWER
    return outcome.error_reason


def _waiver_ref(findings: Sequence[Finding], waivers: Sequence[Waiver], today: dt.date) -> WaiverRef | None:
    """The waiver a result shows: the first one covering any of its waived findings."""
    for finding in findings:
        if finding.status == "waived":
            cover = covering_waiver(finding, waivers, today)
            if cover is not None:
                return WaiverRef(owner=cover.owner, reason=cover.reason, expires=cover.expires)
    return None


@dataclass(frozen=True)
class _Verdicts:
    results: list[CheckResult]
    findings: list[Finding]
    waivers: list[WaiverStatus]


def _judge_all(profile: Profile, outcomes: Sequence[ToolOutcome], today: dt.date) -> _Verdicts:
    """One waiver policy: waivers naming a registered check id cover results, the others cover findings."""
    finding_waivers = [w for w in profile.waivers if is_finding_waiver(w, REGISTRY)]
    check_waivers = [w for w in profile.waivers if not is_finding_waiver(w, REGISTRY)]
    all_findings = [f for o in outcomes for f in o.findings]
    waived_findings, finding_statuses = apply_finding_waivers(all_findings, finding_waivers, today)
    results = []
    cursor = 0
    for outcome in outcomes:
        mine = waived_findings[cursor : cursor + len(outcome.findings)]
        cursor += len(outcome.findings)
        # Each check against its own threshold: per check, per scanner, or one for all (scan.fail_on).
        fail_on, key = (
            profile.scan.threshold(outcome.tool, outcome.check.id)
            if profile.scan
            else (DEFAULT_FAIL_ON, "scan.fail_on (default)")
        )
        results.append(judge(outcome, mine, fail_on, _waiver_ref(mine, finding_waivers, today), key))
    results, check_statuses = apply_waivers(results, check_waivers, set(REGISTRY), today)
    # Waiver states in the order the profile lists the waivers.
    order = {id(w): i for i, w in enumerate(profile.waivers)}
    statuses = sorted(
        zip(finding_waivers + check_waivers, finding_statuses + check_statuses, strict=True),
        key=lambda pair: order[id(pair[0])],
    )
    return _Verdicts(results, waived_findings, [s for _, s in statuses])


def run_scan(
    profile: Profile,
    base: Path,
    settings: Settings,
    paths: Sequence[Path] = (),
    today: dt.date | None = None,
    on_job: OnJob | None = None,
    cache_dir: Path | None = None,
) -> ScanRun:
    """Run every scanner the profile's ``scan`` section asks for and judge the results (not redacted).

    ``base`` is the folder the profile's relative paths start from; ``paths`` (from the command line)
    replace every path list of the section. ``cache_dir``: the result cache
    (:mod:`stackcheck.scan.resultcache`); None runs every scanner.
    """
    canaries = profile.scan.canaries if profile.scan else []
    known = [settings.environ.get(name, "") for name in canaries]
    redactor = run_redactor(profile, settings.environ, known=known)
    with tempfile.TemporaryDirectory(prefix="stackcheck-scan-") as work:
        ctx = ScanContext.build(profile, base, Path(work), settings, paths)
        steps = _plan_all(ctx)
        cache = _cache(ctx, steps, cache_dir) if cache_dir is not None else None
        outcomes = _run_steps(ctx, steps, on_job, cache)
    for outcome in outcomes:
        redactor.add(outcome.secret_values)
    verdicts = _judge_all(profile, outcomes, today or dt.date.today())
    return ScanRun(
        results=verdicts.results,
        findings=verdicts.findings,
        waivers=verdicts.waivers,
        outcomes=outcomes,
        tool_versions=_versions(settings, steps),
        redactor=redactor,
        root=base.resolve(),
    )
