"""stackcheck's locustfile: the profile's weighted endpoints, paced or closed, and the SLO gate.

``stackcheck load`` runs it in processes of its own (a master and one worker per core by default) with
``--stackcheck-plan PLAN.json``, the plan resolved from the profile (``stackcheck.load.plan``). It can
be run by hand too, with the same plan::

    locust -f loadtests/locustfile.py --headless --stackcheck-plan PLAN.json -u 50 -r 25

What it does, per process:

* ``ProfileUser`` (a plain Locust ``User``) requests the plan's endpoints by weight, grouped under
  readable names — each with its method, body and headers (``${VAR}`` references expanded from this
  process's environment once, at start, and the request built once as bytes) — through the lean request
  path of :mod:`stackcheck.load.wire` (a pooled keep-alive connection, no redirects, bounded reads), and
  checks every response (status, optional body text). Locust's own ``request`` event and statistics are
  not used: the per-request work is stackcheck's recorder only.
* Paced model (default): each user sends on a fixed schedule (``users / target_rps`` apart, random
  phase) whether or not earlier responses have arrived (up to 8 in flight per user), and latency counts
  from the *scheduled* time: a stalling target cannot slow the arrivals down and hide its stall
  (coordinated omission). Each send's lag behind its schedule is recorded (by the second it was due), so
  the gate can tell a late generator from a slow target. Closed model: one request at a time per user.
* Every request is recorded in a ``Recorder`` (3-significant-digit histograms); workers ship theirs to
  the master in their regular reports and a final message; the master ends the run after
  ``duration_s``, writes the statistics JSON and gates on the profile's ``slo:`` in a ``quitting``
  listener that sets the process exit code (0 pass, 1 fail, 3 could not decide).
* A watchdog ends the process if its parent goes away or the plan's deadline passes: no run outlives
  the command that started it.
"""

from __future__ import annotations

import functools
import logging
import os
import random
import ssl
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import gevent
from gevent.pool import Pool
from locust import User, events, task
from locust.exception import StopUser
from locust.runners import MasterRunner, WorkerRunner

from stackcheck.load.gate import GENERATOR, TRANSPORT, evaluate, gate_exit_code
from stackcheck.load.histogram import Histogram
from stackcheck.load.plan import IN_FLIGHT_PER_USER, PROGRESS_PREFIX, LoadPlan, PlanEndpoint
from stackcheck.load.recorder import Recorder
from stackcheck.load.request import WireRequest, build_request, expanded_headers
from stackcheck.load.stats import GeneratorProcess, LoadStats, build_stats
from stackcheck.load.wire import Wire

PROGRESS = PROGRESS_PREFIX  # lines `stackcheck load` shows while the run goes on
FINAL_MESSAGE = "stackcheck_final"
WORKER_FINAL_WAIT_S = 15.0
TIMER_SLACK_S = 0.001
# Seconds between time.perf_counter() (what sends are scheduled and timed by) and the epoch (what the
# per-second buckets of every process are keyed by): one reading per process.
EPOCH_OFFSET = time.time() - time.perf_counter()
log = logging.getLogger("stackcheck.load")


@dataclass(frozen=True)
class _Request:
    """One endpoint of the plan, ready to send: its request's bytes (headers expanded, body included)."""

    endpoint: PlanEndpoint
    wire: WireRequest


def _prepare(target: str, endpoint: PlanEndpoint) -> _Request:
    headers = {"Accept-Encoding": "gzip, deflate", **expanded_headers(dict(endpoint.headers), os.environ)}
    if endpoint.content_type is not None:
        headers["Content-Type"] = endpoint.content_type
    wire = build_request(target, endpoint.method, endpoint.path, endpoint.body, headers)
    return _Request(endpoint, wire)


class _State:
    """This process's part of the run."""

    def __init__(self) -> None:
        self.plan: LoadPlan | None = None
        self.recorder = Recorder()
        self.sent = 0  # requests this process recorded (never drained)
        self.started: float | None = None
        self.steady_at: float | None = None
        self.ended: float | None = None
        self.users: dict[int, int] = {}
        self.generator: dict[str, GeneratorProcess] = {}
        self.finals: set[str] = set()
        self.stats: LoadStats | None = None
        self.clock = (time.time(), time.process_time())  # reset when this process's test starts
        self.endpoints: list[_Request] = []
        self.cum_weights: list[int] = []


STATE = _State()


