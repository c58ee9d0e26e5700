"""``stackcheck load``: a bounded Locust run against the target, gated on the profile's ``slo:``.

Exit codes as for ``verify``: 0 every gated check passed, 1 one failed, 2 usage error (nothing was sent),
3 none failed but one could not be decided (unreachable target, Locust missing, generator saturated).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Mapping
from contextlib import suppress
from pathlib import Path

from pydantic import ValidationError

from stackcheck import __version__, interrupt
from stackcheck._exceptions import CouldNotCheck, ErrorReason, UsageError
from stackcheck.catalog import REGISTRY
from stackcheck.claims import apply_claims
from stackcheck.collector import tool_versions
from stackcheck.controls import apply_controls
from stackcheck.extras import missing_message
from stackcheck.load.args import DESCRIPTION, HELP, add_arguments
from stackcheck.load.gate import LOAD_CHECK_IDS, evaluate, not_run
from stackcheck.load.plan import LoadPlan, build_plan
from stackcheck.load.request import expanded_headers, missing_references, secret_header_values
from stackcheck.load.runner import LocustRun, free_port, locust_version
from stackcheck.load.safety import require_loopback
from stackcheck.load.stats import LoadStats
from stackcheck.locations import locate_results
from stackcheck.outcomes import CheckResult
from stackcheck.probes.http import HttpProbe
from stackcheck.profile import LoadedProfile, load_profile
from stackcheck.redact import Redactor
from stackcheck.report import Report, render_console, result_line, shown_live, write_report
from stackcheck.report.console import terminal
from stackcheck.report.folders import default_report_dir, point_latest
from stackcheck.report.model import ProfileInfo, RunInfo, mark_interrupted, summarize
from stackcheck.report.publish import publish_log, publishable, run_redactor
from stackcheck.settings import Settings, resolve_target
from stackcheck.waivers import apply_waivers

__all__ = ["DESCRIPTION", "HELP", "add_arguments", "run"]


def _host_port(text: str, option: str) -> tuple[str, int]:
    match = re.fullmatch(r"\[?([^\]]+?)\]?:(\d{1,5})", text)
    if not match or not 0 < int(match[2]) < 65536:
        raise UsageError(f"{option} {text!r} is not HOST:PORT", f"e.g. {option} 127.0.0.1:5557")
    return match[1], int(match[2])


def _target(args: argparse.Namespace, loaded: LoadedProfile) -> str:
    target = resolve_target(args.target, loaded.profile)
    if not target:
        raise UsageError(
            "no target URL to load", f"pass --target URL or set target.base_url in {args.profile}"
        )
    require_loopback(target, args.allow_remote)
    return str(target)


def _workers(args: argparse.Namespace, loaded: LoadedProfile) -> int:
    if args.processes is not None:
        if not 0 <= args.processes <= 256:
            raise UsageError(f"--processes {args.processes} is out of range", "use 0 to 256")
        return int(args.processes)
    load = loaded.profile.load
    if load is not None and load.processes is not None:
        return load.processes
    return os.cpu_count() or 1


def _command_line(args: argparse.Namespace) -> str:
    argv = ["stackcheck", "load", "--profile", args.profile]
    if args.target:
        argv += ["--target", args.target]
    for option in args.overrides:
        argv += ["--set", option]
    for flag, value in (("--processes", args.processes), ("--expect-workers", args.expect_workers or None)):
        if value is not None:
            argv += [flag, str(value)]
    if args.allow_remote:
        argv.append("--allow-remote")
    return Redactor().command(argv)


def _require_references(plan: LoadPlan, environ: Mapping[str, str]) -> None:
    """Refuse, before anything is sent, a header whose ``${VAR}`` is not set in the environment."""
    by_key = {f"load.endpoints[{i}]": dict(e.headers) for i, e in enumerate(plan.endpoints)}
    missing = missing_references(by_key, environ)
    if missing:
        raise UsageError(missing, "export it before the run; its value is redacted in every artifact")
    # Every Locust process builds these bytes at its start: a value it would refuse is refused here, once,
    # before anything is sent (an expanded ${VAR} with a line break, a non-Latin-1 character).
    from stackcheck.load.request import build_request

    for key, endpoint in zip(by_key, plan.endpoints, strict=True):
        try:
            build_request(
                plan.target,
                endpoint.method,
                endpoint.path,
                None,
                expanded_headers(dict(endpoint.headers), environ),
            )
        except ValueError as exc:
            raise UsageError(
                f"{key}: {exc}", "fix the header (or the variable it names) in the profile"
            ) from None


def _redactor(
    loaded: LoadedProfile, plan: LoadPlan, texts: list[str], environ: Mapping[str, str]
) -> Redactor:
    """The run's redactor, which also knows what the headers' ``${VAR}`` references expand to."""
    redactor = run_redactor(loaded.profile, {}, texts)
    for endpoint in plan.endpoints:
        redactor.add(secret_header_values(dict(endpoint.headers), environ))
    return redactor


def _preflight(plan: LoadPlan, environ: Mapping[str, str]) -> tuple[str, ErrorReason] | None:
    """One request before the load, through the bounded exchange every probe uses: an unreachable target
    is 'could not check', not a failure, and a hostile one cannot make this request read without end."""
    first = plan.endpoints[0]
    headers = expanded_headers(dict(first.headers), environ)
    if first.content_type is not None:
        headers["Content-Type"] = first.content_type
    try:
        with HttpProbe(
            plan.target, timeout_s=plan.timeout_s, verify=plan.ca_bundle or True, max_bytes=65536
        ) as p:
            # The endpoint's own request (a write endpoint's too: one more write, documented).
            p.request(first.method, first.path, content=first.body, headers=headers)
    except CouldNotCheck as exc:
        return f"target unreachable: {first.method} {plan.target}{first.path}: {exc}", exc.reason
    return None


def _load_line(stats: LoadStats) -> str:
    pcts = ", ".join(f"{k} {v:g} ms" for k, v in stats.latency_ms.percentiles.items() if v is not None)
    basis = "from the scheduled send" if stats.latency_basis == "scheduled" else "from the send"
    procs = ", ".join(f"{g.role} {g.cpu_percent:.0f}%" for g in stats.generator)
    return (
        f"load: {stats.requests} requests in {stats.wall_s:.1f} s ({stats.steady_rps:g} req/s in the steady "
        f"window), {stats.failures} failed; latency {basis}: {pcts}; generator CPU: {procs}"
    )


def _run_workers(
    args: argparse.Namespace, loaded: LoadedProfile, target: str, environ: Mapping[str, str]
) -> int:
    """``--worker-of``: Locust workers for a master elsewhere; they stop when the master ends the run."""
    host, port = _host_port(args.worker_of, "--worker-of")
    require_loopback(f"tcp://{host}:{port}", args.allow_remote, what="master")
    count = max(_workers(args, loaded), 1)
    scratch = Path(args.report_dir or Path("reports") / "out" / "worker") / f"worker-{socket.gethostname()}"
    plan = build_plan(
        loaded.profile,
        target,
        workers=count,
        stats_path=str(scratch / "unused.json"),
        base=loaded.path.parent,
    )
    _require_references(plan, environ)
    scratch.mkdir(parents=True, exist_ok=True)
    plan_path = scratch / "plan.json"
    plan_path.write_text(plan.model_dump_json(by_alias=True, indent=1), encoding="utf-8")
    print(f"stackcheck {__version__}: {count} Locust worker(s) for the master at {host}:{port}", flush=True)
    run = LocustRun(plan, plan_path, scratch, environ=environ)
    try:
        with interrupt.guard():
            run.start_workers((host, port), count)
            deadline = time.monotonic() + plan.deadline_s + 10
            for proc in run.procs:
                proc.popen.wait(timeout=max(deadline - time.monotonic(), 0.1))
    except subprocess.TimeoutExpired:
        print(f"stackcheck: error: the workers did not finish within {plan.deadline_s + 10:g} s; stopped")
        return 3
    finally:
        run.stop()
    print(f"workers finished; logs in {scratch}")
    return 0


# What a load run measured: its gated results, its statistics (if any) and the tool versions.
Measured = tuple[list[CheckResult], LoadStats | None, dict[str, str]]


def _execute(
    plan: LoadPlan,
    plan_path: Path,
    work: Path,
    master_bind: tuple[str, int] | None,
    environ: Mapping[str, str],
) -> Measured:
    version = locust_version()
    if version is None:
        message = missing_message("locust")
        return not_run(plan.slo, message, reason=ErrorReason.TOOL_MISSING), None, {}
    problem = _preflight(plan, environ)
    if problem:
        message, reason = problem
        return not_run(plan.slo, message, reason=reason), None, {"locust": version}
    # The Locust processes expand the headers' ${VAR} references from this environment.
    outcome = LocustRun(plan, plan_path, work, master_bind=master_bind, environ=environ).run()
    if outcome.stats is None:
        message = outcome.error or "no statistics"
        return not_run(plan.slo, message, reason=ErrorReason.TOOL_FAILED), None, {"locust": version}
    return evaluate(outcome.stats, plan.slo), outcome.stats, {"locust": version}


def _master_bind(args: argparse.Namespace) -> tuple[str, int] | None:
    """Where the Locust master listens for workers: None (local workers find it themselves) or HOST:PORT."""
    master_bind = _host_port(args.master_bind, "--master-bind") if args.master_bind else None
    if master_bind is not None:
        require_loopback(f"tcp://{master_bind[0]}:{master_bind[1]}", args.allow_remote, what="--master-bind")
    if args.expect_workers and master_bind is None:
        master_bind = ("127.0.0.1", 0)  # external workers need to be told where the master listens
    if master_bind is not None and master_bind[1] == 0:
        master_bind = (master_bind[0], free_port(master_bind[0]))
    return master_bind


def _write_plan(
    args: argparse.Namespace,
    loaded: LoadedProfile,
    target: str,
    work: Path,
    workers: int,
    environ: Mapping[str, str],
) -> tuple[LoadPlan, Path]:
    """The plan every Locust process reads, resolved and written to ``work/plan.json``."""
    plan = build_plan(
        loaded.profile,
        target,
        workers=workers,
        external_workers=args.expect_workers,
        stats_path=str((work / "stats.json").resolve()),
        base=loaded.path.parent,
    )
    _require_references(plan, environ)
    work.mkdir(parents=True, exist_ok=True)  # only once the plan holds: a refused run leaves nothing
    plan_path = work / "plan.json"
    plan_path.write_text(plan.model_dump_json(by_alias=True, indent=1), encoding="utf-8")
    return plan, plan_path


def _announce(
    args: argparse.Namespace,
    loaded: LoadedProfile,
    target: str,
    plan: LoadPlan,
    workers: int,
    master_bind: tuple[str, int] | None,
) -> None:
    shape = f"paced at {plan.target_rps:g} req/s" if plan.model == "paced" else "closed loop"
    procs = f"master + {workers} worker(s)" if workers or args.expect_workers else "one process"
    if args.expect_workers and master_bind is not None:
        procs += f" + {args.expect_workers} external worker(s) for {master_bind[0]}:{master_bind[1]}"
    print(
        terminal(
            f"stackcheck {__version__}: load test of {loaded.profile.name} ({args.profile}) against "
            f"{target}: {shape}, {plan.users} users, {plan.duration_s:g} s, {procs}"
        ),
        flush=True,
    )


def _report(
    args: argparse.Namespace,
    loaded: LoadedProfile,
    target: str,
    window: tuple[dt.datetime, dt.datetime],
    measured: Measured,
    redactor: Redactor,
    frameworks: tuple[str, ...] = (),
) -> Report:
    """The load stage's report: the gated results after waivers, and the statistics as ``load``."""
    started, finished = window
    results, stats, versions = measured
    profile = loaded.profile
    results, waivers = apply_waivers(
        results, list(profile.waivers), set(REGISTRY) | LOAD_CHECK_IDS, dt.date.today()
    )
    results_t, claims = apply_claims(results, profile)
    results_t = locate_results(results_t, loaded)
    controls = apply_controls(results_t, frameworks)
    from stackcheck.clock import process_wall_s

    report = Report(
        run=RunInfo(
            command=_command_line(args),
            started_at=started,
            finished_at=finished,
            duration_s=round((finished - started).total_seconds(), 3),
            process_wall_s=process_wall_s(),
            host=socket.gethostname(),
            tool_versions=tool_versions(versions),
            suites=("load",),
        ),
        profile=ProfileInfo.of(loaded),
        target=target,
        summary=summarize(results_t, tuple(waivers), claims, controls),
        claims=claims,
        controls=controls,
        results=results_t,
        waivers=tuple(waivers),
        load=stats,
    )
    return publishable(report, redactor)


