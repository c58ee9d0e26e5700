"""Suite ``drills``, the SIGTERM drill: a service asked to stop finishes what it was doing, and only that.

stackcheck launches a service process of the drill's own from ``service.command`` (wired as the readiness
drill's is; the run's other checks keep theirs), holds ``service.drain_requests`` requests in flight on the
slow ``service.drain_path``, sends SIGTERM to the process, and watches: every in-flight request must end with
the answer the path gives normally, new connections must be refused (or answered 503, or left unanswered)
during the drain, and the process must exit with code 0 within ``service.drain_s``. It never signals a
process it did not start: with ``--target URL`` the target is left alone, the drill still launches its own.
"""

from __future__ import annotations

import signal
import threading
import time
from collections.abc import Callable
from urllib.parse import urlsplit

import pytest

from stackcheck.catalog import drills as checks
from stackcheck.probes.drain import InFlight, NewConnections, connection_to
from stackcheck.probes.http import client_tls_context
from stackcheck.testing import (
    CouldNotCheck,
    ErrorReason,
    EvidenceRecorder,
    LaunchedService,
    Profile,
    ServiceSection,
    require,
    wait_until,
)

MARGIN_S = 10.0  # waited beyond drain_s, so that a slow drain is measured, not just called late
REACT_S = 0.5  # the service's time to act on the signal before new connections are judged
MIN_SLOW_S = 0.3  # a drain_path faster than this cannot be held in flight


def _baseline(service: LaunchedService, path: str, timeout_s: float) -> tuple[int, float]:
    """One GET of ``path`` before the drill: its status and how long it took."""
    parts = urlsplit(service.url)
    context = client_tls_context(service.ca_bundle or True) if parts.scheme == "https" else None
    conn = connection_to("127.0.0.1", service.port, parts.scheme == "https", context, timeout_s)
    started = time.monotonic()
    try:
        conn.request("GET", path, headers={"Connection": "close"})
        response = conn.getresponse()
        response.read(1_000_000)
    except OSError as exc:
        raise CouldNotCheck(
            f"GET {path} failed before the drill: {type(exc).__name__}", ErrorReason.UNREACHABLE
        ) from None
    finally:
        conn.close()
    return response.status, time.monotonic() - started


def _exit_text(code: int) -> str:
    if code < 0:
        return f"was ended by {signal.Signals(-code).name} (exit {128 - code})"
    return f"exited with code {code}"


@pytest.mark.check(checks.SIGTERM)
def test_sigterm_drains_in_flight_requests_and_exits_0_in_time(
    profile: Profile,
    service_launcher: Callable[[], LaunchedService],
    evidence: EvidenceRecorder,
) -> None:
    section: ServiceSection = require(profile.service, "profile has no `service` section")
    path = require(section.drain_path, "service.drain_path is not set")
    bound, count = section.drain_s, section.drain_requests
    with service_launcher() as service:
        https = urlsplit(service.url).scheme == "https"
        context = client_tls_context(service.ca_bundle or True) if https else None
        status, slow_s = _baseline(service, path, bound + MARGIN_S)
        if not 200 <= status < 300:
            raise CouldNotCheck(
                f"GET {path} (service.drain_path) answered {status} before the drill; it cannot be drilled",
                ErrorReason.UNEXPECTED_ANSWER,
            )
        if slow_s < MIN_SLOW_S:
            raise CouldNotCheck(
                f"GET {path} answered in {slow_s:.2f} s: too fast to hold in flight (service.drain_path "
                "must name an endpoint that takes a second or more)",
                ErrorReason.MISCONFIGURED,
            )
        held = InFlight("127.0.0.1", service.port, path, count, bound + MARGIN_S + slow_s, https, context)
        held.start()
        # Let the service take every request up before the signal: a third of a normal answer's time.
        threading.Event().wait(min(slow_s / 3, 2.0))
        signalled_at = time.monotonic()
        ended_early = held.ended_before(signalled_at)
        exited_at: list[float] = []

        def ended() -> bool:
            if not exited_at and service.returncode() is not None:
                exited_at.append(time.monotonic())
            return bool(exited_at)

        service.terminate()
        probes = NewConnections("127.0.0.1", service.port, service.live_path, https=https, context=context)
        if not wait_until(ended, REACT_S, 0.05):
            probes.start()
        try:
            exited = wait_until(ended, bound + MARGIN_S, 0.05)
        finally:
            outcomes = probes.stop()
        drain_s = (exited_at[0] if exited_at else time.monotonic()) - signalled_at
        answers = held.finish()
        code = service.returncode()

    in_flight = [a for a in answers if a.done_at is None or a.done_at > signalled_at]
    failed = [a.summary for a in in_flight if a.status != status]
    served = probes.served()
    evidence.record(
        expected=bound,
        observed=round(drain_s, 2) if exited else None,
        unit="s",
        op="<=",
        exit_code=code,
        drain_path=path,
        normal_answer=status,
        normal_answer_s=round(slow_s, 2),
        in_flight=len(in_flight),
        completed=len(in_flight) - len(failed),
        failed=len(failed),
        failures=sorted(set(failed)),
        ended_before_signal=ended_early,
        new_connections=dict(sorted(outcomes.items())),
    )
    if not in_flight:
        raise CouldNotCheck(
            f"all {count} requests to {path} ended before the signal: none was in flight",
            ErrorReason.INCONCLUSIVE,
        )
    assert not failed, (
        f"{len(failed)} of {len(in_flight)} in-flight requests to {path} did not end with {status} after "
        f"SIGTERM ({', '.join(sorted(set(failed)))})"
    )
    shown = ", ".join(f"{k}: {n}" for k, n in served.items())
    assert not served, f"new connections during the drain were served ({shown}), not refused or answered 503"
    assert exited, f"the service was still running {bound + MARGIN_S:g} s after SIGTERM (drain_s {bound:g})"
    assert code is not None
    assert code == 0, f"the service {_exit_text(code)} after SIGTERM, not 0 (drained in {drain_s:.1f} s)"
    assert drain_s <= bound, f"the service took {drain_s:.1f} s to exit after SIGTERM (drain_s {bound:g})"
    evidence.message = (
        f"{len(in_flight)} in-flight requests to {path} all answered {status}; new connections "
        f"{', '.join(sorted(outcomes)) or 'not tried'}; exit 0 {drain_s:.1f} s after SIGTERM"
    )
