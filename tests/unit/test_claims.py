"""The profile's claims: the results that verify each, each claim's verdict, and the mistakes one can make."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from stackcheck._exceptions import ProfileError
from stackcheck.catalog import REGISTRY
from stackcheck.claims import ClaimStatus, apply_claims, checks_for
from stackcheck.outcomes import CheckResult, ErrorReason, Status
from stackcheck.profile import Profile, load_profile


def result(check: str, status: Status, subject: str | None = None) -> CheckResult:
    reason = ErrorReason.TIMEOUT if status is Status.ERROR else None
    return CheckResult.of(REGISTRY[check], status, "m", subject=subject, error_reason=reason)


def profile(*claims: dict[str, Any], **sections: Any) -> Profile:
    return Profile.model_validate({"name": "p", **sections, "claims": list(claims)})


def claim(cid: str, *verified_by: str, manual: str | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"id": cid, "text": f"sentence {cid}", "source": f"adr.md:{len(cid)}"}
    return body | ({"manual": manual} if manual else {"verified_by": list(verified_by)})


def test_a_key_stands_for_the_checks_that_read_it_and_a_section_for_all_its_checks() -> None:
    assert checks_for("rate_limit.requests") == (
        "ratelimit.enforced",
        "ratelimit.per_ip",
        "ratelimit.spoofing",
    )
    assert checks_for("slo.p95_ms") == ("metrics.latency_histogram", "load.p95")
    assert checks_for("postgres.settings.shared_buffers") == ("pg.settings",)  # under a key it reads
    assert set(checks_for("health")) >= {"health.live", "health.ready", "health.latency"}
    assert checks_for("tls.protocols") == ("tls.protocols",)  # a check id is itself
    assert checks_for("backup.rpo_minutes") == ("drill.restore", "drill.backup_fresh")
    assert checks_for("postgres.image") == ()  # nothing reads it: a claim on it is not run


@pytest.mark.parametrize(
    ("statuses", "expected"),
    [
        ((Status.PASSED, Status.PASSED), ClaimStatus.VERIFIED),
        ((Status.PASSED, Status.SKIPPED), ClaimStatus.VERIFIED),
        ((Status.PASSED, Status.FAILED), ClaimStatus.VIOLATED),
        ((Status.PASSED, Status.WAIVED), ClaimStatus.VIOLATED),  # accepted for a while, still not true
        ((Status.ERROR, Status.FAILED), ClaimStatus.VIOLATED),
        ((Status.PASSED, Status.ERROR), ClaimStatus.COULD_NOT_CHECK),
        ((Status.SKIPPED, Status.SKIPPED), ClaimStatus.NOT_RUN),
    ],
)
def test_a_claims_verdict_follows_the_worst_result_behind_it(
    statuses: tuple[Status, Status], expected: ClaimStatus
) -> None:
    results = [result("health.live", statuses[0]), result("health.ready", statuses[1])]
    _, verdicts = apply_claims(results, profile(claim("c1", "health.live", "health.ready"), health={}))
    assert verdicts[0].status is expected
    assert verdicts[0].status is not ClaimStatus.VERIFIED or "passed" in verdicts[0].message


def test_an_error_is_never_a_violation_and_never_verified() -> None:
    _, (verdict,) = apply_claims([result("health.live", Status.ERROR)], profile(claim("c", "health.live")))
    assert verdict.status is ClaimStatus.COULD_NOT_CHECK
    assert "health.live" in verdict.message


def test_manual_claims_say_why_and_claims_without_results_are_not_run() -> None:
    p = profile(
        claim("cost", manual="billing is not visible to any check"),
        claim("tls", "tls.protocols"),
        claim("rpo", "backup.rpo_minutes"),
        claim("image", "postgres.image"),
        health={},
        backup={"rpo_minutes": 15},
        postgres={"image": "postgres:17"},
    )
    results, verdicts = apply_claims([result("health.live", Status.PASSED)], p)
    by_id = {v.id: v for v in verdicts}
    assert by_id["cost"].status is ClaimStatus.MANUAL and "billing" in by_id["cost"].message
    assert by_id["tls"].status is ClaimStatus.NOT_RUN and "tls.protocols" in by_id["tls"].message
    assert by_id["rpo"].status is ClaimStatus.NOT_RUN  # the drills behind it did not run
    assert by_id["image"].status is ClaimStatus.NOT_RUN
    assert "no stackcheck check reads postgres.image" in by_id["image"].message
    assert results[0].claims == ()  # no claim points at health.live


def test_every_result_of_a_check_carries_the_claims_that_name_it_quoted_with_their_source() -> None:
    p = profile(claim("a", "health"), claim("b", "health.extra"), health={})
    results, _ = apply_claims(
        [result("health.extra", Status.PASSED, "/x"), result("health.extra", Status.FAILED, "/y")], p
    )
    for r in results:
        assert [(c.id, c.text, c.source) for c in r.claims] == [
            ("a", "sentence a", "adr.md:1"),
            ("b", "sentence b", "adr.md:1"),
        ]


def test_a_team_check_id_is_accepted_and_not_run_until_its_suite_registers_it() -> None:
    _, (verdict,) = apply_claims([], profile(claim("orders", "acme.orders_idempotent")))
    assert verdict.status is ClaimStatus.NOT_RUN
    assert verdict.checks == ("acme.orders_idempotent",)


def test_a_claim_on_one_entry_of_a_mapping_rests_on_that_subject_alone() -> None:
    settings = {"postgres": {"settings": {"shared_buffers": "256MB", "work_mem": "4MB"}}}
    claims = (claim("sb", "postgres.settings.shared_buffers"), claim("all", "pg.settings"))
    results = [
        result("pg.settings", Status.PASSED, "shared_buffers"),
        result("pg.settings", Status.FAILED, "work_mem"),
    ]
    attached, verdicts = apply_claims(results, profile(*claims, **settings))
    by_id = {v.id: v for v in verdicts}
    assert by_id["sb"].status is ClaimStatus.VERIFIED and by_id["sb"].results == (
        "pg.settings[shared_buffers]",
    )
    assert by_id["all"].status is ClaimStatus.VIOLATED  # the whole check: every subject
    assert [[c.id for c in r.claims] for r in attached] == [["sb", "all"], ["all"]]
    # A result about no subject (the check could not run at all) is behind every claim on the check.
    _, verdicts = apply_claims([result("pg.settings", Status.ERROR)], profile(*claims, **settings))
    assert {v.status for v in verdicts} == {ClaimStatus.COULD_NOT_CHECK}


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


@pytest.mark.parametrize(
    ("claims", "message"),
    [
        (
            "  - {id: a, text: t, source: s, verified_by: [ratelimit.enforcd]}\n",
            "'ratelimit.enforcd' is neither a check id",
        ),
        ("  - {id: a, text: t, source: s, verified_by: [redis.appendonly]}\n", "has no `redis` section"),
        (
            "  - {id: a, text: t, source: s, verified_by: [postgres.settings.shared_bufers]}\n",
            "postgres.settings sets no 'shared_bufers'",
        ),
        ("  - {id: a, text: t, source: s}\n", "give either verified_by"),
        (
            "  - {id: a, text: t, source: s, verified_by: [health.live], manual: m}\n",
            "not both and not neither",
        ),
        ("  - {id: a, text: t, verified_by: [health.live]}\n", "source"),
        (
            "  - {id: a, text: t, source: s, manual: m}\n  - {id: a, text: u, source: s, manual: m}\n",
            "claim id 'a' is used twice",
        ),
    ],
)
def test_claim_mistakes_are_one_line_naming_the_file_and_key(
    tmp_path: Path, claims: str, message: str
) -> None:
    path = write(
        tmp_path, "p.yaml", "name: p\nhealth: {}\npostgres: {settings: {work_mem: 4MB}}\nclaims:\n" + claims
    )
    with pytest.raises(ProfileError) as caught:
        load_profile(path)
    text = str(caught.value)
    assert message in text and "p.yaml" in text and "\n" not in text
    if message.startswith("'ratelimit.enforcd"):
        assert "p.yaml:5" in text and "claims[0].verified_by[0]" in text


def test_an_overlay_adds_claims_and_replaces_those_with_the_same_id(tmp_path: Path) -> None:
    write(
        tmp_path,
        "base.yaml",
        "name: base\nhealth: {}\nclaims:\n"
        "  - {id: live, text: production sentence, source: adr.md:1, verified_by: [health.live]}\n"
        "  - {id: mem, text: 2GB, source: adr.md:2, manual: sized by the platform}\n",
    )
    overlay = write(
        tmp_path,
        "staging.yaml",
        "name: staging\nextends: base.yaml\nclaims:\n"
        "  - {id: mem, text: 512MB in staging, source: adr.md:7, verified_by: [health.ready]}\n"
        "  - {id: extra, text: staging only, source: adr.md:9, verified_by: [helth.live]}\n",
    )
    with pytest.raises(ProfileError) as caught:  # the overlay's own mistake is reported at its own line
        load_profile(overlay)
    assert "staging.yaml:5" in str(caught.value) and "claims[2].verified_by[0]" in str(caught.value)
    overlay.write_text(overlay.read_text().replace("helth.live", "health.live"))
    claims = load_profile(overlay).profile.claims
    assert [(c.id, c.text) for c in claims] == [
        ("live", "production sentence"),
        ("mem", "512MB in staging"),
        ("extra", "staging only"),
    ]


def test_a_claim_is_not_verified_while_a_check_behind_it_has_not_run() -> None:
    # slo.p95_ms is read by the histogram check (verify) and by load.p95 (the load stage): a verify run
    # alone supports the claim but does not prove it.
    p = profile(claim("p95", "slo.p95_ms"), slo={"p95_ms": 200}, metrics={})
    _, (verdict,) = apply_claims([result("metrics.latency_histogram", Status.PASSED)], p)
    assert verdict.status is ClaimStatus.NOT_RUN
    assert verdict.message.startswith("load.p95 did not run")
    both = [result("metrics.latency_histogram", Status.PASSED), result("load.p95", Status.PASSED)]
    assert apply_claims(both, p)[1][0].status is ClaimStatus.VERIFIED
    failed = [result("metrics.latency_histogram", Status.FAILED)]
    assert apply_claims(failed, p)[1][0].status is ClaimStatus.VIOLATED  # a failure needs no other stage


def test_a_claim_whose_check_the_profile_leaves_unarmed_is_named_with_the_key_to_set() -> None:
    from stackcheck.claims import unarmed_claims

    p = profile(
        claim("settings", "pg.settings"),
        claim("version", "pg.version"),
        claim("keyed", "postgres.rls_tables"),
        claim("pooled", "pgbouncer.config"),
        claim("cost", manual="the bill"),
        postgres={"version": ">=16"},
        pgbouncer={"pool_mode": "transaction"},
    )
    gaps = {(g.claim, g.check, g.keys, g.run_supplied) for g in unarmed_claims(p)}
    assert gaps == {
        ("settings", "pg.settings", ("postgres.settings",), False),
        ("keyed", "pg.rls", ("postgres.rls_tables",), False),
        ("pooled", "pgbouncer.config", ("pgbouncer.admin_dsn",), True),
    }
    # A run whose results skip the unarmed check reports the claim not_run, never verified.
    _, verdicts = apply_claims([result("pg.settings", Status.SKIPPED)], p)
    assert {v.id: v.status for v in verdicts}["settings"] is ClaimStatus.NOT_RUN


def test_profile_validate_warns_about_unarmed_claims_and_still_exits_0(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from stackcheck.cli import main

    path = tmp_path / "p.yaml"
    path.write_text(
        "name: p\npostgres: {version: '>=16'}\nclaims:\n"
        "  - {id: tuned, text: shared_buffers 256MB, source: adr.md:3, verified_by: [pg.settings]}\n"
    )
    assert main(["profile", "validate", str(path)]) == 0
    err = capsys.readouterr().err
    assert "warning: claim 'tuned' cannot be verified as written: pg.settings would be skipped" in err
    assert "set postgres.settings" in err
