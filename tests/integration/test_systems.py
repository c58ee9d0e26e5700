"""The reference stack configured as each seed system (``nox -s demo -- --system NAME``): the system's run
verifies every claim of its shipped profile that a run of ``verify`` can verify, and a defect fails its
claim's checks.

What a system's run leaves ``not_run``, by design: checks of another stage (``load``), a pooler the platform
provides (``pgbouncer.admin_dsn`` is the run's to give; the reference stack starts none), and claims no
check reads yet (``backup.*``: the drills issue).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from fixtures.datastores import pgbouncer_binary
from fixtures.demo import system_environment, system_profile, systems
from stackcheck.catalog import REGISTRY
from tests.integration.conftest import cli_env, containers_of, verify

pytestmark = [pytest.mark.integration, pytest.mark.docker]

OTHER_STAGE = {"load"}
# Djinn's service runs behind Debian's PgBouncer (fixtures/systems/pooled.py).
NEEDS_PGBOUNCER = {"djinn"}
ENV = cli_env(**system_environment())
RUN_SUPPLIED = {"pgbouncer"}


def _needs(system: str) -> None:
    if system in NEEDS_PGBOUNCER and pgbouncer_binary() is None:
        pytest.skip("pgbouncer is not installed (apt-get install pgbouncer)")


def by_design(claim: dict[str, Any], results: list[dict[str, Any]]) -> bool:
    """Whether a claim may stay unverified in a system's run of ``verify`` (see the module's docstring):
    manual, no check yet, or ``not_run`` only for checks of another stage or the run's own pooler while
    every other check behind it passed."""
    if claim["status"] == "manual" or not claim["checks"]:
        return True
    later = {c for c in claim["checks"] if c in REGISTRY and REGISTRY[c].suite in OTHER_STAGE | RUN_SUPPLIED}
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


# A defect per system, each breaking one claim of it: exactly the checks behind that claim fail, and the
# claims those checks verify are violated, nothing else.
DEFECTS = [
    ("monte-carlo", "cache-no-ttl", {"redis.ttl"}),
    ("bluegreen", "missing=/health", {"health.live"}),
    ("bluegreen", "pool-unbounded", {"pg.pool"}),
    ("djinn", "no-header=content-security-policy", {"headers.csp", "headers.required"}),
    ("chimera", "cors-reflect", {"cors.foreign_origin"}),
    ("chimera", "ready-ignores-deps", {"health.ready_reflects_dependencies"}),
]


@pytest.mark.parametrize(("system", "defect", "failing"), DEFECTS, ids=[f"{s}-{d}" for s, d, _ in DEFECTS])
def test_a_defect_fails_exactly_the_checks_of_its_claim(
    system: str, defect: str, failing: set[str], tmp_path: Path
) -> None:
    _needs(system)
    profile = system_profile(system, [defect], tmp_path)
    # A drill that must fail waits out the recovery bound for each dependency: a short one will do.
    quick = ["--set", "health.ready_recovery_s=3"]
    run = verify(profile, "--infra", "docker", *quick, report_dir=tmp_path / "r", env=ENV, timeout=300)
    assert run.code == 1, run.stdout + run.stderr
    assert run.failed_checks() == failing, run.statuses()
    assert run.report is not None
    violated = {c["id"] for c in run.report["claims"] if c["status"] == "violated"}
    expected = {c["id"] for c in run.report["claims"] if set(c["checks"]) & failing}
    assert violated == expected and violated, (violated, expected)
