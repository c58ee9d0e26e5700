"""The restore drill on a team's own drill target: its primary, its disaster, its restore command.

Run only when the profile marks the target (``backup.drill.target``) and the run passes
``--allow-destructive``. The same measurement as on a throwaway primary (:mod:`.pitr_drill`): the writer
commits rows into a table of stackcheck's own (``stackcheck_drill``, created for the drill, dropped after it
on every server that still answers), the disaster instant is recorded and ``destroy_command`` run, the RTO
clock runs from the start of ``restore_command`` until ``restored_dsn`` answers the query out of recovery,
and the rows that came back are held against the writer's record. The team's commands run in a session of
their own, bounded, stopped with their whole process group when they overrun.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import subprocess
import time
from collections.abc import Mapping
from pathlib import Path

import psycopg

from stackcheck import interrupt
from stackcheck._exceptions import CouldNotCheck, ErrorReason
from stackcheck.infra.external import expand_env
from stackcheck.infra.pitr_drill import DrillResult
from stackcheck.infra.processes import stop_process
from stackcheck.probes.pitr_writer import TABLE, Writer, compare, create_tables, read_rows
from stackcheck.probes.postgres import connect_or_none
from stackcheck.profile.backup import DrillTarget, RestoreDrill
from stackcheck.redact import Redactor
from stackcheck.wait import wait_until

__all__ = ["run_target_drill"]

_TAIL_CHARS = 400


def _run(argv: list[str], cwd: Path, timeout_s: float, what: str) -> None:
    """Run a team's command to completion; :class:`CouldNotCheck` (its output's tail, redacted) if it fails
    or overruns (its process group is stopped then)."""
    try:
        proc = subprocess.Popen(
            argv, cwd=cwd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            text=True, start_new_session=True,
        )  # fmt: skip
    except OSError as exc:
        raise CouldNotCheck(f"{what} could not start: {exc}", ErrorReason.TOOL_MISSING) from None
    interrupt.track(proc)
    try:
        out, _ = proc.communicate(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        stop_process(proc, grace_s=5, group=True)
        raise CouldNotCheck(f"{what} did not finish within {timeout_s:g} s", ErrorReason.TIMEOUT) from None
    finally:
        stop_process(proc, grace_s=5, group=True)  # ended: only forgotten (a server it started stays)
    if proc.returncode != 0:
        tail = Redactor().text(" | ".join((out or "").strip().splitlines()[-3:]))[-_TAIL_CHARS:]
        raise CouldNotCheck(f"{what} failed (exit {proc.returncode}): {tail}", ErrorReason.TOOL_FAILED)


def _answers(dsn: str, query: str) -> bool:
    conn = connect_or_none(dsn).conn
    if conn is None:
        return False
    with conn:
        try:
            if conn.execute("SELECT pg_is_in_recovery()").fetchone() != (False,):
                return False
            conn.execute(query)
        except psycopg.Error:  # not answering yet (still recovering, schema not there yet): poll again
            return False
    return True


def _drop_table(dsn: str) -> None:
    conn = connect_or_none(dsn).conn
    if conn is not None:
        with conn, contextlib.suppress(psycopg.Error):
            conn.execute(f"DROP TABLE IF EXISTS {TABLE}, {TABLE}_bulk")


def run_target_drill(
    drill: RestoreDrill, target: DrillTarget, environ: Mapping[str, str], base_dir: Path
) -> DrillResult:
    """The drill on the team's target; :class:`CouldNotCheck` when a step cannot run."""
    dsn = expand_env(target.dsn, environ, "backup.drill.target.dsn")
    restored_dsn = expand_env(target.restored_dsn, environ, "backup.drill.target.restored_dsn")
    writer = Writer(dsn, drill.interval_ms / 1000, drill.max_rows)
    try:
        primary = connect_or_none(dsn)
        if primary.conn is None:
            raise CouldNotCheck(
                f"cannot reach the drill target's primary: {primary.error}", ErrorReason.UNREACHABLE
            )
        with primary.conn as conn:
            conn.execute(
                f"DROP TABLE IF EXISTS {TABLE}, {TABLE}_bulk"
            )  # stackcheck's own, left by a past drill
            create_tables(conn)
        writer_started_at = time.time()
        writer.start()
        wait_until(lambda: writer.done, drill.write_s, 0.05)
        writer.stop()
        if writer.error is not None:
            raise CouldNotCheck(
                f"the drill's writer failed on the target: {writer.error}", ErrorReason.TOOL_FAILED
            )
        disaster_at = time.time()
        if target.destroy_command:
            _run(list(target.destroy_command), base_dir, target.command_timeout_s, "destroy_command")
        started = time.monotonic()
        when = dt.datetime.fromtimestamp(disaster_at, dt.UTC).isoformat()
        argv = [a.replace("{disaster_at}", when).replace("{disaster_epoch}", f"{disaster_at:.3f}")
                for a in target.restore_command]  # fmt: skip
        _run(argv, base_dir, drill.restore_timeout_s, "restore_command")
        left = max(0.0, drill.restore_timeout_s - (time.monotonic() - started))
        query = drill.query or f"SELECT count(*) FROM {TABLE}"
        answered = wait_until(
            lambda: _answers(restored_dsn, query), left, 0.1, what="the restored database to answer"
        )
        rto_s = time.monotonic() - started if answered else None
        rows = []
        if answered:
            restored = connect_or_none(restored_dsn).conn
            if restored is None:
                raise CouldNotCheck("lost the restored server", ErrorReason.UNREACHABLE)
            with restored:
                rows = read_rows(restored)
        return DrillResult(
            mechanism="target", settings={}, integrity=compare(writer.rows, rows), bulk_rows=0,
            bulk_match=True, writer_started_at=writer_started_at, backup_done_at=writer_started_at,
            backup_s=0.0, disaster_at=disaster_at, last_restored_at=rows[-1].written_at if rows else None,
            rto_s=rto_s, timeline_switched=False, writer_error=writer.error,
        )  # fmt: skip
    finally:
        writer.stop()
        _drop_table(restored_dsn)
        _drop_table(dsn)
