"""Suite ``exposure``: nothing sensitive is served, and error pages leak no internals."""

from __future__ import annotations

import secrets

import httpx
import pytest

from stackcheck.catalog import exposure as checks
from stackcheck.probes.exposure import SENSITIVE_PATHS, Answer, exposed, leaks, refused_all
from stackcheck.probes.ports import PortState, reach
from stackcheck.testing import (
    CouldNotCheck,
    ErrorReason,
    EvidenceRecorder,
    ExposureSection,
    HttpProbe,
    Profile,
    Target,
    require,
)

MAX_BODY = 65536  # only the start of a body is matched


@pytest.fixture
def section(profile: Profile) -> ExposureSection:
    """The profile's ``exposure`` section (the plugin already skipped the check when it is absent)."""
    return require(profile.exposure, "profile has no `exposure` section")


def answer(http: HttpProbe, method: str, path: str, **kwargs: object) -> Answer:
    """One request; the status and the start of the body."""
    exchange = http.request(method, path, **kwargs)
    return Answer(exchange.status, exchange.text[:MAX_BODY])


@pytest.fixture(scope="module")
def root_status(http: HttpProbe) -> int:
    """The status of ``GET /``: whether the server lets this client see anything at all."""
    return http.get("/").status


def require_seen(root: int, statuses: dict[str, int]) -> None:
    """``error`` (access denied) when the server refused ``/`` and every probe: nothing was seen."""
    refused = refused_all(root, statuses.values())
    if refused is not None:
        raise CouldNotCheck(refused, ErrorReason.ACCESS_DENIED)


@pytest.mark.check(checks.SENSITIVE_PATHS)
def test_sensitive_paths_are_not_served(
    http: HttpProbe, section: ExposureSection, evidence: EvidenceRecorder, root_status: int
) -> None:
    paths = dict(SENSITIVE_PATHS) if section.builtin else {}
    paths.update({p: SENSITIVE_PATHS.get(p) for p in section.forbidden_paths})
    baseline = answer(http, "GET", f"/stackcheck-no-such-path-{secrets.token_hex(4)}")
    statuses: dict[str, int] = {}
    served = []
    for path, signature in paths.items():
        got = answer(http, "GET", path)
        statuses[path] = got.status
        if exposed(path, got, baseline, signature):
            served.append(path)
    evidence.record(statuses=statuses, catch_all_status=baseline.status, root_status=root_status)
    require_seen(root_status, {**statuses, "catch-all": baseline.status})
    evidence.record(expected=0, observed=len(served), unit="paths served", served=served)
    assert not served, f"sensitive path(s) served: {', '.join(served)}"
    evidence.message = f"{len(paths)} sensitive paths probed, none served"


@pytest.mark.check(checks.ERROR_LEAK)
def test_error_pages_show_no_stack_trace_or_version(
    http: HttpProbe, section: ExposureSection, evidence: EvidenceRecorder, root_status: int
) -> None:
    probes: list[tuple[str, str, dict[str, object]]] = [
        ("GET", f"/stackcheck-no-such-path-{secrets.token_hex(4)}", {}),
        ("GET", "/%ff%fe", {}),
        ("GET", "/?id=%00%27%22", {}),
        ("POST", "/", {"content": b'{"stackcheck": ', "headers": {"Content-Type": "application/json"}}),
        *(("GET", p, {}) for p in section.error_paths),
    ]
    found: dict[str, list[str]] = {}
    statuses: dict[str, int] = {}
    for method, path, kwargs in probes:
        got = answer(http, method, path, **kwargs)
        label = f"{method} {path}"
        statuses[label] = got.status
        hits = leaks(got.body)
        if hits:
            found[label] = hits
    evidence.record(statuses=statuses, root_status=root_status)
    if not found:  # a leak shown on a refusal page is still a leak
        require_seen(root_status, statuses)
    evidence.record(expected=0, observed=len(found), unit="leaking pages", leaks=found)
    assert not found, "error pages leak internals: " + "; ".join(
        f"{label} -> {statuses[label]} shows {', '.join(hits)}" for label, hits in found.items()
    )
    evidence.message = f"{len(probes)} error-provoking requests, no stack trace or version shown"


@pytest.mark.check(checks.CLOSED_PORTS)
def test_datastore_ports_accept_no_connection(
    target: Target, section: ExposureSection, evidence: EvidenceRecorder
) -> None:
    host = httpx.URL(target.base_url).host
    seen = {}
    for port in section.closed_ports:
        try:
            seen[port] = reach(host, port, timeout_s=min(target.timeout_s, 3.0))
        except OSError as exc:
            raise CouldNotCheck(f"{host}:{port}: {exc.strerror or exc}", ErrorReason.UNREACHABLE) from None
    open_ports = [p for p, r in seen.items() if r.state is PortState.OPEN]
    evidence.record(
        expected=0,
        observed=len(open_ports),
        unit="ports open",
        host=host,
        ports={str(p): str(r.state) for p, r in seen.items()},
    )
    shown = ", ".join(str(p) for p in open_ports)
    assert not open_ports, f"{host} accepts connections on {shown}: reachable from outside the application"
    states = ", ".join(f"{p} {r.state}" for p, r in seen.items())
    evidence.message = f"{host}: no connection accepted ({states})"
