"""Each verified claim of a seed system fails when its stack drifts (``fixtures/systems/drift/drifts.yaml``).

One ``verify`` run per group of drifts: exactly the checks the drifts name fail, and the claims violated
are exactly those resting on their failed results. The table's completeness (a drift for every claim a run
verifies) is a unit test (``tests/unit/test_system_drifts.py``).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from fixtures.datastores import pgbouncer_binary
from fixtures.demo import system_environment
from fixtures.systems.drifts import drift_groups, group_run
from stackcheck.profile import load_profile
from tests.integration.conftest import cli_env, containers_of, verify

pytestmark = [pytest.mark.integration, pytest.mark.docker]

ENV = cli_env(**system_environment())
BREAKER_DRILLS = {"drill.circuit_breaker", "drill.dependency_timeout"}
GROUPS = [(system, i) for system, groups in drift_groups().items() for i in range(len(groups))]


@pytest.mark.parametrize(("system", "index"), GROUPS, ids=[f"{s}-{i + 1}" for s, i in GROUPS])
def test_a_drift_fails_exactly_the_checks_of_its_claims(system: str, index: int, tmp_path: Path) -> None:
    if system == "djinn" and pgbouncer_binary() is None:
        pytest.skip("pgbouncer is not installed (apt-get install pgbouncer)")
    group = drift_groups()[system][index]
    profile, sets = group_run(system, group, tmp_path)
    failing = set().union(*(d.fails for d in group))
    # A drill that must fail waits out the recovery bound for each dependency: a short one will do.
    quick = ["--set", "health.ready_recovery_s=3"]
    # The breaker drills wait out their open period (30 s per dependency for Monte Carlo): a group that
    # breaks neither leaves them out (its claims are then not run, never violated).
    if load_profile(profile).profile.resilience is not None and not failing & BREAKER_DRILLS:
        quick += ["--set", "resilience="]
    run = verify(profile, *quick, *sets, report_dir=tmp_path / "r", env=ENV, timeout=400)
    assert run.code == 1, run.stdout[-3000:] + run.stderr[-3000:]
    assert run.failed_checks() == failing, {
        "drifts": [str(d) for d in group],
        "unexpected": run.failed_checks() - failing,
        "missing": failing - run.failed_checks(),
        "errors": {k: v for k, v in run.statuses().items() if v == "error"},
    }
    assert run.report is not None
    violated = {c["id"] for c in run.report["claims"] if c["status"] == "violated"}
    # A claim rests on results (a claim on one tuned setting on that setting's alone), not whole checks.
    failed = {k for k, status in run.statuses().items() if status == "failed"}
    expected = {c["id"] for c in run.report["claims"] if set(c["results"]) & failed}
    assert violated == expected and violated, (violated, expected)
    assert containers_of(run.pid) == []
