"""Property-based round trips: profile → YAML → profile, report → JSON → report (load statistics too)."""

from __future__ import annotations

import datetime as dt
import tempfile
from pathlib import Path
from typing import Any

import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from stackcheck.catalog import REGISTRY
from stackcheck.load.plan import build_plan
from stackcheck.load.recorder import Recorder
from stackcheck.load.stats import GeneratorProcess, LoadStats, build_stats
from stackcheck.outcomes import CheckResult, ErrorReason, Evidence, Status
from stackcheck.profile import Profile, load_profile
from stackcheck.report import ProfileInfo, Report, RunInfo
from stackcheck.report.model import summarize
from stackcheck.waivers import apply_waivers

text = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), min_size=1, max_size=20
)
paths = st.from_regex(r"/[a-z0-9_/.-]{0,15}", fullmatch=True)
pos_float = st.floats(min_value=0.5, max_value=1e6, allow_nan=False)
dates = st.dates(min_value=dt.date(2020, 1, 1), max_value=dt.date(2035, 12, 31))

health = st.fixed_dictionaries(
    {},
    optional={
        "live": st.none() | paths,
        "ready": st.none() | paths,
        "startup": st.none() | paths,
        "extra": st.lists(paths, max_size=3),
        "max_latency_ms": st.none() | pos_float,
        "samples": st.integers(1, 1000),
    },
)
sections: dict[str, st.SearchStrategy[Any]] = {
    "health": health,
    "rate_limit": st.fixed_dictionaries(
        {"requests": st.integers(1, 10**6)},
        optional={
            "per_seconds": st.integers(1, 3600),
            "scope": st.sampled_from(["ip", "global"]),
            "path": paths,
        },
    ),
    "tls": st.fixed_dictionaries(
        {},
        optional={"min_version": st.sampled_from(["1.2", "1.3"]), "cert_min_days_left": st.integers(0, 400)},
    ),
    "postgres": st.fixed_dictionaries(
        {},
        optional={
            "version": st.sampled_from([">=16", "16", ">=15,<18", "~=16.2"]),
            "extensions": st.lists(
                st.sampled_from(["vector", "timescaledb", "pg_stat_statements"]), unique=True
            ),
            "settings": st.dictionaries(
                st.from_regex(r"[a-z_]{1,12}", fullmatch=True),
                st.integers(0, 10**6) | st.sampled_from(["256MB", "on", "1GB"]),
            ),
            "require_ssl": st.booleans(),
        },
    ),
    "slo": st.fixed_dictionaries({}, optional={"p95_ms": pos_float, "error_ratio": st.floats(0, 1)}),
}
waivers = st.lists(
    st.fixed_dictionaries(
        {"check": st.sampled_from(sorted(REGISTRY)), "reason": text, "owner": text, "expires": dates}
    ),
    max_size=3,
)
profiles = st.fixed_dictionaries({"name": text}, optional={**sections, "waivers": waivers})


@settings(max_examples=60, deadline=None)
@given(profiles)
def test_profile_survives_yaml_round_trip(data: dict[str, Any]) -> None:
    profile = Profile.model_validate(data)
    dumped = profile.model_dump(mode="json")  # nulls kept: `live: null` means "no endpoint", not the default
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "p.yaml"
        path.write_text(yaml.safe_dump(dumped, allow_unicode=True))
        loaded = load_profile(path)
    assert loaded.profile == profile
    assert Profile.model_validate(profile.model_dump()) == profile


def _result_with(status: Status) -> st.SearchStrategy[CheckResult]:
    return st.builds(
        CheckResult,
        id=st.sampled_from(sorted(REGISTRY)),
        subject=st.none() | paths,
        status=st.just(status),
        severity=st.sampled_from(["high", "low"]),
        title=text,
        suite=st.just("health"),
        message=text,
        evidence=st.builds(
            Evidence,
            expected=st.none() | st.integers() | text,
            observed=st.none() | pos_float | text,
            unit=st.none() | st.just("ms"),
        ),
        duration_s=st.floats(0, 100, allow_nan=False),
        error_reason=st.sampled_from(list(ErrorReason)) if status is Status.ERROR else st.none(),
    )


results = st.sampled_from(list(Status)).flatmap(_result_with)


@settings(max_examples=60, deadline=None)
@given(st.lists(results, max_size=8), waivers)
def test_report_survives_json_round_trip(items: list[CheckResult], raw_waivers: list[dict[str, Any]]) -> None:
    profile = Profile.model_validate({"name": "p", "waivers": raw_waivers})
    applied, states = apply_waivers(items, list(profile.waivers), set(REGISTRY), dt.date(2026, 11, 23))
    now = dt.datetime(2026, 11, 23, tzinfo=dt.UTC)
    report = Report(
        run=RunInfo(command="c", started_at=now, finished_at=now, duration_s=0.0, host="h", tool_versions={}),
        profile=ProfileInfo(name="p", path="p.yaml", files=(), sha256="0" * 64),
        target=None,
        summary=summarize(tuple(applied), tuple(states)),
        results=tuple(applied),
        waivers=tuple(states),
    )
    assert Report.from_json(report.to_json()) == report
    assert report.summary.total == len(items)
    # Waivers never touch anything but failures.
    for before, after in zip(items, applied, strict=True):
        assert after.status == before.status or (
            before.status is Status.FAILED and after.status is Status.WAIVED
        )


T0 = 1_800_000_000.0
# One request: (endpoint, latency ms, service ms, failed, seconds after the start).
requests = st.tuples(
    st.sampled_from(["GET /", "GET /api", "POST /api"]),
    st.floats(0.01, 5000, allow_nan=False),
    st.floats(0.01, 5000, allow_nan=False),
    st.booleans(),
    st.floats(0, 9.99, allow_nan=False),
)


@settings(max_examples=40, deadline=None)
@given(
    st.lists(requests, max_size=200),
    st.sampled_from(["paced", "closed"]),
    st.booleans(),
    st.floats(0, 150, allow_nan=False),
)
def test_load_statistics_survive_the_report_json_round_trip(
    sent: list[tuple[str, float, float, bool, float]], model: str, complete: bool, cpu_percent: float
) -> None:
    profile = Profile.model_validate(
        {"name": "p", "slo": {"p95_ms": 100}, "load": {"users": 4, "duration_s": 10, "model": model}}
    )
    plan = build_plan(profile, "http://127.0.0.1:1", workers=1, stats_path="/dev/null")
    rec = Recorder()
    for name, latency, service, failed, at in sent:
        rec.record(
            name,
            name.split()[0],
            latency,
            min(service, latency),
            0.0,
            "HTTP 500" if failed else None,
            now=T0 + at,
        )
    worker = GeneratorProcess(
        id="worker-1", role="worker", requests=len(sent), cpu_s=1.0, wall_s=10.0, cpu_percent=cpu_percent
    )
    stats = build_stats(
        plan,
        rec,
        started=T0,
        ended=T0 + 10,
        steady_at=T0 + 1,
        users={int(T0): 4},
        generator=[worker],
        complete=complete,
    )
    now = dt.datetime(2026, 11, 23, tzinfo=dt.UTC)
    report = Report(
        run=RunInfo(command="c", started_at=now, finished_at=now, duration_s=0.0, host="h", tool_versions={}),
        profile=ProfileInfo(name="p", path="p.yaml", files=(), sha256="0" * 64),
        target="http://127.0.0.1:1",
        summary=summarize((), ()),
        load=stats,
    )
    back = Report.from_json(report.to_json())
    assert back == report and back.load == stats
    assert LoadStats.model_validate_json(stats.to_json()) == stats  # what the Locust master writes
