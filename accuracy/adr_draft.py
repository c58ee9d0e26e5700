"""How well ``stackcheck adr draft`` reads ADRs: its drafts scored against hand-made answer keys.

The answer keys (``tests/data/adr/answers/*.yaml``, written before the rules) list, per document, the
claims a careful engineer extracts: the line, and the profile keys and values it sets or why it is manual.
A key/value pair counts as drafted correctly when the draft sets that value *and* traces it to one of the
lines the answer key gives for it (a right value from the wrong sentence is not a correct trace):

- recall: correct pairs / pairs in the answer key;
- precision: correct pairs / pairs the draft sets;
- manual recall: answer-key manual claims the draft lists as manual (any reason) / manual claims.

Answer-key keys the profile model does not have (yet) are skipped, their claims counted as manual.
``python -m accuracy.adr_draft`` prints the table; ``benchmarks/bench_adr.py`` writes it to
docs/benchmarks.md.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from stackcheck.adr.draft import Draft, draft
from stackcheck.catalog.spec import profile_key_exists

__all__ = ["ANSWERS", "Score", "pairs_of", "render_table", "score", "score_all"]

REPO = Path(__file__).resolve().parents[1]
DATA = REPO / "tests" / "data" / "adr"
ANSWERS = DATA / "answers"

Pair = tuple[str, str]  # (dotted key, canonical JSON of the value or list item)


def _canon(value: object) -> str:
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, dict):
        # `name` labels a list entry's results (rate_limit.also): the draft's choice, not the ADR's value.
        value = {
            k: (int(v) if isinstance(v, float) and v.is_integer() else v)
            for k, v in value.items()
            if k != "name"
        }
    return json.dumps(value, sort_keys=True)


# Map-valued keys: scored entry by entry (a draft with three of four settings right gets three pairs).
_MAPS = {"postgres.settings", "metrics.types", "redis.server_config", "scan.fail_on", "headers.values"}


def pairs_of(key: str, value: object) -> Iterator[tuple[Pair, str]]:
    """Scored pairs of one key: list items one by one, map entries key by key, an empty list as itself.

    Yields ``(pair, owner_key)``: the key under which a draft records who set it.
    """
    if isinstance(value, list):
        if not value:
            yield (key, "[]"), key
        for item in value:
            yield (key, _canon(item)), f"{key}={json.dumps(item, sort_keys=True)}"
    elif isinstance(value, dict) and key in _MAPS:
        for sub, item in value.items():
            yield (f"{key}.{sub}", _canon(item)), f"{key}.{sub}"
    else:
        yield (key, _canon(value)), key


@dataclass(frozen=True)
class Score:
    """One document's scores."""

    document: str
    expected: int
    drafted: int
    correct: int
    manual_expected: int
    manual_found: int
    manual_extra: int
    skipped_keys: tuple[str, ...]
    misses: tuple[str, ...]
    wrong: tuple[str, ...]

    @property
    def recall(self) -> float:
        """Correct pairs / answer-key pairs."""
        return self.correct / self.expected if self.expected else 1.0

    @property
    def precision(self) -> float:
        """Correct pairs / drafted pairs."""
        return self.correct / self.drafted if self.drafted else 1.0

    @property
    def manual_recall(self) -> float:
        """Answer-key manual claims the draft lists as manual."""
        return self.manual_found / self.manual_expected if self.manual_expected else 1.0


def _document(key: Mapping[str, Any]) -> Path:
    name = str(key["document"])
    for folder in (DATA / "seeds", DATA / "unseen"):
        if (folder / name).is_file():
            return folder / name
    raise FileNotFoundError(f"answer key names {name}, which is in neither tests/data/adr/seeds nor unseen")


def _expected(key: Mapping[str, Any]) -> tuple[dict[Pair, set[int]], set[frozenset[int]], list[str]]:
    pairs: dict[Pair, set[int]] = {}
    manual: set[frozenset[int]] = set()
    skipped: list[str] = []
    for claim in key["claims"]:
        if claim.get("env") or claim.get("covered"):
            continue
        lines = frozenset({int(claim["line"]), *(int(x) for x in claim.get("also", []))})
        usable = {k: v for k, v in (claim.get("sets") or {}).items() if profile_key_exists(k)}
        skipped += [k for k in (claim.get("sets") or {}) if k not in usable]
        for k, v in usable.items():
            for pair, _owner in pairs_of(k, v):
                pairs.setdefault(pair, set()).update(lines)
        if not usable and (claim.get("manual") or claim.get("sets")):
            manual.add(lines)
    return pairs, manual, sorted(set(skipped))


