"""``docs/seeds.md``: how the shipped profiles of our first customers' systems cover their ADRs.

For each profile under ``policies/profiles/`` whose claims quote a seed ADR (``shared/seeds/NNN_*.txt``):
every claim with the checks that verify it, or why it is manual, or that no check reads its keys yet; and,
against the hand-written answer key of that ADR (``tests/data/adr/answers/NNN.yaml``, written before any
rule), the ADR's claims the profile does not list yet. The counts are the measure of the seed-systems
issue: every machine-checkable claim verified by a check.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from stackcheck.catalog import REGISTRY
from stackcheck.claims import Unarmed, claim_checks, unarmed_claims
from stackcheck.profile import load_profile
from stackcheck.profile.models import Claim

__all__ = ["ClaimCoverage", "render_seeds_doc", "seed_coverage"]

_SEED_SOURCE = re.compile(r"seeds/(?P<doc>[0-9]{3}_[0-9a-f]+\.txt):(?P<line>[0-9]+)")


@dataclass(frozen=True)
class ClaimCoverage:
    """One claim of a profile and how it is verified."""

    id: str
    text: str
    source: str
    checks: tuple[str, ...]  # registered checks behind it; empty for manual and unverified claims
    manual: str | None
    unarmed: tuple[Unarmed, ...] = ()  # verified_by entries the profile leaves unarmed

    @property
    def kind(self) -> str:
        """``checked``, ``manual``, ``unarmed`` (a check behind it would be skipped: the profile leaves a key
        it needs unset, other than the keys the run supplies) or ``no check``."""
        if self.manual is not None:
            return "manual"
        if not self.checks:
            return "no check"
        return "unarmed" if any(not u.run_supplied for u in self.unarmed) else "checked"

    @property
    def at_run(self) -> tuple[str, ...]:
        """Keys the run must supply for the checks behind it (the launch command, an admin DSN)."""
        return tuple(dict.fromkeys(k for u in self.unarmed for k in u.keys if u.run_supplied))


@dataclass(frozen=True)
class SeedCoverage:
    """A seed profile's claims and the answer key's claims it does not list."""

    profile: str
    name: str
    document: str | None
    claims: tuple[ClaimCoverage, ...]
    unlisted: tuple[dict[str, Any], ...]  # answer-key entries whose lines no profile claim cites


def _coverage(claim: Claim, gaps: list[Unarmed]) -> ClaimCoverage:
    checks = tuple(c for c in claim_checks(claim) if c in REGISTRY)
    unarmed = tuple(g for g in gaps if g.claim == claim.id)
    return ClaimCoverage(claim.id, claim.text, claim.source, checks, claim.manual, unarmed)


def _cited(claims: tuple[ClaimCoverage, ...]) -> tuple[str | None, set[int]]:
    docs: dict[str, set[int]] = {}
    for claim in claims:
        match = _SEED_SOURCE.search(claim.source)
        if match:
            docs.setdefault(match["doc"], set()).add(int(match["line"]))
    if not docs:
        return None, set()
    doc = max(docs, key=lambda d: len(docs[d]))
    return doc, docs[doc]


def _answer_key(answers: Path | None, document: str) -> list[dict[str, Any]]:
    if answers is None:
        return []
    path = answers / f"{document[:3]}.yaml"
    if not path.is_file():
        return []
    key = yaml.safe_load(path.read_text(encoding="utf-8"))
    return [c for c in key.get("claims", []) if not c.get("env")]  # the production profile's claims


def seed_coverage(profiles: Path, answers: Path | None = None) -> list[SeedCoverage]:
    """The coverage of every profile in ``profiles`` that quotes a seed ADR, in file-name order."""
    out = []
    for path in sorted(profiles.glob("*.yaml")):
        loaded = load_profile(path)
        gaps = unarmed_claims(loaded.profile)
        claims = tuple(_coverage(c, gaps) for c in loaded.profile.claims)
        document, lines = _cited(claims)
        if document is None:
            continue
        overlay = len(loaded.files) > 1  # extends a base profile: its ADR is counted on the base
        unlisted = tuple(
            c
            for c in ([] if overlay else _answer_key(answers, document))
            if not ({c["line"], *c.get("also", [])} & lines)
        )
        out.append(SeedCoverage(path.name, loaded.profile.name, document, claims, unlisted))
    return out


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _counts(seed: SeedCoverage) -> str:
    kinds = [c.kind for c in seed.claims]
    return (
        f"{len(kinds)} claims: {kinds.count('checked')} verified by checks, {kinds.count('unarmed')} "
        f"whose checks the profile does not arm yet, {kinds.count('manual')} manual, "
        f"{kinds.count('no check')} with no check yet; {len(seed.unlisted)} claim(s) of the ADR's answer key "
        "not in the profile yet"
    )


def render_seeds_doc(profiles: Path, answers: Path | None = None) -> str:
    """Markdown of :func:`seed_coverage`."""
    seeds = seed_coverage(profiles, answers)
    lines = [
        "# The seed systems: what each shipped profile verifies",
        "",
        "<!-- Generated by stackcheck.coverage from policies/profiles/ (`nox -s docs`). Do not edit. -->",
        "",
        "Our first customers' architecture documents are in `shared/seeds/`; each has a profile",
        "under `policies/profiles/` whose `claims:` quote the ADR (file and line). A claim is **verified",
        "by checks** when its `verified_by` names checks (or keys that checks read) and the profile arms",
        "each of them; **not armed** when a check behind it would be skipped because the profile leaves a",
        "key it needs unset (the key to set is named; keys only the run can give, the launch command",
        "`service` and `pgbouncer.admin_dsn`, are listed as *at run*); **manual** when no machine can",
        "check it (the reason is given); and **no check yet** when it names keys no check reads.",
        "*Not in the profile* lists the claims of the hand-written answer key of that ADR",
        "(`tests/data/adr/answers/`) that no claim of the profile cites yet (overlays, which extend a base",
        "profile, are counted on the base).",
        "",
        "Each system also runs as the reference stack configured the way its ADR says: `nox -s demo --",
        "--system NAME` verifies `fixtures/systems/NAME.yaml` (the shipped profile plus how to start that",
        "system), and `tests/integration/test_systems.py` requires every claim a `verify` run can verify to",
        "be verified there (`stackcheck load` is a stage of its own). For every claim so verified,",
        "`fixtures/systems/drift/drifts.yaml` names a drift of that stack (a defect of the service, its",
        "Postgres, Redis or pooler configured otherwise, its IaC or code with the flaw) and exactly the",
        "checks it must fail; `tests/integration/test_system_drifts.py` runs each of them and requires just",
        "those checks to fail and just the claims resting on them to be violated. The RPO and RTO claims",
        "rest on drills a DR-drill job arms (`backup.drill`, `backup.fresh`): `--drills` arms them on a",
        "system (each system's Postgres archives its WAL with a 10 s archive_timeout), and",
        "`tests/integration/test_systems.py` verifies Djinn's RPO and RTO so, and violates its RPO claim",
        "with archiving off.",
        "",
        "| profile | ADR | claims | verified by checks | not armed | manual | no check yet "
        "| not in the profile |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for seed in seeds:
        kinds = [c.kind for c in seed.claims]
        lines.append(
            f"| `{seed.profile}` | `{seed.document}` | {len(kinds)} | {kinds.count('checked')} | "
            f"{kinds.count('unarmed')} | {kinds.count('manual')} | {kinds.count('no check')} | "
            f"{len(seed.unlisted)} |"
        )
    for seed in seeds:
        lines += [
            "",
            f"## `{seed.profile}` ({_cell(seed.name)})",
            "",
            _counts(seed) + ".",
            "",
            "| claim | sentence | source | verified by |",
            "|---|---|---|---|",
        ]
        for c in seed.claims:
            how = (
                ", ".join(f"`{check}`" for check in c.checks)
                if c.checks
                else (f"manual: {_cell(c.manual)}" if c.manual is not None else "**no check yet**")
            )
            if c.kind == "unarmed":
                keys = dict.fromkeys(k for u in c.unarmed if not u.run_supplied for k in u.keys)
                how += f"; **not armed**: set {', '.join(f'`{k}`' for k in keys)}"
            if c.at_run:
                how += f"; at run: {', '.join(f'`{k}`' for k in c.at_run)}"
            lines.append(f"| `{c.id}` | “{_cell(c.text)}” | `{c.source}` | {how} |")
        if seed.unlisted:
            lines += ["", "Not in the profile yet (answer key):", ""]
            for entry in seed.unlisted:
                kind = "manual" if entry.get("manual") else "checkable"
                lines.append(f"- line {entry['line']}: “{_cell(str(entry['text']))}” ({kind})")
    return "\n".join(lines) + "\n"
