"""One report from the reports of several stages of one profile (``stackcheck run``, ``report merge``).

Each stage (verify, scan, load) judges only its own results; the merged report judges them together:
results and findings side by side, each waiver's state over every stage, the claims re-judged over all the
results (a claim whose checks span stages is verified only when every stage ran), the controls likewise
(every framework a stage showed, each control judged over every stage's results), the verdict recomputed.
A verify run that includes the ``scan`` and ``secrets`` suites replays the scanners' verdicts: the same
check and subject as the scan stage's. Of such a pair the scan stage's result is kept (its findings are the
evidence behind it); the same result in two folders of any other kind is refused.

Fields this module does not know are carried generically (tuples concatenated without repeats, anything
else from the first report that has it), so a field added to :class:`Report` is not lost on the way.
"""

from __future__ import annotations

import signal
from collections.abc import Sequence
from typing import Any

from stackcheck._exceptions import UsageError
from stackcheck.claims import rejudge_claims
from stackcheck.controls import rejudge_controls
from stackcheck.outcomes import CheckResult
from stackcheck.report.model import Report, RunInfo, mark_interrupted, summarize
from stackcheck.waivers import WaiverState, WaiverStatus

__all__ = ["is_scan_stage", "merge_reports", "refuse_mismatch"]

# A waiver's state over several stages: the strongest wins (one stage's failure it covered makes it active
# even though the other stages, whose checks are not its own, found it unused).
_WAIVER_RANK = {WaiverState.UNUSED: 0, WaiverState.STALE: 1, WaiverState.ACTIVE: 2, WaiverState.EXPIRED: 3}

# The fields merged with their own rule; every other field is carried generically.
_MERGED = {"schema_", "run", "profile", "target", "summary", "claims", "controls", "results", "waivers"}


def is_scan_stage(report: Report) -> bool:
    """Whether ``report`` is a ``stackcheck scan`` report (the one with the findings)."""
    return report.run.scan_root is not None or report.run.command.startswith("stackcheck scan")


def _scan_first(reports: Sequence[Report]) -> list[Report]:
    return sorted(reports, key=lambda r: not is_scan_stage(r))  # stable: the given order otherwise


def refuse_mismatch(reports: Sequence[tuple[str, Report]]) -> None:
    """Refuse, naming the folders, reports that are not stages of one run of one profile: a different
    profile (name or effective sha256), a different target, or the same results twice."""
    first_name, first = reports[0]
    for name, report in reports[1:]:
        if report.profile.name != first.profile.name:
            raise UsageError(
                f"{name} is a report of profile {report.profile.name!r}, {first_name} of "
                f"{first.profile.name!r}",
                "merge only the stage folders of one profile",
            )
        if report.profile.sha256 != first.profile.sha256:
            raise UsageError(
                f"{name} and {first_name} ran different versions of profile {first.profile.name!r} (sha256 "
                f"{report.profile.sha256[:12]} vs {first.profile.sha256[:12]}: another file or other --set)",
                "run every stage with the same profile and the same --set options",
            )
    targets = {r.target: n for n, r in reports if r.target is not None}
    if len(targets) > 1:
        (one, a), (two, b) = list(targets.items())[:2]
        raise UsageError(
            f"{a} verified {one}, {b} verified {two}", "merge only the stage folders of one target"
        )
    seen: dict[tuple[str, bool], str] = {}
    for name, report in reports:
        for result in report.results:
            other = seen.setdefault((result.label, is_scan_stage(report)), name)
            if other != name:
                raise UsageError(
                    f"{other} and {name} both hold a result of {result.label}",
                    "merge the folders of different stages (verify, scan, load), each once",
                )
    if sum(1 for _, r in reports if r.load is not None) > 1:
        raise UsageError("more than one folder holds load statistics", "merge one load stage's folder")


def _waivers(stages: Sequence[Report]) -> tuple[WaiverStatus, ...]:
    """Each profile waiver's state over every stage (each stage lists the profile's waivers in order)."""
    merged: list[WaiverStatus] = []
    for index, first in enumerate(stages[0].waivers):
        states = [r.waivers[index] for r in stages if index < len(r.waivers)]
        best = max(states, key=lambda w: _WAIVER_RANK[w.state])
        covered = tuple(dict.fromkeys(label for w in states for label in w.covered))
        merged.append(first.model_copy(update={"state": best.state, "covered": covered}))
    return tuple(merged)


def _run_info(stages: Sequence[Report], command: str) -> RunInfo:
    started = min(r.run.started_at for r in stages)
    finished = max(r.run.finished_at for r in stages)
    versions: dict[str, str] = {}
    for report in stages:
        versions.update(report.run.tool_versions)
    return RunInfo(
        command=command,
        started_at=started,
        finished_at=finished,
        duration_s=round((finished - started).total_seconds(), 3),
        process_wall_s=_sum_wall(stages),
        host=stages[0].run.host,
        tool_versions=versions,
        suites=tuple(sorted({s for r in stages for s in r.run.suites})),
        infra=next((r.run.infra for r in stages if r.run.infra), None),
        scan_root=next((r.run.scan_root for r in stages if r.run.scan_root), None),
    )


def _carried(name: str, stages: Sequence[Report]) -> Any:
    values = [getattr(r, name) for r in stages]
    if all(isinstance(v, tuple) for v in values):
        return tuple(dict.fromkeys(item for v in values for item in v))
    return next((v for v in values if v is not None), values[0])


def merge_reports(stages: Sequence[Report], command: str) -> Report:
    """The one report of ``stages`` (the reports of one profile's stages, checked by
    :func:`refuse_mismatch`), recorded as run by ``command``. Interrupted if any stage was."""
    stages = _scan_first(stages)
    kept: dict[str, CheckResult] = {}
    for report in stages:
        for result in report.results:
            kept.setdefault(result.label, result)
    results = tuple(kept.values())
    claims = rejudge_claims([r.claims for r in stages], results)
    controls = rejudge_controls([r.controls for r in stages], results)
    waivers = _waivers(stages)
    fields: dict[str, Any] = {
        name: _carried(name, stages) for name in Report.model_fields if name not in _MERGED
    }
    report = Report(
        run=_run_info(stages, command),
        profile=stages[0].profile,
        target=next((r.target for r in stages if r.target is not None), None),
        summary=summarize(results, waivers, claims, controls),
        claims=claims,
        controls=controls,
        results=results,
        waivers=waivers,
        **fields,
    )
    stopped = next((r.run.signal for r in stages if r.run.interrupted), None)
    if stopped is not None or any(r.run.interrupted for r in stages):
        report = mark_interrupted(report, signal.Signals.__members__.get(stopped or "", signal.SIGINT))
    return report


def _sum_wall(stages: Sequence[Report]) -> float | None:
    """The stages' process wall times added up (each stage is a process of its own); null if one lacks it."""
    walls = [r.run.process_wall_s for r in stages]
    return None if any(w is None for w in walls) else round(sum(w for w in walls if w is not None), 3)
