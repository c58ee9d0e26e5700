"""A throwaway HAProxy in front of two launches of the service (blue and green), steered by its runtime API.

stackcheck writes the configuration to a directory of the run's own, binds the frontend to a free loopback
port and the runtime API to a unix socket in that directory, runs ``haproxy -db`` in a process group of its
own (stopped by PID on every way out: :mod:`stackcheck.interrupt` knows the group) and removes the directory
afterwards. Every answer HAProxy relays carries the name of the server that gave it (``X-Stackcheck-Server``),
so the drill's load knows which of the two served each request.
"""

from __future__ import annotations

import csv
import os
import shutil
import socket
import subprocess
import tempfile
from pathlib import Path
from typing import IO, Self

from stackcheck import interrupt
from stackcheck._exceptions import CouldNotCheck, ErrorReason
from stackcheck.infra.processes import output_tail, stop_process
from stackcheck.probes.loopback import free_port
from stackcheck.wait import wait_until

__all__ = [
    "APT_PACKAGE",
    "BACKEND",
    "SERVER_HEADER",
    "HAProxy",
    "ServerState",
    "find_haproxy",
    "render_config",
]

APT_PACKAGE = "haproxy"
BACKEND = "bk"
SERVER_HEADER = "X-Stackcheck-Server"
START_TIMEOUT_S = 10.0
API_TIMEOUT_S = 5.0
API_LIMIT = 200_000  # bytes read from one runtime API answer (two servers' stats are a few kB)
# Where Debian installs it: /usr/sbin is not on a non-root user's PATH.
_SBIN_DIRS = ("/usr/local/sbin", "/usr/sbin", "/sbin")


def find_haproxy(path: str | None) -> Path | None:
    """``haproxy`` from ``path`` (a PATH value), else from the sbin folders Debian installs it in."""
    search = os.pathsep.join([*([path] if path else []), *_SBIN_DIRS])
    found = shutil.which("haproxy", path=search)
    return Path(found) if found else None


class ServerState:
    """One server of the backend as ``show stat`` reports it."""

    def __init__(self, row: dict[str, str]) -> None:
        self.status = row.get("status", "")  # UP, DOWN, MAINT, "UP 1/2", no check: "no check"
        self.check_status = row.get("check_status", "")  # L7OK, L7STS, L4CON, INI, ... ("" without checks)
        self.check_code = row.get("check_code", "")  # the HTTP status of the last check
        self.weight = int(row.get("weight") or 0)

    @property
    def healthy(self) -> bool:
        """Fully up by its own checks: the last check passed and HAProxy counts the server UP."""
        return self.status == "UP" and self.check_status == "L7OK"

    def summary(self) -> str:
        """``UP, check L7OK 200, weight 0``."""
        check = " ".join(p for p in (self.check_status, self.check_code) if p) or "none"
        return f"{self.status or '?'}, check {check}, weight {self.weight}"


def render_config(
    port: int,
    socket_path: Path,
    servers: dict[str, int],
    health_path: str | None,
    enabled: str,
    tls: bool = False,
) -> str:
    """The configuration: one frontend on ``port``, one backend of ``servers`` (name → port) of which only
    ``enabled`` has weight; ``health_path`` arms ``option httpchk`` (``None``: no checks at all); ``tls``:
    the servers speak HTTPS (traffic and checks)."""
    # Unverified TLS on the loopback hop to launches of the drill's own: each issues itself a certificate
    # from a throwaway CA that exists only once it has started (after HAProxy), and certificates are the
    # tls suite's business, not the switch's.
    check = (" ssl verify none" if tls else "") + (" check inter 200ms fall 2 rise 2" if health_path else "")
    lines = [
        "global",
        f"    stats socket {socket_path} mode 600 level admin",
        "    maxconn 256",
        "defaults",
        "    mode http",
        "    timeout connect 2s",
        "    timeout client 15s",
        "    timeout server 15s",
        # No retries and no redispatch: a request HAProxy cannot deliver must show as failed, not be hidden.
        "    retries 0",
        "frontend fe",
        f"    bind 127.0.0.1:{port}",
        f"    default_backend {BACKEND}",
        f"backend {BACKEND}",
        "    balance roundrobin",
        f"    http-response set-header {SERVER_HEADER} %s",
    ]
    if health_path:
        lines += [f"    option httpchk GET {health_path}", "    http-check expect rstatus ^2[0-9][0-9]$"]
    for name, server_port in servers.items():
        weight = 100 if name == enabled else 0
        lines.append(f"    server {name} 127.0.0.1:{server_port} weight {weight}{check}")
    return "\n".join(lines) + "\n"


