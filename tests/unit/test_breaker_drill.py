"""The circuit-breaker drill's pure parts: reading answers, the profile section, toxiproxy's URLs, and the
reference service's breaker (its state machine on a fake clock)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from pydantic import ValidationError

from fixtures.refservice import breaker as ref_breaker
from stackcheck._exceptions import CouldNotCheck
from stackcheck.infra.faults import _upstream
from stackcheck.infra.toxiproxy import proxied_url
from stackcheck.probes import breaker as probe
from stackcheck.probes.breaker import Answer
from stackcheck.probes.http import HttpProbe
from stackcheck.profile.models import Profile
from stackcheck.profile.resilience import DEFAULT_RESILIENCE_PATH

TIMEOUT_MS = 1000.0


def answer(status: int | None, ms: float) -> Answer:
    return Answer(status, ms, 0.0, ms / 1000)


def fetching(*answers: Answer) -> Iterator[Answer]:
    return iter(answers)


def test_a_fast_answer_is_under_half_the_dependency_timeout_and_has_a_status() -> None:
    assert answer(503, 10).fast(TIMEOUT_MS)
    assert not answer(503, 600).fast(TIMEOUT_MS)
    assert not answer(None, 10).fast(TIMEOUT_MS)  # no answer at all never counts as fast
    assert answer(204, 5).ok and not answer(503, 5).ok and not answer(None, 5).ok


def test_the_injected_latency_is_well_beyond_the_timeout() -> None:
    assert probe.fault_latency_ms(1000) == 3000
    assert probe.fault_latency_ms(100) == 2100  # at least 2 s more than a short timeout


def test_count_until_open_returns_the_waiting_failures_and_the_first_fast_answer() -> None:
    calls = fetching(answer(503, 1010), answer(None, 8000), answer(503, 1005), answer(503, 4))
    failed, first_fast = probe.count_until_open(lambda: next(calls), TIMEOUT_MS, 8, "GET /x")
    assert [a.elapsed_ms for a in failed] == [1010, 8000, 1005]
    assert first_fast is not None and first_fast.elapsed_ms == 4


def test_count_until_open_is_bounded_and_says_none_opened() -> None:
    calls = fetching(*[answer(503, 1000)] * 10)
    failed, first_fast = probe.count_until_open(lambda: next(calls), TIMEOUT_MS, 4, "GET /x")
    assert len(failed) == 4 and first_fast is None


@pytest.mark.parametrize("first", [answer(200, 900), answer(503, 3)])
def test_a_path_that_does_not_wait_on_the_dependency_cannot_be_drilled(first: Answer) -> None:
    calls = fetching(first)
    with pytest.raises(CouldNotCheck, match=r"resilience\.path"):
        probe.count_until_open(lambda: next(calls), TIMEOUT_MS, 4, "GET /x")


def test_the_trial_is_the_first_call_that_waits_about_as_long_as_the_failures() -> None:
    threshold = probe.waited_threshold_ms([answer(503, 1010), answer(503, 1005)], TIMEOUT_MS)
    assert threshold == pytest.approx(804)
    # A refused call slowed by a busy machine (620 ms) is not a trial; one that waited like the failures is.
    calls = fetching(answer(503, 3), answer(503, 620), answer(503, 1002), answer(503, 3))
    trial, refused = probe.wait_for_trial(lambda: next(calls), threshold, 5, 0)
    assert trial is not None and trial.elapsed_ms == 1002 and len(refused) == 2


def test_a_short_timeout_still_separates_refused_calls_from_waiting_ones() -> None:
    # 100 ms timeout: failing calls ~117 ms; a refused call at 60 ms is no longer "fast" but did not wait.
    threshold = probe.waited_threshold_ms([answer(503, 117), answer(503, 119)], 100)
    assert not answer(503, 60).waited(threshold) and answer(503, 118).waited(threshold)
    assert answer(None, 5).waited(threshold)
    assert probe.waited_threshold_ms([], 100) == 80


def test_success_needs_a_2xx_then_every_confirmation_call() -> None:
    calls = fetching(answer(503, 3), answer(200, 20), *[answer(200, 10)] * probe.CONFIRM)
    first, confirmed = probe.wait_for_success(lambda: next(calls), 5, 0)
    assert first is not None and first.status == 200 and all(a.ok for a in confirmed)
    never = fetching(*[answer(503, 3)] * 1000)
    assert probe.wait_for_success(lambda: next(never), 0.05, 0.01) == (None, [])


def test_a_request_the_probe_gives_up_on_is_an_answer_without_status() -> None:
    def hang(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("slow", request=request)

    with HttpProbe("http://127.0.0.1:1", transport=httpx.MockTransport(hang)) as http:
        got = probe.timed_get(http, "/x")
    assert got.status is None and got.elapsed_ms >= 0


def test_the_resilience_section_has_defaults_and_rejects_mistakes() -> None:
    profile = Profile.model_validate({"name": "x", "resilience": {"dependency_timeout_ms": 500}})
    assert profile.resilience is not None
    assert profile.resilience.path == DEFAULT_RESILIENCE_PATH
    assert profile.resilience.dependencies == ["postgres"] and profile.resilience.fault == "latency"
    own = Profile.model_validate(
        {"name": "x", "resilience": {"dependency_timeout_ms": 5000, "timeouts_ms": {"redis": 100}}}
    ).resilience
    assert own is not None and own.timeout_ms("redis") == 100 and own.timeout_ms("postgres") == 5000
    for bad in (
        {},  # the service's timeout is what "fast" is judged by: no default
        {"dependency_timeout_ms": 500, "dependencies": ["postgres", "postgres"]},
        {"dependency_timeout_ms": 500, "dependencies": ["mongo"]},
        {"dependency_timeout_ms": 500, "breaker_failures": 0},
        {"dependency_timeout_ms": 500, "fault": "reset"},
        {"dependency_timeout_ms": 500, "breaker_open": 30},
        {"dependency_timeout_ms": 500, "timeouts_ms": {"mongo": 100}},
        {"dependency_timeout_ms": 500, "timeouts_ms": {"redis": 0}},
    ):
        with pytest.raises(ValidationError):
            Profile.model_validate({"name": "x", "resilience": bad})


def test_the_service_reaches_the_proxy_with_its_credentials_unchanged() -> None:
    dsn = "postgresql://stackcheck:s3cret@127.0.0.1:5432/postgres?sslmode=disable"
    assert proxied_url(dsn, "127.0.0.1:40001") == (
        "postgresql://stackcheck:s3cret@127.0.0.1:40001/postgres?sslmode=disable"
    )
    assert proxied_url("redis://127.0.0.1:6379/0", "127.0.0.1:40002") == "redis://127.0.0.1:40002/0"
    assert _upstream(dsn) == "127.0.0.1:5432"
    assert _upstream("redis://:pw@127.0.0.1:6380/1") == "127.0.0.1:6380"


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    fake = Clock()
    monkeypatch.setattr(ref_breaker.time, "monotonic", fake)
    return fake


def test_the_reference_breaker_opens_tries_once_and_closes(clock: Clock) -> None:
    b = ref_breaker.Breaker(failures=3, open_s=30)
    for _ in range(3):
        assert b.admit()
        b.record(False)
    assert b.state == "open" and not b.admit()
    clock.now += 30
    assert b.admit() and b.state == "half-open"
    assert not b.admit()  # one trial at a time
    b.record(False)
    assert b.state == "open" and not b.admit()  # the failed trial reopens it for another period
    clock.now += 30
    assert b.admit()
    b.record(True)
    assert b.state == "closed" and b.admit() and b.failed == 0


def test_the_reference_breaker_defects(clock: Clock) -> None:
    none = ref_breaker.Breaker(failures=None, open_s=30)
    for _ in range(10):
        assert none.admit()
        none.record(False)
    stuck = ref_breaker.Breaker(failures=1, open_s=30, stuck_open=True)
    stuck.record(False)
    clock.now += 3600
    assert stuck.state == "open" and not stuck.admit()


def test_the_toxiproxy_hint_names_the_tools_command_only() -> None:
    from stackcheck.infra.toxiproxy import TOOL

    assert "stackcheck.scan.tools install toxiproxy" in TOOL.hint and "scan --install-tools" not in TOOL.hint
    assert TOOL.env_var == "STACKCHECK_TOXIPROXY"


def test_the_faults_are_the_toxics_and_proxy_switches_of_toxiproxys_api(tmp_path: Path) -> None:
    from stackcheck.infra.toxiproxy import Toxiproxy
    from stackcheck.settings import Settings

    sent: list[tuple[str, str, object]] = []

    def api(request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content) if request.content else None
        sent.append((request.method, request.url.path, body))
        if request.url.path == "/proxies":
            return httpx.Response(201, json={"name": "postgres", "listen": "127.0.0.1:40123"})
        if request.method == "GET":
            return httpx.Response(200, json=[{"name": "stackcheck-fault"}])
        return httpx.Response(200, json={})

    fake = tmp_path / "toxiproxy-server"
    fake.write_text("#!/bin/sh\n")
    fake.chmod(0o755)
    toxi = Toxiproxy(Settings.from_environ({"STACKCHECK_TOXIPROXY": str(fake)}))
    toxi._http = httpx.Client(base_url=toxi.api, transport=httpx.MockTransport(api))
    assert toxi.proxy("postgres", "127.0.0.1:5432") == "127.0.0.1:40123"
    toxi.inject("postgres", "latency", 3000)
    toxi.inject("postgres", "hang")
    toxi.inject("postgres", "down")
    toxi.clear("postgres")
    toxi.close()
    assert sent[0] == (
        "POST",
        "/proxies",
        {"name": "postgres", "listen": "127.0.0.1:0", "upstream": "127.0.0.1:5432"},
    )
    latency, hang, down = (body for _, _, body in sent[1:4])
    assert latency == {
        "name": "stackcheck-fault",
        "stream": "downstream",
        "toxicity": 1.0,
        "type": "latency",
        "attributes": {"latency": 3000, "jitter": 0},
    }
    assert isinstance(hang, dict) and hang["type"] == "timeout" and hang["attributes"] == {"timeout": 0}
    assert sent[3][1] == "/proxies/postgres" and down == {"enabled": False}
    assert [(m, p) for m, p, _ in sent[4:]] == [
        ("POST", "/proxies/postgres"),
        ("GET", "/proxies/postgres/toxics"),
        ("DELETE", "/proxies/postgres/toxics/stackcheck-fault"),
    ]
