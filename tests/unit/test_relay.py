"""The drill's loopback relay: it forwards, stops (refuses), pauses (hangs), comes back, and is bounded."""

from __future__ import annotations

import socket
import socketserver
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from stackcheck import CouldNotCheck, UsageError
from stackcheck.infra.relay import MAX_CONNECTIONS, Relay, require_loopback_dependencies
from stackcheck.profile import load_profile
from stackcheck.profile.models import Profile


class _Echo(socketserver.BaseRequestHandler):
    def handle(self) -> None:
        while data := self.request.recv(4096):
            self.request.sendall(data)


@pytest.fixture
def echo() -> Iterator[str]:
    """A TCP echo server on a free loopback port (the dependency)."""
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), _Echo)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def _port(relay: Relay) -> tuple[str, int]:
    return ("127.0.0.1", relay.port)


def roundtrip(relay: Relay, payload: bytes = b"ping", timeout: float = 2.0) -> bytes:
    with socket.create_connection(_port(relay), timeout=timeout) as conn:
        conn.sendall(payload)
        return conn.recv(4096)


def test_the_relay_forwards_both_ways(echo: str) -> None:
    with Relay("search", echo) as relay:
        assert relay.address.startswith("127.0.0.1:") and relay.address != echo
        assert roundtrip(relay) == b"ping"
        relay.check_upstream()
        assert "search (" in relay.display and echo in relay.display


def test_stop_refuses_and_cuts_connections_start_listens_on_the_same_port(echo: str) -> None:
    with Relay("search", echo) as relay:
        port = relay.port
        held = socket.create_connection(_port(relay), timeout=2)
        held.sendall(b"a")
        assert held.recv(10) == b"a"
        relay.stop()
        assert held.recv(10) == b""  # the relayed connection was cut
        held.close()
        with pytest.raises(ConnectionRefusedError):
            socket.create_connection(_port(relay), timeout=2).close()
        relay.start()
        assert relay.port == port and roundtrip(relay) == b"ping"


def test_pause_accepts_but_passes_nothing_on_until_resume(echo: str) -> None:
    with Relay("search", echo) as relay:
        relay.pause()
        conn = socket.create_connection(
            _port(relay), timeout=0.5
        )  # accepted, as a frozen server's kernel does
        conn.sendall(b"late")
        with pytest.raises(TimeoutError):
            conn.recv(10)
        relay.resume()
        conn.settimeout(2)
        assert conn.recv(10) == b"late"  # held, then relayed once resumed
        conn.close()
        assert roundtrip(relay) == b"ping"


def test_an_existing_connection_hangs_while_paused(echo: str) -> None:
    with Relay("search", echo) as relay:
        conn = socket.create_connection(_port(relay), timeout=0.5)
        conn.sendall(b"1")
        assert conn.recv(10) == b"1"
        relay.pause()
        conn.sendall(b"2")
        with pytest.raises(TimeoutError):
            conn.recv(10)
        relay.resume()
        conn.settimeout(2)
        assert conn.recv(10) == b"2"
        conn.close()


def test_connections_beyond_the_bound_are_closed(echo: str) -> None:
    with Relay("search", echo) as relay:
        relay.pause()  # held connections count against the bound too
        conns = [socket.create_connection(_port(relay), timeout=2) for _ in range(MAX_CONNECTIONS + 1)]
        try:
            assert conns[-1].recv(10) == b""  # accepted and closed
        finally:
            for conn in conns:
                conn.close()


def test_an_unreachable_dependency_is_could_not_check_naming_it() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        free = sock.getsockname()[1]
    with Relay("search", f"127.0.0.1:{free}") as relay:
        with pytest.raises(CouldNotCheck, match=r"dependency search at 127.0.0.1:\d+ does not accept"):
            relay.check_upstream()
        with socket.create_connection(_port(relay), timeout=2) as conn:
            assert conn.recv(10) == b""  # relayed to nothing: closed at once


def test_close_is_idempotent_and_ends_the_thread(echo: str) -> None:
    relay = Relay("search", echo).open()
    relay.close()
    relay.close()
    assert not any(t.name == "stackcheck-relay-search" for t in threading.enumerate())


def test_a_remote_dependency_is_a_usage_error_unless_allowed() -> None:
    profile = Profile.model_validate(
        {"name": "x", "health": {"ready_dependencies": [{"name": "search", "address": "192.0.2.10:9200"}]}}
    )
    with pytest.raises(UsageError, match=r"dependency search at 192\.0\.2\.10 is not a loopback address"):
        require_loopback_dependencies(profile, allow_remote=False)
    require_loopback_dependencies(profile, allow_remote=True)
    ipv6 = Profile.model_validate(
        {"name": "x", "health": {"ready_dependencies": [{"name": "search", "address": "[::1]:9200"}]}}
    )
    require_loopback_dependencies(ipv6, allow_remote=False)


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        (
            "search",
            "health.ready_dependencies[0]: 'search' is not one of the run's servers (postgres, redis): write "
            "any other dependency as {name: search, address: HOST:PORT}",
        ),
        (
            {"name": "search", "address": "9200"},
            "health.ready_dependencies[0].address: '9200' is not HOST:PORT",
        ),
        (
            {"name": "redis", "address": "127.0.0.1:6380"},
            "'redis' is the run's own server: list it as `redis`",
        ),
        ({"name": "search"}, "health.ready_dependencies[0].address: required key is missing"),
        ({"name": "search", "address": "::1:9200"}, "write an IPv6 address in brackets"),
    ],
)
def test_dependency_mistakes_name_the_entry_and_the_fix(tmp_path: Path, entry: object, message: str) -> None:
    path = tmp_path / "p.yaml"
    path.write_text(yaml.safe_dump({"name": "x", "health": {"ready_dependencies": [entry]}}))
    with pytest.raises(UsageError) as info:
        load_profile(path)
    assert message in str(info.value)


def test_a_dependency_listed_twice_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "p.yaml"
    search = {"name": "search", "address": "127.0.0.1:9200"}
    path.write_text(yaml.safe_dump({"name": "x", "health": {"ready_dependencies": [search, search]}}))
    with pytest.raises(UsageError, match="search listed twice"):
        load_profile(path)
