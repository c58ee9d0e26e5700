"""docs/seeds.md's measure: a profile's claims split into verified by checks / manual / no check yet, and the
answer key's claims no profile claim cites."""

from __future__ import annotations

from pathlib import Path

from stackcheck.coverage import render_seeds_doc, seed_coverage

SEED = "shared/seeds/009_abcdef.txt"


def test_claims_are_counted_by_how_they_are_verified_and_unlisted_ones_named(tmp_path: Path) -> None:
    profiles, answers = tmp_path / "profiles", tmp_path / "answers"
    profiles.mkdir()
    answers.mkdir()
    (profiles / "nine.yaml").write_text(
        "name: nine\nslo: {p95_ms: 200}\nclaims:\n"
        f"  - {{id: fast, text: p95 under 200 ms, source: '{SEED}:7', verified_by: [slo.p95_ms]}}\n"
        f"  - {{id: cost, text: $20 a month, source: '{SEED}:3', manual: cost}}\n"
        f"  - {{id: ver, text: Postgres 16, source: '{SEED}:5', verified_by: [pg.version]}}\n"
    )
    (profiles / "nine-staging.yaml").write_text("extends: nine.yaml\nname: nine-staging\n")
    (profiles / "plain.yaml").write_text("name: plain\n")  # quotes no seed: not listed
    (answers / "009.yaml").write_text(
        "document: 009_abcdef.txt\nclaims:\n"
        "  - {line: 7, text: p95 under 200 ms, sets: {slo.p95_ms: 200}}\n"
        "  - {line: 9, also: [3], text: cheap, manual: cost}\n"
        "  - {line: 11, text: TLS 1.3 only, sets: {tls.min_version: '1.3'}}\n"
        "  - {line: 12, text: staging limit, env: staging, sets: {rate_limit.requests: 100}}\n"
    )
    seeds = {s.profile: s for s in seed_coverage(profiles, answers)}
    assert set(seeds) == {"nine.yaml", "nine-staging.yaml"}
    nine = seeds["nine.yaml"]
    assert [(c.id, c.kind) for c in nine.claims] == [
        ("fast", "checked"),
        ("cost", "manual"),
        ("ver", "unarmed"),  # pg.version needs postgres.version, which nine.yaml does not set
    ]
    assert "load.p95" in nine.claims[0].checks
    assert [u["line"] for u in nine.unlisted] == [11]  # 9 is cited through `also`; 12 is staging's
    assert seeds["nine-staging.yaml"].unlisted == ()  # an overlay is counted on its base
    doc = render_seeds_doc(profiles, answers)
    assert "| `nine.yaml` | `009_abcdef.txt` | 3 | 1 | 1 | 1 | 0 | 1 |" in doc
    assert "**not armed**: set `postgres`" in doc
    assert "- line 11: “TLS 1.3 only” (checkable)" in doc


def test_a_claim_is_verified_only_when_the_profile_arms_its_checks_run_keys_named(tmp_path: Path) -> None:
    profiles = tmp_path / "profiles"
    profiles.mkdir()
    (profiles / "ten.yaml").write_text(
        "name: ten\npostgres: {version: '>=16'}\npgbouncer: {pool_mode: transaction}\nclaims:\n"
        f"  - {{id: ver, text: Postgres 16, source: '{SEED}:1', verified_by: [pg.version]}}\n"
        f"  - {{id: rls, text: RLS on, source: '{SEED}:2', verified_by: [pg.version, pg.rls]}}\n"
        f"  - {{id: pool, text: transaction pooling, source: '{SEED}:3', verified_by: [pgbouncer.config]}}\n"
    )
    (ten,) = seed_coverage(profiles)
    kinds = {c.id: c.kind for c in ten.claims}
    assert kinds == {"ver": "checked", "rls": "unarmed", "pool": "checked"}
    rls = next(c for c in ten.claims if c.id == "rls")
    assert [(u.check, u.keys) for u in rls.unarmed] == [("pg.rls", ("postgres.rls_tables",))]
    pool = next(c for c in ten.claims if c.id == "pool")
    assert pool.at_run == ("pgbouncer.admin_dsn",)  # the pooler's console: the run gives it
    doc = render_seeds_doc(profiles)
    assert "**not armed**: set `postgres.rls_tables`" in doc and "at run: `pgbouncer.admin_dsn`" in doc


def test_every_shipped_profile_arms_each_claim_but_what_the_run_supplies() -> None:
    """The seed profiles' measure: a claim verified by checks names no key the profile leaves unset, except
    the launch command and the pooler's console, which only a run can give."""
    from stackcheck.claims import unarmed_claims
    from stackcheck.profile import load_profile

    root = Path(__file__).resolve().parents[2]
    gaps = {
        (path.name, gap.claim, gap.check)
        for path in sorted((root / "policies" / "profiles").glob("*.yaml"))
        for gap in unarmed_claims(load_profile(path).profile)
        if not gap.run_supplied
    }
    assert gaps == set(), sorted(gaps)