@events.init_command_line_parser.add_listener
def _add_arguments(parser: Any) -> None:
    parser.add_argument(
        "--stackcheck-plan",
        default=os.environ.get("STACKCHECK_LOAD_PLAN", ""),
        help="load plan JSON written by `stackcheck load` (also $STACKCHECK_LOAD_PLAN)",
    )


def _describe(exc: BaseException | None) -> str:
    if exc is None:
        return "no response"
    text = str(exc) or exc.__class__.__name__
    return f"{exc.__class__.__name__}: {text}" if exc.__class__.__name__ not in text else text


def _problem(endpoint: PlanEndpoint, status: int, body: bytes, error: BaseException | None) -> str | None:
    """Why a response does not count as success, or None (``body``: its first bytes, decoded)."""
    if not status:
        return TRANSPORT + _describe(error)
    if endpoint.expect_status:
        if status not in endpoint.expect_status:
            return f"HTTP {status}, expected {'/'.join(map(str, endpoint.expect_status))}"
    elif not 200 <= status < 300:
        return f"HTTP {status}, expected 2xx"
    if endpoint.expect_body is not None and endpoint.expect_body.encode() not in body:
        return f"HTTP {status} without {endpoint.expect_body!r} in the body"
    return None


def _ca_context(cafile: str, **_: Any) -> ssl.SSLContext:
    """The TLS context of the load's requests when the profile names a CA bundle (target.ca_bundle)."""
    return ssl.create_default_context(cafile=cafile)


class ProfileUser(User):
    """A client of the service: requests the profile's endpoints by weight (see the module docstring)."""

    host = "http://127.0.0.1"  # replaced by the plan's target in _on_init
    ssl_context_factory: Any = None  # set in _on_init when the profile names a CA bundle
    fault_injection_s = 0.0  # tests only ($STACKCHECK_LOAD_STALL_S): stall every send this long (a seam)

    def on_start(self) -> None:
        plan = STATE.plan
        assert plan is not None
        self._left = plan.requests_per_user
        self._interval = plan.pacing_interval_s
        self._pool: Pool | None = Pool(IN_FLIGHT_PER_USER) if self._interval else None
        self._wire = Wire(
            plan.target,
            concurrency=IN_FLIGHT_PER_USER if self._interval else 1,
            timeout_s=plan.timeout_s,
            ssl_context_factory=self.ssl_context_factory,
        )
        # A random phase spreads the users' schedules, so the arrivals are even, not in bursts.
        self._next = time.perf_counter() + random.uniform(0, self._interval or 0.0)

    def on_stop(self) -> None:
        # Requests still in flight when the run ends are waited for (up to the request timeout), not
        # dropped: a stall at the very end of the run must be measured too. (Locust's --stop-timeout is
        # not used for this: a worker then sleeps that long after a stop and misses the master's quit.)
        if self._pool is not None:
            self._pool.join(timeout=STATE.plan.timeout_s if STATE.plan else 5.0)
            self._pool.kill(block=False)
        self._wire.close()

    def wait_time(self) -> float:
        assert STATE.plan is not None
        if self._interval:
            # Until the next scheduled send. libev's timers wake up to ~1 ms late (epoll waits in whole
            # milliseconds), so wake a little early; a request sent early is timed from its send.
            return max(0.0, self._next - time.perf_counter() - TIMER_SLACK_S)
        return STATE.plan.think_time_s

    @task
    def send(self) -> None:
        if self._left <= 0:
            raise StopUser()  # this user's share of load.max_requests is spent (on_stop waits)
        if self._pool is None or self._interval is None:
            self._left -= 1
            self._request(self._endpoint(), time.perf_counter(), False)
            return
        due = self._next
        if due - time.perf_counter() > TIMER_SLACK_S:
            return  # not due yet (the first call, before the random phase has passed)
        self._left -= 1
        self._next = due + self._interval
        capped = self._pool.full()
        if capped:
            self._pool.wait_available()
        self._pool.spawn(self._request, self._endpoint(), due, capped)

    @staticmethod
    def _endpoint() -> _Request:
        return random.choices(STATE.endpoints, cum_weights=STATE.cum_weights)[0]

    def _request(self, request: _Request, due: float, capped: bool) -> None:
        endpoint = request.endpoint
        try:
            self._send(request, due, capped)
        except Exception as exc:  # a request that died in the generator must not vanish from the count
            log.exception("stackcheck load: the generator failed on %s", endpoint.name)
            STATE.recorder.record(
                endpoint.name,
                endpoint.method,
                0.0,
                0.0,
                0.0,
                GENERATOR + _describe(exc),
                answered=False,
            )
            STATE.sent += 1

    def _send(self, request: _Request, due: float, capped: bool) -> None:
        plan = STATE.plan
        assert plan is not None
        endpoint = request.endpoint
        if self.fault_injection_s:
            gevent.sleep(self.fault_injection_s)  # the generator stalls before it sends: a late send
        sent_at = time.perf_counter()
        lag_ms = max(0.0, (sent_at - due) * 1000.0)
        answer = self._wire.exchange(request.wire, plan.max_response_bytes)
        done = time.perf_counter()
        service_ms = (done - sent_at) * 1000.0
        # Latency from the scheduled time: if the generator could not send on time, the wait counts (and
        # the lag is recorded, so the gate can tell the generator's lateness from the target's slowness).
        STATE.recorder.record(
            endpoint.name,
            endpoint.method,
            service_ms + lag_ms,
            service_ms,
            lag_ms,
            _problem(endpoint, answer.status, answer.body, answer.error),
            done + EPOCH_OFFSET,
            bool(answer.status),  # status 0: no HTTP answer came back (refused, reset, timed out)
            due=due + EPOCH_OFFSET,
            capped=capped,
        )
        STATE.sent += 1


