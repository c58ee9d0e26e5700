"""The blue-green drill's parts at their seams: the HAProxy configuration, ``show stat`` rows, finding the
binary, and the paced load against a real loopback HTTP server (no proxy, no service)."""

from __future__ import annotations

from http.server import ThreadingHTTPServer
from pathlib import Path

import pytest

from stackcheck.infra import haproxy
from stackcheck.infra.haproxy import ServerState, find_haproxy, render_config
from stackcheck.probes.loopback import free_port
from stackcheck.probes.paced import PacedLoad
from stackcheck.wait import wait_until
from tests.unit.test_drain_probes import server  # noqa: F401 - the loopback server fixture


def test_the_config_gives_weight_to_one_server_and_checks_both_only_with_a_health_path() -> None:
    text = render_config(
        8080, Path("/run/x/admin.sock"), {"blue": 9001, "green": 9002}, "/health/ready", "blue"
    )
    assert "    bind 127.0.0.1:8080" in text
    assert "stats socket /run/x/admin.sock mode 600 level admin" in text
    assert "server blue 127.0.0.1:9001 weight 100 check inter 200ms fall 2 rise 2" in text
    assert "server green 127.0.0.1:9002 weight 0 check inter 200ms fall 2 rise 2" in text
    assert "option httpchk GET /health/ready" in text and "retries 0" in text
    assert "http-response set-header X-Stackcheck-Server %s" in text
    unchecked = render_config(8080, Path("/s"), {"blue": 9001, "green": 9002}, None, "green")
    assert "httpchk" not in unchecked and " check" not in unchecked
    assert "server green 127.0.0.1:9002 weight 100\n" in unchecked


def test_a_server_is_healthy_only_up_by_a_passed_check() -> None:
    up = ServerState({"status": "UP", "check_status": "L7OK", "check_code": "200", "weight": "0"})
    assert up.healthy and up.summary() == "UP, check L7OK 200, weight 0"
    going_down = ServerState({"status": "UP 1/2", "check_status": "L7STS", "check_code": "503"})
    unchecked = ServerState({"status": "no check", "check_status": "", "weight": "100"})
    assert not going_down.healthy and not unchecked.healthy
    assert unchecked.summary() == "no check, check none, weight 100"


def test_haproxy_is_found_on_the_path_or_in_the_sbin_folders_and_none_without(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(haproxy, "_SBIN_DIRS", ())
    assert find_haproxy(str(tmp_path)) is None
    binary = tmp_path / "haproxy"
    binary.write_text("#!/bin/sh\n")
    binary.chmod(0o755)
    assert find_haproxy(str(tmp_path)) == binary
    monkeypatch.setattr(haproxy, "_SBIN_DIRS", (str(tmp_path),))
    assert find_haproxy(None) == binary


def test_the_paced_load_stops_at_its_request_cap_and_records_every_answer(
    server: ThreadingHTTPServer,  # noqa: F811 - the imported fixture
) -> None:
    port = server.server_address[1]
    load = PacedLoad(port, "/draining", 100, 10, 30, "X-Stackcheck-Server").start()
    assert wait_until(lambda: load.answered() == 10, 20, 0.02)
    answers = load.stop()
    assert [(a.status, a.server) for a in answers] == [(503, None)] * 10  # no proxy: no server named
    assert all(a.sent_at <= a.done_at for a in answers)


def test_a_request_nobody_answers_is_recorded_with_its_error() -> None:
    load = PacedLoad(free_port(), "/", 50, 3, 30, "X-Stackcheck-Server", timeout_s=2).start()
    assert wait_until(lambda: load.answered() == 3, 20, 0.02)
    answers = load.stop()
    assert [(a.status, a.summary()) for a in answers] == [(None, "ConnectionRefusedError")] * 3


def test_the_deploy_section_has_its_defaults_and_rejects_what_it_does_not_know() -> None:
    from pydantic import ValidationError

    from stackcheck.profile.deploy import DeploySection

    section = DeploySection()
    assert (section.strategy, section.load_path, section.rollback_window_s) == ("bluegreen", "/", 60)
    assert (section.switch_requests, section.rate_per_s, section.health_gate) == (20, 20, True)
    assert section.health_path is None and section.green_command is None
    for bad in (
        {"strategy": "canary"},
        {"rollback_window": 60},
        {"switch_requests": 1},
        {"load_path": "api"},
    ):
        with pytest.raises(ValidationError):
            DeploySection.model_validate(bad)
    with pytest.raises(ValidationError):  # frozen
        section.rate_per_s = 5  # type: ignore[misc]
