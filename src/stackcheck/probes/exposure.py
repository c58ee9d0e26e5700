"""What must never be served, and what an error page must never show (pure helpers).

A path counts as served when it answers 2xx with content that looks like the real thing: many paths carry
a signature (``[core]`` in ``/.git/config``); for the others, and for servers that answer 200 to every path
(single-page apps), the body must differ from the answer to a path that cannot exist.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

__all__ = ["LEAK_SIGNATURES", "REFUSALS", "SENSITIVE_PATHS", "Answer", "exposed", "leaks", "refused_all"]


def _rx(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern, re.MULTILINE)


# path → signature of the real content (None: no reliable signature).
SENSITIVE_PATHS: dict[str, re.Pattern[str] | None] = {
    "/.env": _rx(r"^[A-Z][A-Z0-9_]*=\S"),
    "/.env.production": _rx(r"^[A-Z][A-Z0-9_]*=\S"),
    "/.git/config": _rx(r"^\[core\]"),
    "/.git/HEAD": _rx(r"^ref: refs/"),
    "/.svn/entries": _rx(r"^(\d+|dir|svn)"),
    "/.hg/hgrc": _rx(r"^\[paths\]"),
    "/.DS_Store": _rx(r"Bud1"),
    "/.aws/credentials": _rx(r"aws_access_key_id"),
    "/.htpasswd": _rx(r"^[\w.-]+:(\$|\{SHA\})"),
    "/.npmrc": _rx(r"_auth"),
    "/id_rsa": _rx(r"PRIVATE KEY"),
    "/actuator/env": _rx(r"\"(propertySources|activeProfiles)\""),
    "/actuator/heapdump": _rx(r"JAVA PROFILE|HPROF"),
    "/actuator/configprops": _rx(r"\"(contexts|beans)\""),
    "/server-status": _rx(r"Apache Status|Server uptime|Scoreboard"),
    "/debug/pprof/": _rx(r"goroutine|Types of profiles"),
    "/phpinfo.php": _rx(r"phpinfo\(\)|PHP Version"),
    "/backup.sql": _rx(r"INSERT INTO|CREATE TABLE"),
    "/dump.sql": _rx(r"INSERT INTO|CREATE TABLE"),
    "/docker-compose.yml": _rx(r"^services:"),
    "/wp-config.php.bak": _rx(r"DB_PASSWORD"),
}

# label → pattern of a stack trace, debug page or version banner in an error page.
LEAK_SIGNATURES: dict[str, re.Pattern[str]] = {
    "Python traceback": _rx(r"Traceback \(most recent call last\)|File \"[^\"]+\.py\", line \d+"),
    "Python debug page": _rx(r"Starlette Debugger|Werkzeug Debugger|<code>DEBUG = True</code>"),
    "Java stack trace": _rx(r"\bat [\w$]+(\.[\w$<>]+)+\([\w$]+\.java:\d+\)|java\.lang\.\w+(Exception|Error)"),
    "Go panic": _rx(r"goroutine \d+ \[running\]|^panic: "),
    "Node.js stack trace": _rx(r"\bat .+\(?(/|[A-Z]:\\)[^()\s]+\.[cm]?js:\d+:\d+\)?"),
    "PHP error": _rx(r"<b>(Fatal error|Warning|Parse error|Notice)</b>:|Stack trace:\s*#0"),
    "Ruby backtrace": _rx(r"\.rb:\d+:in `"),
    ".NET error page": _rx(r"Server Error in '/' Application|System\.[\w.]+Exception"),
    "SQL error": _rx(
        r"SQLSTATE\[|psycopg2?\.errors|ORA-\d{5}|You have an error in your SQL syntax|PG::\w+Error"
    ),
    "server version": _rx(
        r"\b(nginx|Apache|Microsoft-IIS|Jetty|Apache-Coyote|Tomcat|uvicorn|gunicorn|Werkzeug|Kestrel|"
        r"openresty|LiteSpeed|Caddy)/\d"
    ),
}


@dataclass(frozen=True)
class Answer:
    """Status and body of one answer (the body is only matched, never reported)."""

    status: int
    body: str


def exposed(path: str, answer: Answer, baseline: Answer, signature: re.Pattern[str] | None) -> bool:
    """Whether ``answer`` (to ``GET path``) serves the sensitive content.

    ``baseline`` is the answer to a path that cannot exist: when it is 2xx too, the server answers every path
    and only real content (its signature, or at least a body different from the catch-all) counts.
    """
    if not 200 <= answer.status < 300:
        return False
    catch_all = 200 <= baseline.status < 300
    if signature is not None:
        return bool(signature.search(answer.body)) or not catch_all
    return not catch_all or answer.body.strip() != baseline.body.strip()


def leaks(body: str) -> list[str]:
    """Labels of the leak signatures found in an error page."""
    return [label for label, pattern in LEAK_SIGNATURES.items() if pattern.search(body)]


# Statuses of a server that turned the client itself away (a client certificate, credentials, an access rule,
# plain HTTP on the TLS port): nginx answers "400 No required SSL certificate was sent" to every path.
REFUSALS = frozenset({400, 401, 403, 407, 421, 495, 496})


def refused_all(root: int, statuses: Iterable[int]) -> str | None:
    """Why nothing was seen (``None`` when something was): ``GET /`` and every probe were refused.

    A path that answers 403 while ``/`` answers 200 is hidden; a server that refuses ``/`` and every probe
    alike never showed what it serves, so "none served" and "no leak" would be verdicts on nothing."""
    seen = sorted({root, *statuses})
    if root not in REFUSALS or not set(seen) <= REFUSALS:
        return None
    return (
        f"every request was refused (GET / and each probe answered {', '.join(map(str, seen))}): the server "
        "turned the client away (a client certificate, credentials or an access rule is required), so what "
        "it serves could not be seen"
    )