def _process(role: str, ident: str) -> GeneratorProcess:
    wall0, cpu0 = STATE.clock
    wall = max(time.time() - wall0, 1e-9)
    cpu = time.process_time() - cpu0
    return GeneratorProcess(
        id=ident,
        role=role,  # type: ignore[arg-type]
        requests=STATE.sent,
        cpu_s=round(cpu, 3),
        wall_s=round(wall, 3),
        cpu_percent=round(100 * cpu / wall, 1),
    )


# --- worker side -------------------------------------------------------------------------------


def _on_report_to_master(client_id: str, data: dict[str, Any]) -> None:
    data["stackcheck"] = STATE.recorder.drain()


def _on_worker_test_start(environment: Any, **_: Any) -> None:
    STATE.clock = (time.time(), time.process_time())


def _on_worker_test_stop(environment: Any, **_: Any) -> None:
    runner = environment.runner
    final = {
        "recording": STATE.recorder.drain(),
        "process": _process("worker", runner.client_id).model_dump(),
    }
    runner.send_message(FINAL_MESSAGE, final)


# --- master / single-process side --------------------------------------------------------------


def _on_worker_report(client_id: str, data: dict[str, Any]) -> None:
    if "stackcheck" in data:
        STATE.recorder.merge(data["stackcheck"])


def _on_final(environment: Any, msg: Any, **_: Any) -> None:
    STATE.recorder.merge(msg.data["recording"])
    process = GeneratorProcess.model_validate(msg.data["process"])
    STATE.generator[process.id] = process
    STATE.finals.add(msg.node_id)


def _on_test_start(environment: Any, **_: Any) -> None:
    if STATE.started is None:
        STATE.started = time.time()
        STATE.clock = (STATE.started, time.process_time())
        gevent.spawn(_control, environment)


def _on_spawning_complete(user_count: int, **_: Any) -> None:
    if STATE.steady_at is None:
        STATE.steady_at = time.time()


def _progress(now: float) -> None:
    assert STATE.started is not None
    hist = Histogram()
    for sec, second in STATE.recorder.seconds.items():
        if now - 6 <= sec < now - 1:
            hist.merge(second.h)
    p95 = hist.percentile(95)
    print(
        f"{PROGRESS} t={now - STATE.started:.0f}s users={STATE.users.get(int(now), 0)} "
        f"requests={STATE.recorder.requests} failures={STATE.recorder.failures} "
        f"recent p95={'-' if p95 is None else f'{p95:g} ms'}",
        flush=True,
    )


def _control(environment: Any) -> None:
    """End the run after duration_s (or once max_requests are done), collect, write the statistics."""
    plan, runner = STATE.plan, environment.runner
    assert plan is not None and STATE.started is not None
    end = STATE.started + plan.duration_s
    next_progress = STATE.started + 5
    while (now := time.time()) < end and STATE.recorder.requests < plan.max_requests:
        STATE.users[int(now)] = runner.user_count
        if now >= next_progress:
            _progress(now)
            next_progress += 5
        gevent.sleep(min(0.25, max(end - now, 0.0)))
    STATE.ended = time.time()
    runner.stop()  # a master tells its workers; each sends its final recording
    if isinstance(runner, MasterRunner):
        expected = set(runner.clients.keys())
        deadline = time.time() + WORKER_FINAL_WAIT_S
        while not expected <= STATE.finals and time.time() < deadline:
            gevent.sleep(0.1)
        missing = expected - STATE.finals
        if missing:
            log.warning("no final report from worker(s) %s", ", ".join(sorted(missing)))
    _write(complete=True, master=isinstance(runner, MasterRunner))
    runner.quit()