def run(args: argparse.Namespace, settings: Settings) -> int:
    """Run the load stage; return the exit code (0, 1, 2 or 3; 128 + N when signal N stopped it).

    ``settings.environ`` is where the endpoints' ``${VAR}`` header references are read from.
    """
    environ = settings.environ
    loaded = load_profile(args.profile, args.overrides)
    target = _target(args, loaded)
    if args.expect_workers < 0:
        raise UsageError(f"--expect-workers {args.expect_workers} is negative", "pass 0 or more")
    if args.worker_of:
        return _run_workers(args, loaded, target, environ)
    master_bind = _master_bind(args)
    report_dir = Path(args.report_dir) if args.report_dir else default_report_dir(loaded.profile.name, "load")
    work = report_dir / "load"
    workers = _workers(args, loaded)
    plan, plan_path = _write_plan(args, loaded, target, work, workers, environ)
    _announce(args, loaded, target, plan, workers, master_bind)
    started = dt.datetime.now(dt.UTC)

    redactor = _redactor(loaded, plan, [target, *args.overrides], environ)

    def finish(measured: Measured, signum: int | None) -> Report:
        window = (started, dt.datetime.now(dt.UTC))
        report = _report(args, loaded, target, window, measured, redactor, settings.frameworks)
        report = mark_interrupted(report, signum) if signum is not None else report
        write_report(report, report_dir)
        # Locust's own logs stay in the report folder: through the same redaction and sanitising.
        for log in sorted(work.glob("*.log")):
            publish_log(log, redactor)
        return report

    # A second signal exits at once (stackcheck.interrupt): the partial report is written first.
    with interrupt.on_hard_exit(lambda: finish(_interrupted(plan, _signum()), _signum())):
        try:
            measured, signum = _execute(plan, plan_path, work, master_bind, environ), None
        except KeyboardInterrupt:  # Ctrl-C, SIGTERM or SIGHUP: LocustRun has stopped every process
            signum = _signum()
            measured = _interrupted(plan, signum)
        report = finish(measured, signum)
    if not args.report_dir and signum is None:
        point_latest(report_dir)
    if report.load is not None:
        print(_load_line(report.load))
    for result in report.results:
        if shown_live(result):  # skips are grouped by render_console, not printed twice
            print(result_line(result))
    print(render_console(report, str(report_dir)))
    if signum is not None:
        name = interrupt.signal_name(signum)
        print(f"stackcheck: interrupted by {name}; the partial report was written", file=sys.stderr)
    return report.summary.exit_code


def _signum() -> int:
    return interrupt.received() or signal.SIGINT


def _interrupted(plan: LoadPlan, signum: int) -> Measured:
    """What an interrupted load run leaves: no verdict, and the partial statistics if Locust wrote them."""
    stats: LoadStats | None = None
    with suppress(OSError, ValidationError):
        stats = LoadStats.model_validate_json(Path(plan.stats_path).read_text(encoding="utf-8"))
    message = f"interrupted by {interrupt.signal_name(signum)} before the load run ended; no verdict"
    versions = {"locust": locust_version() or "not installed"}
    return not_run(plan.slo, message, reason=ErrorReason.INTERRUPTED), stats, versions
