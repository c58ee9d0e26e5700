"""`exposure.closed_ports` ("No public database access"; "Port 6379 (Redis) from app only"): a real Redis
(Debian's redis-server) listening on the target's host is reachable from the runner and fails the check,
naming the port; the same Redis bound to another address (127.0.0.2, "the private network") passes, as
does a port nobody listens on. Every connection goes to loopback."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from conftest import CliRun
from fixtures.datastores import LocalRedis
from stackcheck.infra.local import find_redis_server
from tests.integration.http_surface import result

pytestmark = [
    pytest.mark.integration,
    pytest.mark.skipif(find_redis_server() is None, reason="redis-server is not installed"),
]


def _profile(tmp_path: Path, *ports: int) -> Path:
    path = tmp_path / "ports.yaml"
    listed = ", ".join(str(p) for p in ports)
    path.write_text(
        "name: ports\nhealth: {live: /health/live, ready: null}\n"
        f"exposure: {{builtin: false, closed_ports: [{listed}]}}\n"
        "claims:\n  - {id: no-public-db, text: No public database access, source: 'adr.md:1', "
        "verified_by: [exposure.closed_ports]}\n"
    )
    return path


def _verify(run_cli: Callable[..., CliRun], profile: Path, url: str) -> CliRun:
    return run_cli("verify", "--profile", str(profile), "--target", url, "--suite", "exposure")


def test_a_datastore_port_open_to_the_runner_fails_naming_it(
    tmp_path: Path, refservice: Callable[..., Any], run_cli: Callable[..., CliRun]
) -> None:
    service = refservice()
    with LocalRedis() as redis:  # on 127.0.0.1, the target's host
        run = _verify(run_cli, _profile(tmp_path, redis.port), service.url)
    assert run.code == 1, run.stdout + run.stderr
    check = result(run, "exposure.closed_ports")
    assert check["status"] == "failed" and str(redis.port) in check["message"]
    assert check["evidence"]["details"]["ports"] == {str(redis.port): "open"}
    assert {c["id"]: c["status"] for c in run.report["claims"]} == {"no-public-db": "violated"}


def test_a_datastore_on_another_address_and_a_closed_port_pass(
    tmp_path: Path, refservice: Callable[..., Any], run_cli: Callable[..., CliRun]
) -> None:
    service = refservice()
    with LocalRedis(host="127.0.0.2") as redis:  # reachable by "the application", not on the target's host
        assert redis.admin(["PING"]) == [True]
        run = _verify(run_cli, _profile(tmp_path, redis.port), service.url)
    assert run.code == 0, run.stdout + run.stderr
    check = result(run, "exposure.closed_ports")
    assert check["status"] == "passed" and check["evidence"]["details"]["ports"] == {
        str(redis.port): "refused"
    }
