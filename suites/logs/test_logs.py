"""Suite ``logs``: the service's own log stream, captured for the run, judged line by line.

One bounded window (:func:`stackcheck.probes.logrun.exercise`, at most 12 GETs, ``logs.max_bytes`` bytes,
``logs.settle_s`` of waiting) feeds every check: from ``logs.file``, ``logs.command``, or the stdout/stderr
of the service stackcheck launched (``service:`` and no target URL). No line at all is ``error``.
Evidence names line numbers, field names and kinds of data; log text only masked
(:func:`stackcheck.probes.logs.mask`).
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from stackcheck.catalog import logs as checks
from stackcheck.probes.logcapture import CommandLog, FileLog, LogSource, ServiceOutput
from stackcheck.probes.logrun import LogRun, exercise
from stackcheck.probes.logs import (
    below_level,
    correlation_hits,
    leaks,
    level_counts,
    level_of,
    missing_fields,
    sample,
)
from stackcheck.testing import (
    CouldNotCheck,
    ErrorReason,
    EvidenceRecorder,
    HttpProbe,
    LogsSection,
    Profile,
    Settings,
    loaded_profile,
    require,
    resolve_target,
)


def _paths(profile: Profile, section: LogsSection) -> list[str]:
    if section.paths:
        return list(dict.fromkeys(section.paths))
    health = profile.health
    extra = [p for p in (health.live, health.ready, health.startup) if p] if health else []
    return list(dict.fromkeys(["/", *extra]))


def _source(
    request: pytest.FixtureRequest, section: LogsSection, profile: Profile, settings: Settings
) -> LogSource:
    base = loaded_profile(request.config).path.resolve().parent
    if section.file is not None:
        path = Path(section.file)
        return FileLog(path if path.is_absolute() else base / path)
    if section.command is not None:
        return CommandLog(section.command, base, settings.environ)
    if profile.service is not None and resolve_target(settings.target, profile) is None:
        return ServiceOutput(request.getfixturevalue("launched_service"))
    raise CouldNotCheck(
        "logs: no log stream in reach: set logs.file or logs.command (the service at the target URL was "
        "not started by stackcheck, so its stdout is not in reach)",
        ErrorReason.MISCONFIGURED,
    )


@pytest.fixture(scope="module")
def logs(profile: Profile) -> LogsSection:
    """The profile's ``logs`` section (the plugin already skipped the check when it is absent)."""
    return require(profile.logs, "profile has no `logs` section")


@pytest.fixture(scope="module")
def log_run(
    request: pytest.FixtureRequest, logs: LogsSection, profile: Profile, settings: Settings
) -> LogRun:
    """The window every check of the suite judges (captured once per run)."""
    http: HttpProbe = request.getfixturevalue("http")  # first: it launches the service when needed
    return exercise(_source(request, logs, profile, settings), http, logs, _paths(profile, logs))


@pytest.mark.check(checks.STRUCTURED)
def test_every_log_line_is_json_with_the_required_fields(
    log_run: LogRun, logs: LogsSection, evidence: EvidenceRecorder
) -> None:
    lines = log_run.judged_lines()
    missing = {line.number: missing_fields(line, logs) for line in lines}
    bad = [line for line in lines if missing[line.number]]
    text_lines = [line for line in bad if line.record is None]
    incomplete = [line for line in bad if line.record is not None]
    by_field = Counter(f for line in incomplete for f in missing[line.number])
    evidence.record(
        expected=0,
        observed=len(bad),
        op="<=",
        unit="lines",
        required_fields=list(logs.required_fields),
        non_json_lines=len(text_lines),
        non_json_sample=sample(text_lines, log_run.planted),
        lines_missing_fields=dict(by_field),
        incomplete_sample=[
            f"line {line.number}: keys {sorted(line.record or {})[:12]}" for line in incomplete[:5]
        ],
        **log_run.facts(),
    )
    evidence.message = f"{len(lines)} line(s), each one JSON object with {', '.join(logs.required_fields)}"
    assert not text_lines, (
        f"{len(text_lines)} of {len(lines)} log line(s) are not JSON (first: line {text_lines[0].number})"
    )
    assert not incomplete, (
        f"{len(incomplete)} of {len(lines)} JSON line(s) lack a required field: "
        + ", ".join(f"{name} ({count})" for name, count in by_field.most_common())
    )


@pytest.mark.check(checks.CORRELATION)  # spec.requires: skipped without logs.correlation_header
def test_the_correlation_header_reaches_a_log_line(
    log_run: LogRun, logs: LogsSection, evidence: EvidenceRecorder
) -> None:
    lines = log_run.judged_lines()
    assert log_run.correlation_id is not None
    in_field, elsewhere = correlation_hits(lines, log_run.correlation_id, logs)
    evidence.record(
        expected=">= 1",
        observed=len(in_field),
        unit="lines",
        header=logs.correlation_header,
        field_keys=list(logs.aliases("correlation_id")),
        lines_with_id_in_field=in_field[:10],
        lines_with_id_elsewhere=elsewhere[:10],
        **log_run.facts(),
    )
    evidence.message = (
        f"the id sent in {logs.correlation_header} is the correlation_id of {len(in_field)} line(s)"
    )
    assert in_field or not elsewhere, (
        f"the id sent in {logs.correlation_header} appears in line {elsewhere[0]}, but under none of the "
        f"correlation_id keys ({', '.join(logs.aliases('correlation_id'))})"
    )
    assert in_field, f"no log line carries the id sent in {logs.correlation_header}"


@pytest.mark.check(checks.PII)
def test_planted_personal_data_never_appears_in_clear(
    log_run: LogRun, logs: LogsSection, evidence: EvidenceRecorder
) -> None:
    lines = log_run.judged_lines()
    found = leaks(lines, log_run.planted)
    evidence.record(
        expected=[],
        observed=sorted(found),
        op="==",
        unit="kinds leaked",
        planted=[p.kind for p in log_run.planted],
        found_in={kind: [f"line {n}" for n in numbers[:5]] for kind, numbers in found.items()},
        **log_run.facts(),
    )
    evidence.message = f"none of {', '.join(p.kind for p in log_run.planted)} appears in {len(lines)} line(s)"
    assert not found, (
        "planted "
        + ", ".join(f"{kind} (line {numbers[0]})" for kind, numbers in found.items())
        + " appeared in the log in clear"
    )


@pytest.mark.check(checks.LEVEL)  # spec.requires: skipped without logs.min_level
def test_no_log_line_is_below_the_minimum_level(
    log_run: LogRun, logs: LogsSection, evidence: EvidenceRecorder
) -> None:
    lines = log_run.judged_lines()
    assert logs.min_level is not None
    below = below_level(lines, logs, logs.min_level)
    counts = level_counts(lines, logs)
    if counts.get("unknown", 0) == len(lines):
        raise CouldNotCheck(
            f"none of the {len(lines)} log line(s) names a level (keys {', '.join(logs.aliases('level'))})",
            ErrorReason.INCONCLUSIVE,
        )
    evidence.record(
        expected=0,
        observed=len(below),
        op="<=",
        unit="lines",
        min_level=logs.min_level,
        lines_by_level=counts,
        below_sample=sample(below, log_run.planted),
        **log_run.facts(),
    )
    evidence.message = f"{len(lines)} line(s), none below {logs.min_level}"
    assert not below, (
        f"{len(below)} log line(s) below {logs.min_level} (first: line {below[0].number}, "
        f"{level_of(below[0], logs)})"
    )
