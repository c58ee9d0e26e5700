"""A loopback TCP relay in front of a dependency stackcheck did not start, so the drill can interrupt it.

``health.ready_dependencies`` may name any TCP (or HTTP) dependency: ``{name: search, address:
127.0.0.1:9200}``. stackcheck cannot stop somebody else's server, but it can stand between it and the service:
the service is given the relay's address (placeholder ``{dep_search}``), and the readiness drill then

* **stops** the relay: the listening socket closes and every relayed connection is cut, so new connections
  are refused, as when the dependency is down;
* **pauses** it: connections are still accepted (as a frozen server's kernel still completes handshakes) but
  no byte is passed on either way, so a request hangs until the service's own timeout.

One thread does all the relaying (``selectors``), for at most :data:`MAX_CONNECTIONS` connections at once
(more are accepted and closed); every socket operation has a timeout. :meth:`Relay.close` (and the
interpreter's exit: the thread is a daemon) ends it; the run's session fixture closes it on every way out,
signals included (:mod:`stackcheck.interrupt` turns them into ``KeyboardInterrupt``).
"""

from __future__ import annotations

import contextlib
import queue
import selectors
import socket
import threading
from collections.abc import Callable
from types import TracebackType
from typing import Self

from stackcheck._exceptions import CouldNotCheck, ErrorReason
from stackcheck.probes.loopback import Refusal, require_loopback
from stackcheck.profile.fields import split_address
from stackcheck.profile.http import ReadyDependency
from stackcheck.profile.models import Profile

__all__ = [
    "CONNECT_TIMEOUT_S",
    "MAX_CONNECTIONS",
    "Relay",
    "other_dependencies",
    "require_loopback_dependencies",
]

MAX_CONNECTIONS = 64  # relayed connection pairs at once; a service's pool is far smaller
CONNECT_TIMEOUT_S = 2.0  # to the dependency, per connection
SEND_TIMEOUT_S = 5.0  # a peer that does not read for this long loses its connection
_CHUNK = 65536
_COMMAND_TIMEOUT_S = 10.0
_RELAY_REFUSAL = Refusal(
    "health.ready_dependencies: {what} at {host} is not a loopback address; the drill relays traffic to "
    "127.0.0.0/8 or ::1 only",
    "pass --allow-remote to relay to that host on purpose",
)


def other_dependencies(profile: Profile) -> list[ReadyDependency]:
    """The dependencies of ``health.ready_dependencies`` that are not the run's own Postgres or Redis."""
    deps = profile.health.ready_dependencies if profile.health is not None else []
    return [d for d in deps if isinstance(d, ReadyDependency)]


def require_loopback_dependencies(profile: Profile, allow_remote: bool) -> None:
    """:class:`UsageError` (exit 2) when a relayed dependency is not on loopback and remote is not allowed."""
    for dep in other_dependencies(profile):
        host, port = split_address(dep.address)
        literal = f"[{host}]" if ":" in host else host
        require_loopback(f"tcp://{literal}:{port}", allow_remote, f"dependency {dep.name}", _RELAY_REFUSAL)


