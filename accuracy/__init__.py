"""The accuracy harness: stackcheck's verdicts beside reference tools', on configurations it builds itself.

``nox -s accuracy`` (or ``python -m accuracy``) runs every case module in :data:`CASE_MODULES`, each of which
starts real third-party servers or tools (Debian's nginx, HAProxy, Apache, testssl.sh, sslscan, promtool,
PgBouncer, checkov...), asks a reference tool what it sees, runs stackcheck on the same thing and yields
:class:`~accuracy.model.Row` objects. The runner writes ``docs/accuracy.md`` from them.
"""

from __future__ import annotations

# One line per case module (``accuracy/<name>.py`` with ``rows(ctx) -> Iterator[Row]``).
CASE_MODULES: tuple[str, ...] = ("tls", "headers", "ratelimit", "metrics", "data", "scan")
