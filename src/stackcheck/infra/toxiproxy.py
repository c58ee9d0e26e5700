"""Shopify's toxiproxy as the fault injector of the resilience drills: a proxy per dependency, toxics on cue.

stackcheck starts ``toxiproxy-server`` itself, API and every proxy on loopback, creates one proxy in front of
each of the run's servers (Postgres, Redis) and hands the service the proxy's address instead of the
server's. The drill then injects faults through the HTTP API: a ``latency`` toxic (every answer of the
dependency delayed), a ``timeout`` toxic with timeout 0 (the dependency swallows every byte: it hangs), or
the proxy disabled (connections refused). The binary is built from the pinned Go module in
``tools/toxiproxy/`` (``python -m stackcheck.scan.tools install toxiproxy``), found like the scanners'
(``$STACKCHECK_TOXIPROXY``, the tool cache, ``PATH``).

Every API call has a timeout; :meth:`Toxiproxy.close` (and the run's signal handling, the process is tracked)
ends the server and with it every proxied connection.
"""

from __future__ import annotations

import subprocess
import tempfile
from types import TracebackType
from typing import IO, Self
from urllib.parse import urlsplit, urlunsplit

import httpx

from stackcheck import interrupt
from stackcheck._exceptions import CouldNotCheck, ErrorReason
from stackcheck.infra.processes import output_tail, stop_process
from stackcheck.probes.breaker import Fault
from stackcheck.probes.loopback import free_port
from stackcheck.scan.toolcache import ToolSpec, is_pinned, locate
from stackcheck.settings import Settings
from stackcheck.wait import wait_until

__all__ = ["TOOL", "Fault", "Toxiproxy", "proxied_url"]

MODULE = "github.com/Shopify/toxiproxy/v2"
TOOL = ToolSpec(
    "toxiproxy",
    "toxiproxy-server",
    "2.5.0",
    go_package=f"{MODULE}/cmd/server",
    go_version_var=f"{MODULE}.Version",
    scanner=False,
)
START_TIMEOUT_S = 15.0
API_TIMEOUT_S = 5.0
_TOXIC = "stackcheck-fault"


def proxied_url(url: str, listen: str) -> str:
    """``url`` (a DSN or ``redis://`` URL) with its ``host:port`` replaced by the proxy's ``listen``.

    Only the network location changes: user, password, database and query stay as they are.
    """
    parts = urlsplit(url)
    userinfo, at, _ = parts.netloc.rpartition("@")
    return urlunsplit(parts._replace(netloc=f"{userinfo}{at}{listen}"))


class Toxiproxy:
    """``with Toxiproxy(settings) as toxi: listen = toxi.proxy("postgres", "127.0.0.1:5432")``."""

    def __init__(self, settings: Settings) -> None:
        self.executable = locate(TOOL, settings)
        self.pinned = is_pinned(self.executable, settings)
        self.port = free_port()
        self.api = f"http://127.0.0.1:{self.port}"
        self._proc: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] = tempfile.TemporaryFile()  # noqa: SIM115 - closed in close()
        self._http = httpx.Client(base_url=self.api, timeout=API_TIMEOUT_S, trust_env=False)
        self.version: str | None = None
        self._environ = dict(settings.environ)

    def start(self) -> Self:
        """Start the server and wait until its API answers; CouldNotCheck with its output if it does not."""
        argv = [str(self.executable), "-host", "127.0.0.1", "-port", str(self.port)]
        try:
            self._proc = subprocess.Popen(
                argv,
                stdout=self._log,
                stderr=self._log,
                start_new_session=True,
                env={**self._environ, "LOG_LEVEL": "warn"},
            )
        except OSError as exc:
            raise CouldNotCheck(f"toxiproxy cannot be started: {exc}", ErrorReason.TOOL_MISSING) from None
        interrupt.track(self._proc)
        try:
            self.version = wait_until(self._answers, START_TIMEOUT_S, 0.1, what="toxiproxy")
        except BaseException:
            self.close()
            raise
        if self.version is None:
            tail = self._tail()
            self.close()
            raise CouldNotCheck(
                f"toxiproxy did not answer on {self.api} within {START_TIMEOUT_S:g} s: {tail}",
                ErrorReason.START_FAILED,
            )
        return self

    def _answers(self) -> str | None:
        if self._proc is not None and self._proc.poll() is not None:
            return None
        try:
            response = self._http.get("/version")
        except httpx.HTTPError:
            return None
        return response.text.strip()[:40] or "unknown" if response.status_code == 200 else None

    def _tail(self, limit: int = 400) -> str:
        return output_tail(self._log, limit)

    def _call(self, method: str, path: str, body: dict[str, object] | None = None) -> dict[str, object]:
        try:
            response = self._http.request(method, path, json=body)
        except httpx.HTTPError as exc:
            raise CouldNotCheck(f"toxiproxy API {method} {path}: {exc}", ErrorReason.INTERNAL) from None
        if response.status_code >= 300:
            text = response.text.strip()[:200]
            raise CouldNotCheck(
                f"toxiproxy API {method} {path} answered {response.status_code}: {text}", ErrorReason.INTERNAL
            )
        if not response.content:
            return {}
        data = response.json()
        return data if isinstance(data, dict) else {}

    # ---- proxies and faults ------------------------------------------------------------------------

    def proxy(self, name: str, upstream: str) -> str:
        """Create proxy ``name`` in front of ``upstream`` (HOST:PORT) on a free loopback port; its address."""
        created = self._call(
            "POST", "/proxies", {"name": name, "listen": "127.0.0.1:0", "upstream": upstream}
        )
        listen = created.get("listen")
        if not isinstance(listen, str):
            raise CouldNotCheck(
                f"toxiproxy created {name} without an address: {created}", ErrorReason.INTERNAL
            )
        return listen

    def inject(self, name: str, fault: Fault, latency_ms: float = 0) -> None:
        """Put ``fault`` on proxy ``name``: ``latency`` (answers delayed by ``latency_ms``), ``hang`` (every
        byte from the dependency swallowed, connections kept open) or ``down`` (the proxy disabled: new
        connections refused, open ones cut)."""
        if fault == "down":
            self._call("POST", f"/proxies/{name}", {"enabled": False})
            return
        toxic: dict[str, object] = {"name": _TOXIC, "stream": "downstream", "toxicity": 1.0}
        if fault == "latency":
            toxic |= {"type": "latency", "attributes": {"latency": int(latency_ms), "jitter": 0}}
        else:
            toxic |= {"type": "timeout", "attributes": {"timeout": 0}}
        self._call("POST", f"/proxies/{name}/toxics", toxic)

    def clear(self, name: str) -> None:
        """Remove every fault of proxy ``name``: toxics deleted, the proxy enabled."""
        self._call("POST", f"/proxies/{name}", {"enabled": True})
        toxics = self._http.get(f"/proxies/{name}/toxics")
        if toxics.status_code == 200 and any(t.get("name") == _TOXIC for t in toxics.json() or []):
            self._call("DELETE", f"/proxies/{name}/toxics/{_TOXIC}")

    def reset(self) -> None:
        """Every proxy enabled, every toxic removed (between drills)."""
        self._call("POST", "/reset")

    # ---- lifecycle ---------------------------------------------------------------------------------

    def close(self) -> None:
        """Stop the server (every proxied connection ends with it). Idempotent."""
        self._http.close()
        stop_process(self._proc, group=True, grace_s=3)
        self._proc = None
        if not self._log.closed:
            self._log.close()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()