class HAProxy:
    """``with HAProxy(binary, servers, health_path, enabled="blue", tls=False) as proxy: proxy.url``; the
    frontend always speaks plain HTTP on loopback."""

    APT_PACKAGE = APT_PACKAGE
    SERVER_HEADER = SERVER_HEADER

    def __init__(
        self,
        binary: Path,
        servers: dict[str, int],
        health_path: str | None,
        enabled: str,
        tls: bool = False,
    ) -> None:
        self.binary = binary
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self._dir = Path(tempfile.mkdtemp(prefix="stackcheck-haproxy-"))
        self.socket_path = self._dir / "admin.sock"
        self.config_path = self._dir / "haproxy.cfg"
        self.config_path.write_text(
            render_config(self.port, self.socket_path, servers, health_path, enabled, tls)
        )
        self._proc: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] = tempfile.TemporaryFile()  # noqa: SIM115 - closed in stop()

    def start(self) -> Self:
        """Check the configuration, start HAProxy and wait for its runtime API; CouldNotCheck if it does
        not come up (with the end of what it printed)."""
        argv = [str(self.binary), "-db", "-f", str(self.config_path)]
        try:
            self._proc = subprocess.Popen(
                argv, stdout=self._log, stderr=self._log, stdin=subprocess.DEVNULL, start_new_session=True
            )
        except OSError as exc:
            self.stop()
            raise CouldNotCheck(f"cannot start {self.binary}: {exc}", ErrorReason.START_FAILED) from None
        interrupt.track(self._proc)
        try:
            up = wait_until(self._answers, START_TIMEOUT_S, 0.05, what=f"HAProxy ({self.binary})")
        except BaseException:
            self.stop()
            raise
        if not up:
            tail = self.log_tail()
            self.stop()
            raise CouldNotCheck(
                f"HAProxy did not come up within {START_TIMEOUT_S:g} s: {tail}", ErrorReason.START_FAILED
            )
        return self

    def _answers(self) -> bool:
        if self._proc is not None and self._proc.poll() is not None:
            return True  # ended: start() reports it with its output
        try:
            self.command("show info")
        except OSError:
            return False
        return True

    def command(self, line: str) -> str:
        """Send one runtime API command line (several joined by ``;``) and return the answer."""
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as sock:
            sock.settimeout(API_TIMEOUT_S)
            sock.connect(str(self.socket_path))
            sock.sendall(line.encode() + b"\n")
            chunks: list[bytes] = []
            size = 0
            while size < API_LIMIT:
                chunk = sock.recv(65536)
                if not chunk:
                    break
                chunks.append(chunk)
                size += len(chunk)
        return b"".join(chunks).decode(errors="replace")[:API_LIMIT]

    def set_weights(self, weights: dict[str, int]) -> None:
        """Set the weights of servers in one command line (HAProxy applies them together); CouldNotCheck
        when HAProxy answers anything but nothing."""
        line = "; ".join(f"set server {BACKEND}/{name} weight {w}" for name, w in weights.items())
        try:
            answer = self.command(line).strip()
        except OSError as exc:
            raise CouldNotCheck(f"HAProxy's runtime API failed: {exc}", ErrorReason.UNREACHABLE) from None
        if answer:
            raise CouldNotCheck(f"HAProxy refused {line!r}: {answer[:200]}", ErrorReason.UNEXPECTED_ANSWER)

    def servers(self) -> dict[str, ServerState]:
        """The backend's servers by name (``show stat``)."""
        try:
            text = self.command("show stat")
        except OSError as exc:
            raise CouldNotCheck(f"HAProxy's runtime API failed: {exc}", ErrorReason.UNREACHABLE) from None
        rows = csv.DictReader(text.removeprefix("# ").splitlines())
        return {
            row["svname"]: ServerState(row)
            for row in rows
            if row.get("pxname") == BACKEND and row.get("svname") not in (None, "BACKEND", "FRONTEND")
        }

    def log_tail(self, limit: int = 400) -> str:
        """The end of what HAProxy printed."""
        return output_tail(self._log, limit)

    @property
    def pid(self) -> int | None:
        """The HAProxy process's id once started."""
        return self._proc.pid if self._proc is not None else None

    def running(self) -> bool:
        """Whether the HAProxy process is still up."""
        return self._proc is not None and self._proc.poll() is None

    def stop(self) -> None:
        """Stop HAProxy by its PID (its process group) and remove the run's directory."""
        stop_process(self._proc, group=True)
        self._log.close()
        shutil.rmtree(self._dir, ignore_errors=True)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()
