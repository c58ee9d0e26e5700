"""The reference stack configured as each seed system (``nox -s demo -- --system NAME``): the system's run
verifies every claim of its shipped profile that a run of ``verify`` can verify, and its ``load`` stage keeps
the ADR's latency and error budgets. A drift per claim (``fixtures/systems/drift/drifts.yaml``) fails it:
``test_system_drifts.py``.

What a system's run leaves ``not_run``, by design: checks of another stage (``load``), a pooler the platform
provides (``pgbouncer.admin_dsn`` is the run's to give; the reference stack starts none), and the RPO/RTO
claims, whose drills (``backup.drill``, ``backup.fresh``) a DR-drill job arms: ``--drills`` (below) arms
them on a system and its RPO and RTO claims are verified; tests/integration/test_drills_restore.py drills
each mechanism and defect.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from conftest import CliRun
from fixtures.datastores import pgbouncer_binary
from fixtures.demo import system_environment, system_profile, systems
from fixtures.refservice import RefService
from stackcheck.catalog import REGISTRY
from stackcheck.profile import load_profile
from tests.integration.conftest import cli_env, containers_of, verify

pytestmark = [pytest.mark.integration, pytest.mark.docker]

OTHER_STAGE = {"load"}
# Djinn's service runs behind Debian's PgBouncer (fixtures/systems/pooled.py).
NEEDS_PGBOUNCER = {"djinn"}
ENV = cli_env(**system_environment())
RUN_SUPPLIED = {"pgbouncer"}
# The backup drills a DR-drill job arms (backup.drill, backup.fresh: run-supplied keys, stackcheck.claims).
RUN_ARMED = {"drill.restore", "drill.backup_fresh"}


def _needs(system: str) -> None:
    if system in NEEDS_PGBOUNCER and pgbouncer_binary() is None:
        pytest.skip("pgbouncer is not installed (apt-get install pgbouncer)")


def by_design(claim: dict[str, Any], results: list[dict[str, Any]]) -> bool:
    """Whether a claim may stay unverified in a system's run of ``verify`` (see the module's docstring):
    manual, no check yet, or ``not_run`` only for checks of another stage or the run's own pooler while
    every other check behind it passed."""
    if claim["status"] == "manual" or not claim["checks"]:
        return True
    later = {
        c
        for c in claim["checks"]
        if c in REGISTRY and (REGISTRY[c].suite in OTHER_STAGE | RUN_SUPPLIED or c in RUN_ARMED)
    }
    rest = [r for r in results if r["id"] in claim["checks"] and r["id"] not in later]
    return claim["status"] == "not_run" and bool(later) and all(r["status"] == "passed" for r in rest)


@pytest.mark.parametrize("system", systems())
def test_each_system_passes_and_verifies_every_claim_a_run_can(system: str, tmp_path: Path) -> None:
    _needs(system)
    profile = system_profile(system, [], tmp_path)
    run = verify(profile, "--infra", "docker", report_dir=tmp_path / "r", env=ENV, timeout=300)
    statuses = run.statuses()
    assert run.code == 0, {k: v for k, v in statuses.items() if v not in ("passed", "skipped")}
    assert run.report is not None
    results = run.report["results"]
    left = {c["id"]: (c["status"], c["message"]) for c in run.report["claims"] if not by_design(c, results)}
    assert all(status == "verified" for status, _ in left.values()), {
        k: v for k, v in left.items() if v[0] != "verified"
    }
    assert len(left) >= 5, left
    assert containers_of(run.pid) == []


def _budgeted() -> list[str]:
    """The systems whose ADR sets a latency or error budget (``slo``): their ``load`` stage."""
    return [s for s in systems() if load_profile(system_profile(s, [], Path())).profile.slo is not None]


def _load(
    system: str, defects: list[str], tmp_path: Path, run_cli: Callable[..., CliRun]
) -> tuple[CliRun, dict[str, str]]:
    """``stackcheck load`` of a system's service (what ``nox -s demo -- --system NAME --load`` runs): 10 s,
    10 users, judged by the profile's ``slo``; the report lands in ``tmp_path / "load"``."""
    profile = system_profile(system, defects, tmp_path)
    with RefService(profile, defects=defects, tls=True) as service:
        sets = [f"target.ca_bundle={service.ca_file}", "load.duration_s=10", "load.users=10"]
        run = run_cli(
            "load", "--profile", str(profile), "--target", service.url,
            "--report-dir", str(tmp_path / "load"), *(part for s in sets for part in ("--set", s)),
        )  # fmt: skip
    report = json.loads((tmp_path / "load" / "report.json").read_text())
    return run, {r["id"]: r["status"] for r in report["results"]}


@pytest.mark.parametrize("system", _budgeted())
def test_each_system_meets_its_latency_and_error_budget_under_load(
    system: str, tmp_path: Path, run_cli: Callable[..., CliRun]
) -> None:
    run, statuses = _load(system, [], tmp_path, run_cli)
    assert run.code == 0, run.stdout + run.stderr
    judged = {k for k, status in statuses.items() if status == "passed"}
    assert judged and judged <= {"load.p95", "load.p99", "load.error_ratio", "load.throughput"}, statuses
    assert all(status in ("passed", "skipped") for status in statuses.values()), statuses


def test_a_slow_endpoint_fails_the_latency_budget_of_djinn(
    tmp_path: Path, run_cli: Callable[..., CliRun]
) -> None:
    run, statuses = _load("djinn", ["slow=/health:400"], tmp_path, run_cli)
    assert run.code == 1, run.stdout + run.stderr
    assert statuses["load.p95"] == "failed", statuses


def _claims(run: CliRun) -> dict[str, str]:
    assert run.report is not None, run.stdout + run.stderr
    return {c["id"]: c["status"] for c in run.report["claims"]}


def test_djinn_with_its_drills_armed_meets_its_rpo_and_rto_and_not_without_archiving(
    tmp_path: Path,
) -> None:
    # `nox -s demo -- --system djinn --drills`: the throwaway primary takes the system's WAL settings
    # (archive_timeout 10 s), the writer goes on 15 s past the base backup, so archived WAL past it is
    # part of what comes back; the run's Postgres archives too (backup_fresh).
    profile = system_profile("djinn", [], tmp_path, drills=True)
    run = verify(profile, "--infra", "docker", "--suite", "drills", report_dir=tmp_path / "r", env=ENV)
    statuses = run.statuses()
    assert run.code == 0, statuses
    assert statuses["drill.restore"] == statuses["drill.backup_fresh"] == "passed", statuses
    (restore,) = run.results("drill.restore")
    details = restore["evidence"]["details"]
    assert details["recovered_past_backup"] is True and details["checksum_match"] is True, details
    claims = _claims(run)
    assert claims["rpo-under-5-minutes"] == claims["rto-under-1-hour"] == "verified", claims
    # The drift: archiving off on the run's server and the drill's primary. The drill can observe no more
    # loss than its 15 s window (within the 5 min RPO: it passes, saying nothing came back past the
    # backup); backup_fresh fails, and with it the RPO claim.
    drift = ["--suite", "drills", "--set", "postgres.server_config.archive_mode=false"]
    off = verify(profile, "--infra", "docker", *drift, report_dir=tmp_path / "o", env=ENV)
    statuses = off.statuses()
    assert off.code == 1 and statuses["drill.backup_fresh"] == "failed", statuses
    (restore,) = off.results("drill.restore")
    assert restore["evidence"]["details"]["recovered_past_backup"] is False, restore
    assert _claims(off)["rpo-under-5-minutes"] == "violated", _claims(off)
    assert containers_of(off.pid) == []