class Relay:
    """``with Relay("search", "127.0.0.1:9200") as relay: relay.address`` — forwards 127.0.0.1:PORT there.

    :meth:`stop`/:meth:`start` and :meth:`pause`/:meth:`resume` are the drill's controls (the same as a
    server stackcheck started: :class:`stackcheck.infra.base.Control`); they return once the relay thread
    has applied them.
    """

    managed = True  # the drill may interrupt it: stackcheck owns the relay, never the dependency

    def __init__(self, name: str, upstream: str) -> None:
        self.name = name
        self.upstream = upstream
        self.host, self.port_upstream = split_address(upstream)
        self.port = 0
        self._selector = selectors.DefaultSelector()
        self._listener: socket.socket | None = None
        self._peers: dict[socket.socket, socket.socket] = {}
        self._held: list[socket.socket] = []  # accepted while paused: kept open, nothing passed on
        self._paused = False
        self._commands: queue.Queue[tuple[Callable[[], None], threading.Event, list[BaseException]]] = (
            queue.Queue()
        )
        self._wake_r, self._wake_w = socket.socketpair()
        self._wake_r.setblocking(False)
        self._selector.register(self._wake_r, selectors.EVENT_READ, "wake")
        self._thread = threading.Thread(target=self._run, name=f"stackcheck-relay-{name}", daemon=True)
        self._closing = False
        self.accepted = 0  # connections accepted in all (evidence)

    @property
    def address(self) -> str:
        """Where the service must connect: ``127.0.0.1:PORT`` (the ``{dep_NAME}`` placeholder's value)."""
        return f"127.0.0.1:{self.port}"

    @property
    def display(self) -> str:
        """``search (127.0.0.1:9200 via 127.0.0.1:41234)``."""
        return f"{self.name} ({self.upstream} via {self.address})"

    # ---- lifecycle ---------------------------------------------------------------------------------

    def open(self) -> Self:
        """Bind a free loopback port and start relaying (the dependency need not be up yet)."""
        self._listen(0)
        self._thread.start()
        return self

    def check_upstream(self) -> None:
        """:class:`CouldNotCheck` (unreachable) unless the dependency accepts a connection now."""
        try:
            socket.create_connection((self.host, self.port_upstream), timeout=CONNECT_TIMEOUT_S).close()
        except OSError as exc:
            raise CouldNotCheck(
                f"dependency {self.name} at {self.upstream} does not accept connections ({exc}): start it "
                "before the drill, or correct its address in health.ready_dependencies",
                ErrorReason.UNREACHABLE,
            ) from None

    def _listen(self, port: int) -> None:
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            listener.bind(("127.0.0.1", port))
        except OSError as exc:
            listener.close()
            raise CouldNotCheck(
                f"the relay of {self.name} cannot listen on 127.0.0.1:{port} again: {exc}",
                ErrorReason.START_FAILED,
            ) from None
        listener.listen(MAX_CONNECTIONS)
        listener.setblocking(False)
        self.port = listener.getsockname()[1]
        self._listener = listener
        self._selector.register(listener, selectors.EVENT_READ, "accept")

    def stop(self) -> None:
        """Refuse new connections and cut the relayed ones (the dependency looks down)."""
        self._do(self._stop_now)

    def start(self) -> None:
        """Listen on the same port again after :meth:`stop`."""
        self._do(lambda: self._listen(self.port) if self._listener is None else None)

    def pause(self) -> None:
        """Keep accepting connections but pass no byte on (the dependency looks frozen)."""
        self._do(self._pause_now)

    def resume(self) -> None:
        """Pass bytes on again; connections accepted while paused are connected to the dependency now."""
        self._do(self._resume_now)

    def close(self) -> None:
        """End the relay for good: every socket closed, the thread ended. Idempotent."""
        if self._closing:
            return
        try:
            self._do(self._stop_now)
        finally:
            self._closing = True
            self._wake()
            if self._thread.is_alive():
                self._thread.join(_COMMAND_TIMEOUT_S)
            self._selector.close()
            self._wake_r.close()
            self._wake_w.close()

    def __enter__(self) -> Self:
        return self.open()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    # ---- the relay thread --------------------------------------------------------------------------

    def _do(self, command: Callable[[], None]) -> None:
        """Run ``command`` in the relay thread and wait for it (its exception is raised here)."""
        if not self._thread.is_alive():
            command()
            return
        done = threading.Event()
        errors: list[BaseException] = []
        self._commands.put((command, done, errors))
        self._wake()
        if not done.wait(_COMMAND_TIMEOUT_S):
            raise CouldNotCheck(f"the relay of {self.name} did not answer", ErrorReason.INTERNAL)
        if errors:
            raise errors[0]

    def _wake(self) -> None:
        with contextlib.suppress(OSError):
            self._wake_w.send(b"\0")

    def _run(self) -> None:
        while not self._closing:
            for key, _ in self._selector.select(timeout=0.5):
                if key.data == "wake":
                    self._drain_wake()
                elif key.data == "accept":
                    self._accept()
                else:
                    self._forward(key.fileobj)  # type: ignore[arg-type]
            self._run_commands()

    def _drain_wake(self) -> None:
        try:
            while self._wake_r.recv(4096):
                pass
        except (BlockingIOError, OSError):
            pass

    def _run_commands(self) -> None:
        while True:
            try:
                command, done, errors = self._commands.get_nowait()
            except queue.Empty:
                return
            try:
                command()
            except BaseException as exc:  # handed to the caller of _do
                errors.append(exc)
            done.set()

    def _accept(self) -> None:
        if self._listener is None:
            return
        try:
            client, _ = self._listener.accept()
        except (BlockingIOError, OSError):
            return
        self.accepted += 1
        if len(self._peers) // 2 + len(self._held) >= MAX_CONNECTIONS:
            client.close()
            return
        client.settimeout(SEND_TIMEOUT_S)
        if self._paused:
            self._held.append(client)
            return
        self._connect(client)

    def _connect(self, client: socket.socket) -> None:
        try:
            upstream = socket.create_connection((self.host, self.port_upstream), timeout=CONNECT_TIMEOUT_S)
        except OSError:
            client.close()  # the dependency itself is down: so is the relayed connection
            return
        upstream.settimeout(SEND_TIMEOUT_S)
        self._peers[client] = upstream
        self._peers[upstream] = client
        self._selector.register(client, selectors.EVENT_READ, "pair")
        self._selector.register(upstream, selectors.EVENT_READ, "pair")

    def _forward(self, source: socket.socket) -> None:
        peer = self._peers.get(source)
        if peer is None:
            return
        try:
            data = source.recv(_CHUNK)
            if data:
                peer.sendall(data)
                return
        except OSError:
            pass
        self._drop(source)

    def _drop(self, sock: socket.socket) -> None:
        """Close ``sock`` and its peer (a pair lives and ends together)."""
        peer = self._peers.pop(sock, None)
        if peer is None:
            return  # dropped already, with its peer
        self._peers.pop(peer, None)
        for s in (sock, peer):
            if not self._paused:
                self._selector.unregister(s)
            s.close()

    def _stop_now(self) -> None:
        if self._listener is not None:
            self._selector.unregister(self._listener)
            self._listener.close()
            self._listener = None
        for sock in list(self._peers):
            self._drop(sock)
        for held in self._held:
            held.close()
        self._held.clear()
        self._paused = False

    def _pause_now(self) -> None:
        if self._paused:
            return
        self._paused = True
        for sock in self._peers:
            self._selector.unregister(sock)  # nothing read, so nothing passed on, while paused

    def _resume_now(self) -> None:
        if not self._paused:
            return
        self._paused = False
        for sock in self._peers:
            self._selector.register(sock, selectors.EVENT_READ, "pair")
        held, self._held = self._held, []
        for client in held:
            self._connect(client)
