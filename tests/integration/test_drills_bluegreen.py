"""``drill.bluegreen`` through the CLI, both ways: two launches of the reference service behind the HAProxy
stackcheck starts, green the same build (passes), green with a health defect (the gate refuses it: passes),
green broken behind a healthy health path, or switched to without a gate (fails), and a blue that is not
healthy to begin with (error, never failed)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from stackcheck.catalog import bluegreen
from stackcheck.infra.haproxy import find_haproxy
from tests.integration.conftest import REPO, verify
from tests.integration.test_ready_drill import processes_running

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(
        find_haproxy(None) is None, reason="haproxy is not installed (apt-get install haproxy)"
    ),
]

REFSERVICE = ["{python}", "-m", "fixtures.refservice", "--profile", "{profile}", "--port", "{port}"]
EXIT_CODES = {"passed": 0, "failed": 1, "error": 3}
READY = {"live": "/health/live", "ready": "/health/ready"}


def bluegreen_run(
    tmp_path: Path,
    green: list[str] | None = None,
    blue: list[str] | None = None,
    health: dict[str, str | None] | None = None,
    https: bool = False,
    **deploy: Any,
) -> dict[str, Any]:
    """``stackcheck verify --suite drills`` of a profile with a service and a deploy section; the drill's one
    result, after checking that no service or HAProxy of the run is left behind."""
    body: dict[str, Any] = {
        "name": "bluegreen-drill",
        "health": health or READY,
        "service": {
            "command": blue or REFSERVICE,
            "cwd": str(REPO),
            **({"scheme": "https", "ca_bundle": "{tls_dir}/ca.pem"} if https else {}),
        },
        "deploy": {"rollback_window_s": 30, **({"green_command": green} if green else {}), **deploy},
    }
    profile = tmp_path / "bluegreen.yaml"
    profile.write_text(yaml.safe_dump(body))
    run = verify(profile, "--suite", "drills", "--infra", "local", report_dir=tmp_path / "r")
    assert processes_running(str(profile)) == [], "the drill left a service it launched running"
    (result,) = run.results(bluegreen.BLUEGREEN.id)
    assert run.code == EXIT_CODES[result["status"]], run.stdout + run.stderr
    pid = result["evidence"]["details"].get("proxy_pid")
    if pid is not None:  # the run's HAProxy is gone (a PID taken again since would not be ours)
        cmdline = Path(f"/proc/{pid}/cmdline")
        assert not cmdline.exists() or b"stackcheck-haproxy-" not in cmdline.read_bytes()
    return result


def test_a_healthy_green_of_the_same_build_takes_the_traffic_and_gives_it_back_without_a_failure(
    tmp_path: Path,
) -> None:
    result = bluegreen_run(tmp_path)
    assert result["status"] == "passed", result["message"]
    evidence = result["evidence"]
    details = evidence["details"]
    assert (evidence["expected"], evidence["observed"], evidence["unit"]) == (0, 0, "requests")
    assert details["gate"] == "opened" and details["health_path"] == "/health/ready"
    phases = details["phases"]
    assert list(phases) == ["before_switch", "during_switch", "on_green", "during_rollback", "after_rollback"]
    assert all(p["failed"] == 0 for p in phases.values()), phases
    assert set(phases["before_switch"]["by_server"]) == {"blue"} and phases["before_switch"]["sent"] >= 20
    assert set(phases["on_green"]["by_server"]) == {"green"} and phases["on_green"]["sent"] >= 20
    assert set(phases["after_rollback"]["by_server"]) == {"blue"} and phases["after_rollback"]["sent"] >= 20
    assert details["switch_s"] is not None and details["rollback_s"] is not None
    assert 0 < details["rolled_back_after_s"] <= 30 and details["green_after_rollback"] == 0


@pytest.mark.parametrize(
    ("defect", "health"),
    [("ready-failing", READY), ("missing=/health", {"live": "/health", "ready": None})],
    ids=["ready-failing", "missing-health"],
)
def test_a_green_whose_health_fails_is_refused_by_the_gate_and_blue_keeps_the_traffic(
    tmp_path: Path, defect: str, health: dict[str, str | None]
) -> None:
    result = bluegreen_run(tmp_path, green=[*REFSERVICE, "--defect", defect], health=health)
    assert result["status"] == "passed", result["message"]
    details = result["evidence"]["details"]
    assert details["gate"] == "refused"
    assert details["gate_reason"].startswith(f"GET {health['ready'] or health['live']} answered")
    assert "DOWN" in details["green_in_haproxy"]
    assert list(details["phases"]) == ["before_switch", "after_refusal"] and details["switch_s"] is None
    assert all(set(p["by_server"]) == {"blue"} for p in details["phases"].values()), details["phases"]
    assert result["message"].startswith("the gate refused green")


def test_a_switch_without_a_health_gate_to_an_unhealthy_green_fails(tmp_path: Path) -> None:
    result = bluegreen_run(tmp_path, green=[*REFSERVICE, "--defect", "ready-failing"], health_gate=False)
    details = result["evidence"]["details"]
    assert result["status"] == "failed", details
    assert details["gate"] == "skipped" and 503 in details["green_health"], details
    assert set(details["phases"]["on_green"]["by_server"]) == {"green"}, details
    assert "traffic was switched to green while GET /health/ready answered 503" in result["message"]


def test_a_green_whose_health_hides_its_failures_fails(tmp_path: Path) -> None:
    # Green's health path answers 200, the page the load asks for answers 500: the gate lets it through.
    result = bluegreen_run(
        tmp_path, green=[*REFSERVICE, "--defect", "failing=/health/live"], load_path="/health/live"
    )
    assert result["status"] == "failed"
    details = result["evidence"]["details"]
    assert details["gate"] == "opened"
    phases = details["phases"]
    on_green = phases["on_green"]
    assert on_green["failed"] == on_green["sent"] >= 20 and on_green["failures"] == ["500"], phases
    assert phases["before_switch"]["failed"] == phases["after_rollback"]["failed"] == 0, phases
    assert result["evidence"]["observed"] >= 20
    message = result["message"]
    assert "requests did not get 200 (500): " in message and f"on_green {on_green['sent']} of " in message


def test_a_blue_that_is_not_healthy_before_the_drill_is_error_not_failed(tmp_path: Path) -> None:
    result = bluegreen_run(tmp_path, blue=[*REFSERVICE, "--defect", "ready-failing"])
    assert result["status"] == "error"
    assert "no healthy version to switch from" in result["message"]


def test_a_service_that_speaks_https_is_switched_through_haproxy_over_tls(tmp_path: Path) -> None:
    tls = [*REFSERVICE, "--tls-dir", "{tls_dir}"]
    result = bluegreen_run(tmp_path, blue=tls, https=True)
    assert result["status"] == "passed", result["message"]
    details = result["evidence"]["details"]
    assert details["gate"] == "opened" and set(details["phases"]["on_green"]["by_server"]) == {"green"}
