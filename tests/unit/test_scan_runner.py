"""The scanner runner and tool locator with real (tiny) processes: concurrency, failures, timeouts."""

from __future__ import annotations

import itertools
import os
import sys
import time
from pathlib import Path

import pytest

from stackcheck._exceptions import CouldNotCheck
from stackcheck.scan import bandit, checkov
from stackcheck.scan.checkov import validate_policies
from stackcheck.scan.runner import Job, JobResult, run_jobs, stderr_tail
from stackcheck.scan.toolcache import locate
from stackcheck.settings import Settings

ENV = {"PATH": os.defpath}


def _py(code: str) -> tuple[str, ...]:
    return (sys.executable, "-c", code)


def test_jobs_run_concurrently() -> None:
    jobs = [Job(f"sleep{i}", "sleep", _py("import time; time.sleep(0.5)")) for i in range(4)]
    start = time.monotonic()
    results = run_jobs(jobs, ENV)
    elapsed = time.monotonic() - start
    assert all(r.failure is None for r in results)
    assert elapsed < sum(r.duration_s for r in results)  # overlapped, whatever the machine's speed


def test_unexpected_exit_code_reports_the_stderr_tail() -> None:
    (r,) = run_jobs([Job("x", "tool", _py("import sys; print('a\\nb', file=sys.stderr); sys.exit(2)"))], ENV)
    assert r.failure == "tool exited with code 2: a | b"


def test_missing_executable_and_timeout_are_failures(tmp_path: Path) -> None:
    missing, slow = run_jobs(
        [
            Job("m", "ghost", (str(tmp_path / "ghost"),)),
            Job("s", "slow", _py("import time; time.sleep(5)"), timeout_s=0.3),
        ],
        ENV,
    )
    assert missing.failure is not None and missing.failure.startswith("cannot start ghost")
    assert slow.failure == "slow did not finish within 0.3 s"


def test_missing_report_file_is_a_failure(tmp_path: Path) -> None:
    (r,) = run_jobs([Job("x", "tool", _py("pass"), output=tmp_path / "out.json")], ENV)
    assert r.failure is not None and "wrote no report" in r.failure


def test_stderr_tail_keeps_the_last_lines() -> None:
    assert stderr_tail("\n".join(str(i) for i in range(20)), lines=2) == "18 | 19"


def test_locate_prefers_the_env_var_then_the_cache_then_path(tmp_path: Path) -> None:
    exe = tmp_path / "checkov"
    exe.write_text("#!/bin/sh\n")
    exe.chmod(0o755)
    env = {"STACKCHECK_TOOLS_DIR": str(tmp_path / "cache"), "PATH": str(tmp_path)}
    assert locate(checkov.TOOL, Settings.from_environ(env)) == exe  # from PATH
    cached = tmp_path / "cache" / "checkov" / "bin" / "checkov"
    cached.parent.mkdir(parents=True)
    cached.write_text("#!/bin/sh\n")
    cached.chmod(0o755)
    assert locate(checkov.TOOL, Settings.from_environ(env)) == cached
    assert locate(checkov.TOOL, Settings.from_environ({**env, "STACKCHECK_CHECKOV": str(exe)})) == exe
    nowhere = Settings.from_environ({"STACKCHECK_TOOLS_DIR": str(tmp_path / "none"), "PATH": ""})
    with pytest.raises(CouldNotCheck, match=r"python -m stackcheck\.scan\.tools install bandit"):
        locate(bandit.TOOL, nowhere)


def test_policy_validation_names_broken_files(tmp_path: Path) -> None:
    (tmp_path / "ok.yaml").write_text(
        "metadata: {id: A, name: n, category: GENERAL_SECURITY}\ndefinition: {}\n"
    )
    (tmp_path / "bad.yaml").write_text("metadata: {id: B}\n")
    (tmp_path / "bad.py").write_text("def f(:\n")
    problems = validate_policies(tmp_path)
    assert len(problems) == 2
    assert problems[0].startswith("bad.py:1") and "bad.yaml: policy is missing metadata.name" in problems[1]


