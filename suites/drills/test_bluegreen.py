"""Suite ``drills``, the blue-green drill: a new version gets traffic only when healthy, and gives it back.

stackcheck launches two copies of the service of the drill's own: blue (``service.command``) and green, the
new version (``deploy.green_command``, default the same build). A HAProxy it configures and starts itself
(``stackcheck.infra.haproxy``) sends all traffic to blue while a paced load (``deploy.rate_per_s``, a new
connection per request) runs through it. Then green starts and the gate waits for it: HAProxy's own health
check of the health path (``option httpchk``) and stackcheck's GETs of it must both say healthy within
``deploy.gate_timeout_s``. Healthy, traffic is switched to green (runtime API weights), and after
``deploy.switch_requests`` requests rolled back to blue within ``deploy.rollback_window_s``; every request of
every phase must get the answer blue gave before the drill. Unhealthy, the gate refuses and blue keeps
the traffic: the drill passes when it did, and says so. ``deploy.health_gate: false`` switches without the
gate (as a deploy script without one does): switching so to an unhealthy green fails.
"""

from __future__ import annotations

import contextlib
import http.client
import threading
import time
from collections import Counter
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

import pytest

from stackcheck.catalog import bluegreen as checks
from stackcheck.probes.drain import connection_to
from stackcheck.probes.http import client_tls_context
from stackcheck.probes.paced import Answer, PacedLoad
from stackcheck.testing import (
    CouldNotCheck,
    DeploySection,
    ErrorReason,
    EvidenceRecorder,
    HAProxy,
    LaunchedService,
    Profile,
    Settings,
    find_haproxy,
    require,
    wait_until,
)

GET_TIMEOUT_S = 5.0
HEALTHY_STREAK = 3  # consecutive 2xx answers of stackcheck's own GETs before the gate opens
GATE_POLL_S = 0.2
SLACK_S = 15.0  # waited beyond a phase's paced duration before the drill calls the load starved


def _get(service: LaunchedService, path: str) -> int | None:
    """The status of one GET of ``path`` on a launch, plain or TLS as it speaks (``None``: no answer)."""
    https = urlsplit(service.url).scheme == "https"
    context = client_tls_context(service.ca_bundle or True) if https else None
    conn = connection_to("127.0.0.1", service.port, https, context, GET_TIMEOUT_S)
    try:
        conn.request("GET", path, headers={"Connection": "close"})
        response = conn.getresponse()
        response.read(65536)
        return response.status
    except (OSError, http.client.HTTPException):
        return None
    finally:
        conn.close()


def _ok(status: int | None) -> bool:
    return status is not None and 200 <= status < 300


class Gate:
    """What the gate saw of green and what it decided (a plain class: suites are imported by path)."""

    def __init__(self, decision: str = "refused", reason: str = "", health: list[int | None] | None = None):
        self.decision = decision  # opened | refused | skipped (deploy.health_gate: false)
        self.reason = reason
        self.health: list[int | None] = health or []  # stackcheck's GETs of green's health path
        self.proxy = ""  # HAProxy's view of green when the gate decided
        self.waited_s = 0.0


def _gate(proxy: HAProxy, green: LaunchedService, path: str, timeout_s: float) -> Gate:
    """Wait up to ``timeout_s`` for green to be healthy by HAProxy's check and by ``HEALTHY_STREAK``
    consecutive 2xx GETs of ``path``; refused otherwise. CouldNotCheck when the two disagree to the end."""
    gate = Gate()
    started = time.monotonic()
    streak = 0
    while True:
        status = _get(green, path)
        gate.health.append(status)
        streak = streak + 1 if _ok(status) else 0
        state = proxy.servers()["green"]
        gate.proxy = state.summary()
        if streak >= HEALTHY_STREAK and state.healthy:
            gate.decision, gate.reason = "opened", f"GET {path} answered {status} {streak} times in a row"
            break
        if green.returncode() is not None:
            gate.reason = f"green exited with code {green.returncode()}"
            break
        if time.monotonic() - started > timeout_s:
            if streak >= HEALTHY_STREAK:  # stackcheck says healthy, HAProxy does not: no verdict on green
                raise CouldNotCheck(
                    f"green answered GET {path} with {status} but HAProxy's check still says {gate.proxy} "
                    f"after {timeout_s:g} s",
                    ErrorReason.INCONCLUSIVE,
                )
            gate.reason = f"GET {path} answered {status or 'nothing'} (HAProxy: {gate.proxy})"
            break
        threading.Event().wait(GATE_POLL_S)
    gate.waited_s = round(time.monotonic() - started, 2)
    return gate