def _drafted(result: Draft) -> dict[Pair, set[int]]:
    line_of = {c.id: c.sentence.line for c in result.claims}
    out: dict[Pair, set[int]] = {}
    for key, value in result.values.items():
        for pair, owner in pairs_of(key, value):
            out[pair] = {line_of[i] for i in result.owners.get(owner, []) if i in line_of}
    return out


def score(answer: Path) -> Score:
    """Draft the answer key's document and score the draft."""
    key = yaml.safe_load(answer.read_text())
    result = draft([_document(key)], str(key.get("environment", "production")))  # type: ignore[arg-type]
    expected, manual, skipped = _expected(key)
    drafted = _drafted(result)
    correct = {p for p, lines in expected.items() if p in drafted and drafted[p] & lines}
    manual_lines = {c.sentence.line for c in result.manual}
    key_lines = {int(c["line"]) for c in key["claims"]} | {
        int(x) for c in key["claims"] for x in c.get("also", [])
    }
    found = sum(1 for lines in manual if lines & manual_lines)
    extra = sum(
        1
        for c in result.manual
        if c.sentence.line not in key_lines and not (c.manual or "").startswith("applies to the ")
    )
    return Score(
        document=str(key["document"]),
        expected=len(expected),
        drafted=len(drafted),
        correct=len(correct),
        manual_expected=len(manual),
        manual_found=found,
        manual_extra=extra,
        skipped_keys=tuple(skipped),
        misses=tuple(f"{k}={v}" for k, v in sorted(expected) if (k, v) not in correct),
        wrong=tuple(f"{k}={v}" for k, v in sorted(drafted) if (k, v) not in correct),
    )


def score_all(pattern: str = "[0-9][0-9][0-9].yaml") -> list[Score]:
    """Scores of every answer key matching ``pattern`` (default: the five seeds)."""
    return [score(p) for p in sorted(ANSWERS.glob(pattern))]


def _total(scores: list[Score], name: str) -> Score:
    return Score(
        document=name,
        expected=sum(s.expected for s in scores),
        drafted=sum(s.drafted for s in scores),
        correct=sum(s.correct for s in scores),
        manual_expected=sum(s.manual_expected for s in scores),
        manual_found=sum(s.manual_found for s in scores),
        manual_extra=sum(s.manual_extra for s in scores),
        skipped_keys=(),
        misses=(),
        wrong=(),
    )


def _row(s: Score) -> str:
    return (
        f"| {s.document} | {s.expected} | {s.drafted} | {s.correct} | {s.recall:.2f} | {s.precision:.2f} "
        f"| {s.manual_found}/{s.manual_expected} ({s.manual_recall:.2f}) | {s.manual_extra} |"
    )


def render_table(seeds: list[Score], held_out: list[Score]) -> str:
    """The Markdown table: one row per seed, their total, then the held-out ADR(s) apart."""
    head = [
        "| document | answer pairs | drafted pairs | correct | recall | precision | manual claims listed "
        "| manual listed, not in key |",
        "|---|---|---|---|---|---|---|---|",
    ]
    rows = [_row(s) for s in seeds] + [_row(_total(seeds, "**seeds, total**"))]
    rows += [_row(s) for s in held_out]
    notes = [
        f"- {s.document}: missed {', '.join(s.misses) or 'none'}; "
        f"wrong or untraced {', '.join(s.wrong) or 'none'}"
        + (f"; keys not in the profile yet: {', '.join(s.skipped_keys)}" if s.skipped_keys else "")
        for s in (*seeds, *held_out)
    ]
    return "\n".join([*head, *rows, "", *notes])


def main() -> int:
    """Print the table (``python -m accuracy.adr_draft``)."""
    print(render_table(score_all(), score_all("unseen-*.yaml")))
    return 0


if __name__ == "__main__":
    sys.exit(main())
