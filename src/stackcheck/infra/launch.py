"""Start the service under test as a real subprocess (profile ``service:``), wired to given dependencies."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import tempfile
from collections.abc import Mapping
from pathlib import Path
from types import TracebackType
from typing import IO, Self

import httpx

from stackcheck import interrupt
from stackcheck._exceptions import CouldNotCheck, ErrorReason, UsageError
from stackcheck.infra.processes import output_tail, stop_process
from stackcheck.probes.loopback import free_port
from stackcheck.profile.models import ServiceSection
from stackcheck.wait import wait_until

__all__ = ["LaunchedService", "render_template"]


def render_template(text: str, values: Mapping[str, str]) -> str:
    """Fill ``{name}`` placeholders; an unknown one is a UsageError naming it and the known ones."""
    try:
        return text.format_map(dict(values))
    except KeyError as exc:
        known = ", ".join(f"{{{k}}}" for k in sorted(values))
        raise UsageError(
            f"service: unknown placeholder {{{exc.args[0]}}} in {text!r}", f"known: {known}"
        ) from None
    except (ValueError, IndexError) as exc:
        raise UsageError(
            f"service: cannot fill {text!r}: {exc}", "write literal braces as {{ and }}"
        ) from None


class LaunchedService:
    """``with LaunchedService(section, values, profile_path, live_path, settings.environ) as svc: svc.url``.

    ``environ`` is the environment the service inherits (its ``service.env`` on top). The process gets its
    own process group, so stopping it also stops anything it spawned.
    """

    def __init__(
        self,
        section: ServiceSection,
        values: Mapping[str, str],
        profile_path: Path,
        live_path: str,
        environ: Mapping[str, str],
    ) -> None:
        self.port = free_port()
        self.url = f"{section.scheme}://127.0.0.1:{self.port}"
        base = profile_path.resolve().parent
        self._tls_dir = Path(tempfile.mkdtemp(prefix="stackcheck-service-tls-"))
        # A second free port, for a plain-HTTP listener that redirects to the HTTPS one: used only when the
        # command names {http_port}.
        self._http_port = free_port()
        filled = {
            "port": str(self.port),
            "http_port": str(self._http_port),
            "tls_dir": str(self._tls_dir),
            "profile": str(profile_path.resolve()),
            "profile_dir": str(base),
            "python": sys.executable,
            **values,
        }
        try:
            self.argv = [render_template(part, filled) for part in section.command]
            self.env = {**environ, **{k: render_template(v, filled) for k, v in section.env.items()}}
        except UsageError:
            shutil.rmtree(self._tls_dir, ignore_errors=True)
            raise
        self.cwd = (base / section.cwd) if section.cwd else base
        uses_http_port = any("{http_port}" in part for part in [*section.command, *section.env.values()])
        self.http_port: int | None = self._http_port if uses_http_port else None
        self.ca_bundle: str | None = (
            str(base / render_template(section.ca_bundle, filled)) if section.ca_bundle else None
        )
        self.timeout_s = section.start_timeout_s
        self.live_path = live_path
        self._proc: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] = tempfile.TemporaryFile()  # noqa: SIM115 - closed in stop()

    def start(self) -> Self:
        """Launch and wait until the liveness endpoint answers; CouldNotCheck with the log tail if not."""
        if self._proc is not None:
            raise RuntimeError("LaunchedService.start() called twice")  # a second process would be orphaned
        try:
            self._proc = subprocess.Popen(
                self.argv,
                cwd=self.cwd,
                env=self.env,
                stdout=self._log,
                stderr=self._log,
                start_new_session=True,
            )
        except OSError as exc:
            raise UsageError(
                f"service.command {self.argv[0]!r} cannot be started: {exc}", "check the path"
            ) from None
        interrupt.track(self._proc)
        try:
            self._wait_live()
        except BaseException:  # interrupted while waiting: __exit__ will not run, stop it here
            self.stop()
            raise
        return self

    def _wait_live(self) -> None:
        assert self._proc is not None

        def answers() -> bool:
            if self._proc is not None and self._proc.poll() is not None:
                return True
            try:
                # Any answer will do (the checks judge it): the certificate is not what this waits for.
                httpx.get(self.url + self.live_path, timeout=1, verify=False)
            except httpx.HTTPError:
                return False
            return True

        wait_until(answers, self.timeout_s, 0.1, what=f"the service (service.command) on {self.url}")
        if self._proc.poll() is not None or not answers():
            tail = self.log_tail()
            self.stop()
            raise CouldNotCheck(
                f"the service (service.command) did not answer on {self.url} "
                f"within {self.timeout_s:g} s: {tail}",
                ErrorReason.START_FAILED,
            )

    def log_tail(self, limit: int = 400) -> str:
        """The end of what the service printed."""
        return output_tail(self._log, limit)

    def output_size(self) -> int:
        """Bytes the service has printed so far (stdout and stderr)."""
        return os.fstat(self._log.fileno()).st_size

    def read_output(self, offset: int, limit: int) -> bytes:
        """At most ``limit`` bytes of what the service printed, from ``offset`` on.

        ``pread`` leaves the file position alone: the service writes through the same open file.
        """
        return os.pread(self._log.fileno(), limit, offset)

    def terminate(self) -> None:
        """Send SIGTERM to the service's own process (not its group), as an orchestrator stopping a
        container signals its main process only; the SIGTERM drill's signal."""
        if self._proc is None:
            raise RuntimeError("LaunchedService.terminate() before start()")
        with contextlib.suppress(ProcessLookupError):
            self._proc.send_signal(signal.SIGTERM)

    def returncode(self) -> int | None:
        """The exit code once the process has ended (negative: ended by that signal), else ``None``."""
        return None if self._proc is None else self._proc.poll()

    def stop(self) -> None:
        """Stop the process group: SIGTERM, then SIGKILL after 5 s."""
        stop_process(self._proc, group=True)
        self._log.close()
        shutil.rmtree(self._tls_dir, ignore_errors=True)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