def _wait_answers(load: PacedLoad, since: float, count: int, bound_s: float) -> None:
    """Wait until ``count`` requests sent since ``since`` have ended; CouldNotCheck if the load starves."""
    if not wait_until(lambda: load.answered(since) >= count, bound_s, 0.02):
        raise CouldNotCheck(
            f"only {load.answered(since)} of {count} requests of the paced load ended within {bound_s:g} s",
            ErrorReason.INCONCLUSIVE,
        )


def _phase(answers: list[Answer], expected: int | None) -> dict[str, Any]:
    """Sent, failed (not the expected answer) and served-by counts of one phase."""
    failed = [a for a in answers if a.status != expected]
    return {
        "sent": len(answers),
        "failed": len(failed),
        "by_server": dict(sorted(Counter(a.server or "none" for a in answers).items())),
        "failures": sorted({a.summary() for a in failed}),
    }


def _first_from(answers: list[Answer], server: str, since: float) -> float | None:
    """Seconds from ``since`` until the first answer from ``server`` of a request sent after it ended."""
    ends = [a.done_at for a in answers if a.sent_at >= since and a.server == server]
    return round(min(ends) - since, 3) if ends else None


def _timed(proxy: HAProxy, weights: dict[str, int]) -> tuple[float, float]:
    """Set ``weights`` through the runtime API; when the command was sent and when it had been applied."""
    sent_at = time.monotonic()
    proxy.set_weights(weights)
    return sent_at, time.monotonic()


def _health_path(profile: Profile, section: DeploySection) -> str | None:
    health = profile.health
    return section.health_path or (health.ready or health.live if health else None)


