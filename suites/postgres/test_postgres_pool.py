"""Suite ``postgres``: the service's connection pool, observed from the server while the service is busy.

A bounded burst of GETs goes to ``postgres.pool_probe.path`` of the target; meanwhile the verifier's
connection counts the sessions with the service's ``application_name`` every 50 ms. Only the count is
read: the check changes nothing on the server.
"""

from __future__ import annotations

import httpx
import psycopg
import pytest
from psycopg.rows import TupleRow

from stackcheck.catalog import postgres as checks
from stackcheck.probes.http import client_tls_context
from stackcheck.probes.pgpool import (
    COUNT_SQL,
    IDLE_COUNT_SQL,
    Verdict,
    default_concurrency,
    judge,
    judge_idle,
    run_burst,
    watch_idle,
)
from stackcheck.testing import (
    CouldNotCheck,
    ErrorReason,
    EvidenceRecorder,
    PostgresSection,
    Target,
    require,
)

Conn = psycopg.Connection[TupleRow]


def count(pg: Conn, query: str, name: str) -> int:
    """The application's connections (``query``: all, or the idle ones)."""
    row = pg.execute(query, (name,)).fetchone()
    return int(row[0]) if row else 0


@pytest.mark.check(checks.POOL)
def test_pool_never_exceeds_pool_size_under_load(
    postgres: PostgresSection, pg: Conn, target: Target, evidence: EvidenceRecorder
) -> None:
    probe = require(postgres.pool_probe, "postgres.pool_probe is not set")
    name = require(postgres.application_name, "postgres.application_name is not set")
    size = require(postgres.pool_size, "postgres.pool_size is not set")
    concurrency = default_concurrency(size, probe.concurrency)
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    per_request = httpx.Timeout(min(target.timeout_s, probe.timeout_s))
    with httpx.Client(
        base_url=target.base_url,
        timeout=per_request,
        limits=limits,
        follow_redirects=False,
        verify=client_tls_context(target.ca_bundle or True),
        headers={"User-Agent": "stackcheck"},
    ) as client:

        def send() -> int | None:
            try:
                return client.get(probe.path).status_code
            except (httpx.HTTPError, RuntimeError):  # RuntimeError: the client closed after the deadline
                return None

        outcome = run_burst(
            send,
            lambda: count(pg, COUNT_SQL, name),
            requests=probe.requests,
            concurrency=concurrency,
            timeout_s=probe.timeout_s,
        )
    peak = outcome.peak
    verdict = judge(outcome, size, name, probe.path)
    evidence.record(
        expected=size,
        observed=peak.count if peak else 0,
        op="<=",
        unit="connections",
        application_name=name,
        peak_at_s=peak.t_s if peak else None,
        samples=len(outcome.samples),
        counts=[s.count for s in outcome.samples][:400],
        requests=outcome.requests,
        completed=outcome.completed,
        concurrency=concurrency,
        non_2xx=outcome.non_2xx,
        statuses={str(k): v for k, v in sorted(outcome.statuses.items())},
        transport_errors=outcome.transport_errors,
        elapsed_s=outcome.elapsed_s,
        timed_out=outcome.timed_out,
    )
    evidence.message = verdict.message
    if verdict.verdict is Verdict.ERROR:
        raise CouldNotCheck(verdict.message, ErrorReason.INCONCLUSIVE)
    assert verdict.verdict is Verdict.PASSED, verdict.message
    if postgres.pool_idle_s is None:
        return
    idle = watch_idle(lambda: count(pg, IDLE_COUNT_SQL, name), postgres.pool_idle_s, postgres.pool_min)
    idle_verdict = judge_idle(idle, name)
    evidence.record(
        expected={
            "peak": size,
            "idle_after_load": f"{postgres.pool_min} within {idle.limit_s:g} s",
        },
        observed={"peak": peak.count if peak else 0, "idle_after_load": idle.samples[-1].count},
        op="<=",
        idle_counts=[s.count for s in idle.samples][:400],
        idle_dropped_at_s=idle.dropped_at_s,
    )
    evidence.message = f"{verdict.message}; {idle_verdict.message}"
    assert idle_verdict.verdict is Verdict.PASSED, idle_verdict.message