def test_jobs_get_the_environment_they_are_given_plus_their_own(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ONLY_IN_THIS_PROCESS", "leak")
    code = "import os; print(*(os.environ.get(k) for k in ('GIVEN', 'OWN', 'ONLY_IN_THIS_PROCESS')))"
    (r,) = run_jobs([Job("env", "tool", _py(code), env={"OWN": "job"})], {**ENV, "GIVEN": "run"})
    assert r.failure is None and r.stdout.split() == ["run", "job", "None"]


def test_jobs_sharing_an_exclusive_key_never_overlap(tmp_path: Path) -> None:
    code = "import sys, time; t = time.time(); time.sleep(0.3); print(t, time.time())"
    jobs = [Job(f"j{i}", "tool", _py(code), exclusive="one cache") for i in range(2)]
    jobs.append(Job("free", "tool", _py(code)))
    first, second, free = run_jobs(jobs, ENV, max_workers=3)
    spans = sorted(tuple(map(float, r.stdout.split())) for r in (first, second))
    assert spans[0][1] <= spans[1][0], spans  # the second started after the first ended
    assert all(r.failure is None for r in (first, second, free))


def _stamped(path: Path, seconds: float) -> tuple[str, ...]:
    """A job that records when it ran (start and end, monotonic clock shared by the machine's processes)."""
    code = (
        "import time, sys; s = time.monotonic(); time.sleep(float(sys.argv[2])); "
        "open(sys.argv[1], 'w').write(f'{s} {time.monotonic()}')"
    )
    return (sys.executable, "-c", code, str(path), str(seconds))


def _spans(tmp_path: Path, names: list[str]) -> dict[str, tuple[float, float]]:
    out = {}
    for name in names:
        start, end = (tmp_path / name).read_text().split()
        out[name] = (float(start), float(end))
    return out


def test_a_core_budget_never_runs_more_cores_than_it_has(tmp_path: Path) -> None:
    jobs = [Job(f"one{i}", "t", _stamped(tmp_path / f"one{i}", 0.3)) for i in range(3)]
    jobs.append(Job("wide", "t", _stamped(tmp_path / "wide", 0.1), cores=2))
    results = run_jobs(jobs, ENV, cores=2)
    assert all(r.failure is None for r in results)
    spans = _spans(tmp_path, [j.name for j in jobs])
    wide_start, wide_end = spans["wide"]
    # The two-core job ran with no single-core job beside it: it waited for both cores.
    assert all(end <= wide_start or start >= wide_end for n, (start, end) in spans.items() if n != "wide")
    # Never three single-core jobs at once.
    points = sorted(spans[f"one{i}"][0] for i in range(3))
    assert sum(1 for i in range(3) if spans[f"one{i}"][0] <= points[-1] < spans[f"one{i}"][1]) <= 2


def test_a_job_wider_than_the_budget_still_runs(tmp_path: Path) -> None:
    (r,) = run_jobs([Job("w", "t", _py("pass"), cores=8)], ENV, cores=2)
    assert r.failure is None


def test_replay_answers_a_job_without_running_it(tmp_path: Path) -> None:
    job = Job("x", "t", (str(tmp_path / "ghost"),))
    known = JobResult(job, 0, "out", "", 1.0, None, None, cached=True)
    (r,) = run_jobs([job], ENV, cores=1, replay=lambda j: known)
    assert r.cached and r.stdout == "out"


def test_an_elastic_job_starts_on_the_first_free_core(tmp_path: Path) -> None:
    jobs = [
        Job("long", "t", _stamped(tmp_path / "long", 1.0)),
        Job("short", "t", _stamped(tmp_path / "short", 0.1)),
        Job("wide", "t", _stamped(tmp_path / "wide", 0.1), cores=2, elastic=True),
    ]
    assert all(r.failure is None for r in run_jobs(jobs, ENV, cores=2))
    spans = _spans(tmp_path, ["long", "short", "wide"])
    assert spans["wide"][0] < spans["long"][1]  # it did not wait for the long one to end


def test_exclusive_jobs_within_a_budget_run_one_after_another(tmp_path: Path) -> None:
    jobs = [Job(f"x{i}", "t", _stamped(tmp_path / f"x{i}", 0.2), exclusive="cache") for i in range(3)]
    assert all(r.failure is None for r in run_jobs(jobs, ENV, cores=2))
    spans = sorted(_spans(tmp_path, [j.name for j in jobs]).values())
    assert all(a[1] <= b[0] for a, b in itertools.pairwise(spans))


def test_a_scanner_s_output_is_kept_within_bounds_head_and_tail(monkeypatch: pytest.MonkeyPatch) -> None:
    from stackcheck.scan import runner

    monkeypatch.setattr(runner, "MAX_STREAM_BYTES", 1000)
    monkeypatch.setattr(runner, "TAIL_BYTES", 100)
    code = (
        "import sys; sys.stdout.write('H' * 900 + 'M' * 50_000 + 'T' * 90 + 'END'); "
        "sys.stderr.write('x' * 50_000 + '\\r\\nwhy it failed\\n'); sys.exit(3)"
    )
    (r,) = run_jobs([Job("big", "tool", _py(code), ok_codes=frozenset({3}))], ENV)
    assert r.failure is None and r.returncode == 3
    assert r.stdout.startswith("H" * 900 + "\n[stackcheck: 49,993 bytes of stdout left out]\n")
    assert r.stdout.endswith("M" * 7 + "T" * 90 + "END") and len(r.stdout) < 1100
    assert r.stderr.endswith("\nwhy it failed\n") and "\r" not in r.stderr  # read as a text pipe reads it


def test_a_report_file_over_the_bound_is_a_failure_not_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from stackcheck.scan import runner

    monkeypatch.setattr(runner, "MAX_REPORT_BYTES", 1000)
    report = tmp_path / "out.json"
    code = f"open({str(report)!r}, 'w').write('[' + '0,' * 2000 + '0]')"
    (r,) = run_jobs([Job("big", "tool", _py(code), output=report)], ENV)
    assert r.output is None and r.failure == "tool wrote a report of 4,003 bytes (out.json), over 1,000"