@pytest.mark.check(checks.BLUEGREEN)
def test_traffic_switches_to_a_healthy_green_and_back_to_blue_without_a_failed_request(
    profile: Profile,
    settings: Settings,
    service_launcher: Callable[..., LaunchedService],
    evidence: EvidenceRecorder,
) -> None:
    section: DeploySection = require(profile.deploy, "profile has no `deploy` section")
    service = require(profile.service, "profile has no `service` section")
    health_path = _health_path(profile, section)
    if health_path is None:
        pytest.skip("no health path to gate on: set deploy.health_path, health.ready or health.live")
    binary = find_haproxy(settings.environ.get("PATH"))
    if binary is None:
        pytest.skip(
            f"haproxy is not installed (apt-get install {HAProxy.APT_PACKAGE}): the drill needs a real proxy"
        )
    n, rate = section.switch_requests, section.rate_per_s
    phase_s = n / rate
    with contextlib.ExitStack() as stack:
        blue = stack.enter_context(service_launcher())
        green = service_launcher(section.green_command)
        stack.callback(green.stop)
        expected = _get(blue, section.load_path)
        if expected is None or expected >= 500:
            raise CouldNotCheck(
                f"blue answered GET {section.load_path} (deploy.load_path) with {expected or 'nothing'} "
                "before the drill: there is no working version to switch from",
                ErrorReason.UNEXPECTED_ANSWER,
            )
        blue_health = _get(blue, health_path)
        if not _ok(blue_health):
            raise CouldNotCheck(
                f"blue answered GET {health_path} with {blue_health or 'nothing'} before the drill: there is "
                "no healthy version to switch from",
                ErrorReason.UNEXPECTED_ANSWER,
            )
        servers = {"blue": blue.port, "green": green.port}
        tls = service.scheme == "https"  # HAProxy speaks HTTPS to both (its own frontend stays plain)
        proxy = stack.enter_context(
            HAProxy(binary, servers, health_path if section.health_gate else None, "blue", tls)
        )
        cap_s = 3 * phase_s + service.start_timeout_s + section.gate_timeout_s + 2 * SLACK_S
        load = PacedLoad(
            proxy.port, section.load_path, rate, int(rate * cap_s) + 1, cap_s, HAProxy.SERVER_HEADER
        )
        stack.callback(load.stop)
        started = time.monotonic()
        load.start()
        _wait_answers(load, started, n, phase_s + SLACK_S)
        green.start()  # deployed to green while blue serves
        if section.health_gate:
            gate = _gate(proxy, green, health_path, section.gate_timeout_s)
        else:
            gate = Gate("skipped", "deploy.health_gate: false", [_get(green, health_path)])
        decided_at = time.monotonic()
        # Each runtime API command is timed on both sides: a request sent while it runs may go either way.
        switch: tuple[float, float] | None = None
        rollback: tuple[float, float] | None = None
        if gate.decision != "refused":
            switch = _timed(proxy, {"green": 100, "blue": 0})
            # The rollback is made well inside the window, however many requests the phase would take.
            _wait_answers(
                load,
                switch[1],
                min(n, max(1, int(section.rollback_window_s / 2 * rate))),
                min(phase_s + SLACK_S, section.rollback_window_s / 2),
            )
            gate.health.append(_get(green, health_path))  # green's health while it served
            rollback = _timed(proxy, {"blue": 100, "green": 0})
        after = rollback[1] if rollback else decided_at
        _wait_answers(load, after, n, phase_s + SLACK_S)
        answers = load.stop()
        if not proxy.running():
            raise CouldNotCheck(
                f"HAProxy ended during the drill: {proxy.log_tail()}", ErrorReason.INCONCLUSIVE
            )

    if switch is None or rollback is None:
        bounds = {"before_switch": decided_at, "after_refusal": float("inf")}
    else:
        bounds = {
            "before_switch": switch[0],
            "during_switch": switch[1],
            "on_green": rollback[0],
            "during_rollback": rollback[1],
            "after_rollback": float("inf"),
        }
    phases, start = {}, 0.0
    for name, end in bounds.items():
        phases[name] = _phase([a for a in answers if start <= a.sent_at < end], expected)
        start = end
    failed = sum(p["failed"] for p in phases.values())
    switch_s = _first_from(answers, "green", switch[0]) if switch else None
    rollback_s = _first_from(answers, "blue", rollback[0]) if rollback else None
    back_by_s = None
    if switch is not None and rollback is not None and rollback_s is not None:
        back_by_s = round(rollback[0] - switch[0] + rollback_s, 2)
    late_green = sum(a.server == "green" for a in answers if a.sent_at >= after) if rollback else 0
    unhealthy = [s for s in gate.health if not _ok(s)] if switch else []
    evidence.record(
        expected=0,
        observed=failed,
        unit="requests",
        op="==",
        gate=gate.decision,
        gate_reason=gate.reason,
        gate_waited_s=gate.waited_s,
        green_health=[s if s is not None else "no answer" for s in gate.health],
        green_in_haproxy=gate.proxy,
        health_path=health_path,
        load_path=section.load_path,
        expected_answer=expected,
        phases=phases,
        requests=len(answers),
        switch_s=switch_s,
        rollback_s=rollback_s,
        rolled_back_after_s=back_by_s,
        rollback_window_s=section.rollback_window_s,
        green_after_rollback=late_green,
        proxy=f"{binary} on 127.0.0.1:{proxy.port}",
        proxy_pid=proxy.pid,
    )
    assert gate.decision != "skipped" or not unhealthy, (
        f"traffic was switched to green while GET {health_path} answered "
        f"{', '.join(str(s) for s in unhealthy)} there (deploy.health_gate: false: no gate kept it out); "
        f"{failed} requests failed"
    )
    shown = "; ".join(f"{name} {p['failed']} of {p['sent']}" for name, p in phases.items() if p["failed"])
    reasons = ", ".join(sorted({r for p in phases.values() for r in p["failures"]}))
    assert not failed, f"{failed} requests did not get {expected} ({reasons}): {shown}"
    if switch is None:
        served = sum(a.server == "green" for a in answers)
        assert not served, f"the gate refused green, yet green served {served} requests"
        evidence.message = (
            f"the gate refused green ({gate.reason}): blue kept all {len(answers)} requests, none failed; "
            "switch and rollback not exercised"
        )
        return
    assert switch_s is not None, "no request was served by green after the switch"
    assert back_by_s is not None, "no request was served by blue after the rollback"
    assert back_by_s <= section.rollback_window_s, (
        f"traffic was back on blue {back_by_s:.1f} s after the switch, beyond the "
        f"{section.rollback_window_s:g} s rollback window"
    )
    assert not late_green, f"green still served {late_green} requests after the rollback"
    evidence.message = (
        f"gate opened after {gate.waited_s:.1f} s; {len(answers)} requests, none failed: green served from "
        f"{switch_s:.2f} s after the switch, blue again {rollback_s:.2f} s after the rollback "
        f"({back_by_s:.1f} s after the switch, window {section.rollback_window_s:g} s)"
    )
