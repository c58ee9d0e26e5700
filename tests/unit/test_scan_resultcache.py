"""The scan's result cache: what its key covers, and that it replays only clean runs."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from stackcheck.scan.resultcache import ResultCache, default_cache_dir, tool_identity
from stackcheck.scan.runner import Job, JobResult
from stackcheck.scan.tracked import TrackedFiles


def _cache(
    tmp_path: Path, tools: dict[str, str] | None = None, env: dict[str, str] | None = None, work: str = "work"
) -> ResultCache:
    (tmp_path / work).mkdir(exist_ok=True)
    return ResultCache(tmp_path / "cache", tmp_path / work, env or {}, tools or {"t": "1.0"}, TrackedFiles())


def _job(tmp_path: Path, *extra: str, work: str = "work") -> Job:
    src = tmp_path / "src"
    src.mkdir(exist_ok=True)
    if not (src / "a.py").exists():
        (src / "a.py").write_text("x = 1\n")
    out = tmp_path / work / "out.json"
    return Job("t", "t", ("tool", "--out", str(out), *extra), output=out, inputs=(src,))


def _result(job: Job, failure: str | None = None) -> JobResult:
    return JobResult(job, 0, "stdout", "stderr", 3.0, '{"file": "' + str(job.output) + '"}', failure)


def test_a_stored_result_is_replayed_in_the_next_runs_scratch_folder(tmp_path: Path) -> None:
    _cache(tmp_path).store(_result(_job(tmp_path)))
    job = _job(tmp_path, work="work2")  # the next run: same inputs, another scratch folder
    replayed = _cache(tmp_path, work="work2").replay(job)
    assert replayed is not None and replayed.cached and replayed.stdout == "stdout"
    assert replayed.output == '{"file": "' + str(tmp_path / "work2" / "out.json") + '"}'


def test_the_key_changes_with_inputs_tool_flags_and_steering_environment(tmp_path: Path) -> None:
    job = _job(tmp_path)
    base = _cache(tmp_path).key(job)
    assert base is not None and base == _cache(tmp_path).key(job)
    assert _cache(tmp_path, tools={"t": "2.0"}).key(job) != base  # a tool version change
    assert _cache(tmp_path).key(_job(tmp_path, "--skip-check", "X")) != base  # a flag
    assert _cache(tmp_path, env={"CHECKOV_FOO": "1"}).key(job) != base  # a variable steering a tool
    assert _cache(tmp_path, env={"GITHUB_RUN_ID": "7"}).key(job) == base  # one that does not
    (tmp_path / "src" / "a.py").write_text("x = 2\n")
    assert _cache(tmp_path).key(job) != base  # an input file's content


def test_failures_and_jobs_without_inputs_are_never_cached(tmp_path: Path) -> None:
    cache = _cache(tmp_path)
    job = _job(tmp_path)
    cache.store(_result(job, failure="t exited with code 2"))
    assert cache.replay(job) is None
    bare = Job("t", "t", ("tool",))
    assert cache.key(bare) is None
    unknown = Job("u", "u", ("tool",), inputs=(tmp_path / "src",))
    assert cache.key(unknown) is None


def test_a_reinstalled_tool_is_another_tool(tmp_path: Path) -> None:
    exe = tmp_path / "tool"
    exe.write_text("#!/bin/sh\n")
    first = tool_identity("1.0", exe)
    exe.write_text("#!/bin/sh\n# reinstalled\n")
    assert tool_identity("1.0", exe) != first


def test_the_cache_lives_under_the_users_cache_folder() -> None:
    assert default_cache_dir({"XDG_CACHE_HOME": "/c"}) == Path("/c/stackcheck/scan")
    assert default_cache_dir({"STACKCHECK_SCAN_CACHE": "/x", "XDG_CACHE_HOME": "/c"}) == Path("/x")


def test_a_torn_or_foreign_entry_is_a_miss_and_the_tool_runs(tmp_path: Path) -> None:
    cache = _cache(tmp_path)
    job = _job(tmp_path)
    cache.store(_result(job))
    entry = next((tmp_path / "cache").glob("*.json"))
    for text in (
        "{",
        "[]",
        '{"returncode": 0}',
        '{"returncode": 0, "stdout": 1, "stderr": "", "output": null}',
    ):
        entry.write_text(text)
        assert cache.replay(job) is None, text


def test_the_folder_is_bounded_in_entries_and_bytes_and_an_oversized_output_is_not_kept(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from stackcheck.scan import resultcache

    monkeypatch.setattr(resultcache, "MAX_ENTRIES", 3)
    cache = _cache(tmp_path)
    jobs = [_job(tmp_path, f"--n={i}") for i in range(5)]
    for age, job in enumerate(jobs):
        cache.store(_result(job))
        # Distinct ages (a file system's clock ticks coarser than these stores): each older than the next.
        os.utime(tmp_path / "cache" / f"{cache.key(job)}.json", (1000 + age, 1000 + age))
    assert len(list((tmp_path / "cache").glob("*.json"))) == 3
    assert [cache.replay(job) is not None for job in jobs] == [False, False, True, True, True]
    monkeypatch.setattr(resultcache, "MAX_ENTRY_BYTES", 10)
    big = _job(tmp_path, "--big")
    cache.store(_result(big))
    assert cache.replay(big) is None
