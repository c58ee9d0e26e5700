"""Suite ``pgbouncer``: the connection pooler the architecture promises, read from its admin console.

The console (database ``pgbouncer``) is read with ``SHOW`` only; nothing is reloaded, paused or set.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from stackcheck.catalog import pgbouncer as checks
from stackcheck.probes.pgbouncer import AdminConsole, PoolEntry, compare_value, open_console
from stackcheck.testing import EvidenceRecorder, PgBouncerSection, Profile, Settings, profile_of, require

LISTED = 20  # databases and pools named in the evidence


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    profile = profile_of(metafunc.config)
    wanted = list(profile.pgbouncer.expected_settings()) if profile and profile.pgbouncer else []
    if "pgbouncer_setting" in metafunc.fixturenames and wanted:
        metafunc.parametrize("pgbouncer_setting", wanted, ids=wanted)


@pytest.fixture
def pgbouncer_setting() -> str | None:
    """Replaced by one parameter per setting the ``pgbouncer`` section states."""
    return None


@pytest.fixture
def pgbouncer(profile: Profile) -> PgBouncerSection:
    """The profile's ``pgbouncer`` section (the plugin already skipped the check when it is absent)."""
    return require(profile.pgbouncer, "profile has no `pgbouncer` section")


@pytest.fixture(scope="module")
def console(profile: Profile, settings: Settings) -> Iterator[AdminConsole]:
    """The admin console of ``pgbouncer.admin_dsn``, shared by the module's checks."""
    section = require(profile.pgbouncer, "profile has no `pgbouncer` section")
    admin = open_console(require(section.admin_dsn, "pgbouncer.admin_dsn is not set"), settings.environ)
    try:
        yield admin
    finally:
        admin.close()


@pytest.mark.check(checks.CONFIG)
def test_setting_has_profile_value(
    pgbouncer_setting: str | None,
    pgbouncer: PgBouncerSection,
    console: AdminConsole,
    evidence: EvidenceRecorder,
) -> None:
    name = require(pgbouncer_setting, "the profile states no PgBouncer setting")
    wanted = pgbouncer.expected_settings()[name]
    config = console.config()
    observed = config.get(name)
    evidence.record(expected=wanted, observed=observed, op="==", admin=console.display)
    if observed is None:
        raise AssertionError(
            f"PgBouncer has no setting {name} in SHOW CONFIG (misspelt, or an older version)"
        )
    evidence.message = f"{name} = {observed}"
    assert compare_value(wanted, observed), f"{name} is {observed} on the pooler, the profile says {wanted}"


def _differs(entry: PoolEntry, mode: str | None, size: int | None, default_mode: str | None) -> list[str]:
    problems = []
    effective = entry.pool_mode or default_mode
    if mode is not None and effective != mode:
        problems.append(f"pool_mode {effective}")
    if size is not None and entry.pool_size is not None and entry.pool_size != size:
        problems.append(f"pool_size {entry.pool_size}")
    return problems


@pytest.mark.check(checks.POOLS)
def test_no_database_or_pool_overrides_mode_or_size(
    pgbouncer: PgBouncerSection, console: AdminConsole, evidence: EvidenceRecorder
) -> None:
    mode, size = pgbouncer.pool_mode, pgbouncer.default_pool_size
    config = console.config()
    default_mode = config.get("pool_mode")
    default_size = int(config["default_pool_size"]) if config.get("default_pool_size", "").isdigit() else None
    # The [pgbouncer] defaults stand for every database the wildcard entry (`*`) creates on first use.
    entries = [PoolEntry("(default)", default_mode, default_size), *console.databases()]
    pools = console.pools()
    problems: dict[str, list[str]] = {}
    for entry in entries:
        found = _differs(entry, mode, size, default_mode)
        if found:
            problems[f"database {entry.name}"] = found
    for pool in pools:
        found = _differs(pool, mode, None, default_mode)
        if found:
            problems[f"pool {pool.name}"] = found
    expected = {k: v for k, v in {"pool_mode": mode, "pool_size": size}.items() if v is not None}
    seen: dict[str, list[str] | list[int]] = {
        "pool_mode": sorted({e.pool_mode or default_mode or "" for e in [*entries, *pools]}),
        "pool_size": sorted({e.pool_size for e in entries if e.pool_size is not None}),
    }
    evidence.record(
        expected=expected,
        observed={k: v[0] if len(v) == 1 else v for k, v in seen.items() if k in expected},
        op="==",
        overrides={name: ", ".join(found) for name, found in list(problems.items())[:LISTED]},
        databases={
            e.name: {"pool_mode": e.pool_mode or default_mode, "pool_size": e.pool_size}
            for e in entries[:LISTED]
        },
        pools={p.name: p.pool_mode for p in pools[:LISTED]},
        admin=console.display,
    )
    evidence.message = f"{len(entries) - 1} database entries and {len(pools)} pools besides the console"
    assert not problems, "; ".join(f"{name} runs {', '.join(found)}" for name, found in problems.items())
