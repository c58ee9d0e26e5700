"""``fixtures/systems/drift/drifts.yaml`` is complete: a drift for every claim a seed system's ``verify``
run verifies, the drifts of a group failing disjoint checks (test_system_drifts.py in tests/integration runs
them)."""

from __future__ import annotations

from itertools import combinations
from pathlib import Path

import pytest

from fixtures.demo import system_profile, systems
from fixtures.systems.drifts import DRIFTS, drift_groups
from stackcheck.catalog import REGISTRY
from stackcheck.claims import claim_checks
from stackcheck.profile import load_profile

# Checks of another stage: `stackcheck load` (tests/integration/test_systems.py breaks its budget).
OTHER_STAGE = {"load"}


def _run_verified(system: str) -> dict[str, set[str]]:
    """Claim id → its checks, for each claim of the system a ``verify`` run can verify (checks the system's
    profile arms: the backup drills wait for a DR-drill job's backup.drill / backup.fresh)."""
    profile = load_profile(system_profile(system, [], Path())).profile
    claims: dict[str, set[str]] = {}
    for claim in profile.claims:
        checks = {
            c
            for c in claim_checks(claim)
            if c in REGISTRY
            and REGISTRY[c].suite not in OTHER_STAGE
            and REGISTRY[c].skip_reason_for(profile) is None
        }
        if claim.manual is None and checks:
            claims[claim.id] = checks
    return claims


def test_every_system_has_drifts() -> None:
    assert set(drift_groups()) == set(systems())


@pytest.mark.parametrize("system", systems())
def test_every_verified_claim_of_a_system_has_a_drift_that_fails_it(system: str) -> None:
    failing = {check for group in drift_groups()[system] for drift in group for check in drift.fails}
    unbroken = {claim: checks for claim, checks in _run_verified(system).items() if not checks & failing}
    assert not unbroken, f"claims of {system} that no drift in {DRIFTS} breaks: {unbroken}"


@pytest.mark.parametrize("system", systems())
def test_the_drifts_of_a_group_fail_disjoint_checks_of_the_system(system: str) -> None:
    claimed = set().union(*_run_verified(system).values())
    for group in drift_groups()[system]:
        for a, b in combinations(group, 2):
            assert not a.fails & b.fails, f"{system}: {a} and {b} both fail {a.fails & b.fails}"
        for drift in group:
            assert drift.fails <= set(REGISTRY), (
                f"{system}: {drift}: unknown checks {drift.fails - set(REGISTRY)}"
            )
            assert drift.fails & claimed, f"{system}: {drift} breaks no claim of the system"
        assert len({d.infra for d in group if d.infra}) <= 1, f"{system}: one infra per group"
