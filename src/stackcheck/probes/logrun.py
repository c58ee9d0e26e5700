"""One bounded window of the ``logs`` suite: open the stream, send the run's requests, read what came.

The requests (at most :data:`MAX_REQUESTS` GETs): each of the profile's paths once; one carrying a fresh
correlation id in ``logs.correlation_header``; one carrying fresh planted personal data — e-mail, phone and
card number in the query string and in headers (``X-User-Email``, ``X-User-Phone``, ``X-Card-Number``), the
API key in ``X-API-Key`` only. With ``logs.min_level`` warning or above, those two ask for a path that
does not exist (a 404 a production service logs). Every ``logs.*`` check judges the same captured lines.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from stackcheck._exceptions import CouldNotCheck, ErrorReason
from stackcheck.probes.http import HttpProbe
from stackcheck.probes.logcapture import CommandLog, LogSource, settle
from stackcheck.probes.logs import LogLine, Planted, parse_lines, plant
from stackcheck.profile.logs import LogsSection, PiiKind

__all__ = ["MAX_REQUESTS", "LogRun", "exercise", "pii_request"]

MAX_REQUESTS = 12
#: ``logs.min_level`` values at which a service writes no line for a request that succeeds.
QUIET = ("warning", "error", "critical")

_QUERY_NAMES: dict[PiiKind, str] = {"email": "email", "phone": "phone", "card": "card_number"}
_HEADER_NAMES: dict[PiiKind, str] = {
    "email": "X-User-Email",
    "phone": "X-User-Phone",
    "card": "X-Card-Number",
    "api_key": "X-API-Key",
}


@dataclass(frozen=True)
class LogRun:
    """What one window captured, and what was sent to provoke it."""

    source: str
    lines: list[LogLine]
    bytes_read: int
    dropped: int
    requests: int
    correlation_id: str | None = None
    planted: list[Planted] = field(default_factory=list)
    note: str = ""

    def judged_lines(self) -> list[LogLine]:
        """The captured lines; none at all is :class:`CouldNotCheck` (nothing to judge is no verdict)."""
        if not self.lines:
            raise CouldNotCheck(
                f"no log line captured from {self.source} after {self.requests} request(s){self.note} "
                "(is the service logging there? see logs.file / logs.command / service:)",
                ErrorReason.UNEXPECTED_ANSWER,
            )
        return self.lines

    def facts(self) -> dict[str, Any]:
        """The capture's bounds and sizes, for every check's evidence."""
        return {
            "log_source": self.source,
            "log_bytes_read": self.bytes_read,
            "log_bytes_dropped": self.dropped,
            "log_lines": len(self.lines),
            "requests": self.requests,
        }


def pii_request(planted: list[Planted]) -> tuple[str, dict[str, str]]:
    """The query string and headers that carry the planted values."""
    query = {_QUERY_NAMES[p.kind]: p.value for p in planted if p.kind in _QUERY_NAMES}
    headers = {_HEADER_NAMES[p.kind]: p.value for p in planted}
    return (f"?{urlencode(query)}" if query else ""), headers


def exercise(source: LogSource, http: HttpProbe, section: LogsSection, paths: list[str]) -> LogRun:
    """Open ``source``, send the window's requests, wait for the stream to settle, read it, close it."""
    paths = (paths or ["/"])[: MAX_REQUESTS - 2]
    # A service that logs nothing below warning (production) writes no line for a request that succeeds:
    # the requests that must leave a line then ask for a path that does not exist, a 404 it logs.
    marked = paths[0] if section.min_level not in QUIET else f"/stackcheck-missing-{secrets.token_hex(6)}"
    cid = f"sc-corr-{secrets.token_hex(8)}" if section.correlation_header else None
    planted = plant(section.pii)
    source.open()
    try:
        baseline = source.size()
        sent = 0
        for path in paths:
            http.get(path)
            sent += 1
        if cid is not None and section.correlation_header:
            http.get(marked, headers={section.correlation_header: cid})
            sent += 1
        if planted:
            query, headers = pii_request(planted)
            http.get(marked + query, headers=headers)
            sent += 1
        settle(source, section.settle_s, baseline=baseline, limit=section.max_bytes)
        captured = source.read(section.max_bytes)
        note = ""
        if isinstance(source, CommandLog) and (code := source.exit_code()) is not None:
            note = f" (logs.command ended with exit code {code})"
    finally:
        source.close()
    return LogRun(
        source=captured.source,
        lines=parse_lines(captured.data),
        bytes_read=len(captured.data),
        dropped=captured.dropped,
        requests=sent,
        correlation_id=cid,
        planted=planted,
        note=note,
    )