def _write(complete: bool, master: bool) -> None:
    plan = STATE.plan
    if plan is None or STATE.stats is not None:
        return
    now = time.time()
    own = _process("master" if master else "local", "master" if master else "local")
    stats = build_stats(
        plan,
        STATE.recorder,
        started=STATE.started or now,
        ended=STATE.ended or now,
        steady_at=STATE.steady_at,
        users=STATE.users,
        generator=[*STATE.generator.values(), own],
        complete=complete,
    )
    tmp = Path(plan.stats_path + ".tmp")
    tmp.write_text(stats.to_json(), encoding="utf-8")
    tmp.replace(plan.stats_path)  # the runner never sees half a file
    STATE.stats = stats


def _on_quitting(environment: Any, **_: Any) -> None:
    """The SLO gate: the process exit code says whether the profile's slo: held."""
    if STATE.plan is None:
        return
    _write(complete=False, master=isinstance(environment.runner, MasterRunner))  # no-op after a full run
    assert STATE.stats is not None
    results = evaluate(STATE.stats, STATE.plan.slo)
    for result in results:
        print(f"gate: {result.status.value.upper():<7} {result.id:<18} {result.message}", flush=True)
    environment.process_exit_code = gate_exit_code(results)


# --- every process -----------------------------------------------------------------------------


def _watchdog(plan: LoadPlan, stats_writer: bool, master: bool) -> None:
    """Exit if the process that started us is gone, or the plan's deadline has passed."""
    parent = os.getppid()
    deadline = time.monotonic() + plan.deadline_s
    while True:
        gevent.sleep(0.5)
        if os.getppid() != parent:
            reason = "its parent process exited"
        elif time.monotonic() > deadline:
            reason = f"the run's deadline ({plan.deadline_s:g} s) passed"
        else:
            continue
        log.error("stackcheck load: stopping this Locust process: %s", reason)
        if stats_writer:
            try:
                STATE.ended = STATE.ended or time.time()
                _write(complete=False, master=master)
            except Exception:
                log.exception("could not write the partial statistics")
        os._exit(3)


@events.init.add_listener
def _on_init(environment: Any, **_: Any) -> None:
    options = environment.parsed_options
    path = getattr(options, "stackcheck_plan", "") if options is not None else ""
    if not path:
        raise SystemExit(
            "stackcheck locustfile: pass --stackcheck-plan PLAN.json (written by `stackcheck load`)"
        )
    plan = LoadPlan.model_validate_json(Path(path).read_text(encoding="utf-8"))
    STATE.plan = plan
    STATE.endpoints = [_prepare(plan.target, e) for e in plan.endpoints]
    running = 0
    for endpoint in plan.endpoints:
        running += endpoint.weight
        STATE.cum_weights.append(running)
    ProfileUser.host = plan.target
    ProfileUser.fault_injection_s = float(os.environ.get("STACKCHECK_LOAD_STALL_S") or 0.0)
    if plan.ca_bundle:
        # A staticmethod: a plain function on the class would be bound (and called with the user as its
        # first argument; every HTTPS request with a CA bundle then died in its greenlet, unrecorded).
        ProfileUser.ssl_context_factory = staticmethod(functools.partial(_ca_context, plan.ca_bundle))
    runner = environment.runner
    is_worker, is_master = isinstance(runner, WorkerRunner), isinstance(runner, MasterRunner)
    gevent.spawn(_watchdog, plan, not is_worker, is_master)
    if is_worker:
        events.report_to_master.add_listener(_on_report_to_master)
        events.test_start.add_listener(_on_worker_test_start)
        events.test_stop.add_listener(_on_worker_test_stop)
        return
    if is_master:
        events.worker_report.add_listener(_on_worker_report)
        runner.register_message(FINAL_MESSAGE, _on_final)
    events.test_start.add_listener(_on_test_start)
    events.spawning_complete.add_listener(_on_spawning_complete)
    events.quitting.add_listener(_on_quitting)
