"""Which instruction the shipped (final) stage of a Dockerfile has in effect, following ``FROM <stage>``.

A final stage ``FROM base`` inherits the USER and HEALTHCHECK of the stage named ``base`` (Docker's
semantics), so the custom Dockerfile policies look through such chains instead of the final stage alone.
``conf`` is what checkov hands a wildcard Dockerfile check: instruction name → instructions, each a dict
with ``startline`` and ``value``.
"""

from __future__ import annotations

from typing import Any


def _stages(conf: dict[str, list[Any]]) -> list[tuple[int, str, str | None]]:
    """(start line, image, alias) of every stage in file order."""
    stages = []
    for item in sorted(conf.get("FROM", []), key=lambda i: i["startline"]):
        words = [w for w in str(item["value"]).split() if not w.startswith("--")]
        image = words[0] if words else ""
        alias = words[2] if len(words) >= 3 and words[1].lower() == "as" else None
        stages.append((int(item["startline"]), image, alias))
    return stages or [(-1, "", None)]


def final_stage_instruction(conf: dict[str, list[Any]], name: str) -> tuple[Any | None, Any | None]:
    """(the last ``name`` instruction in effect in the final stage, or None; the final FROM, or None)."""
    stages = _stages(conf)
    starts = [s[0] for s in stages] + [10**9]
    own: list[Any | None] = []
    for i in range(len(stages)):
        mine = [x for x in conf.get(name, []) if starts[i] < x["startline"] < starts[i + 1]]
        own.append(max(mine, key=lambda x: x["startline"]) if mine else None)
    index = len(stages) - 1
    seen = set()
    while index not in seen:  # bounded: each stage once
        seen.add(index)
        if own[index] is not None:
            break
        image = stages[index][1].lower()
        parents = [j for j in range(index) if (stages[j][2] or "").lower() == image or str(j) == image]
        if not parents:
            break
        index = parents[-1]
    froms = sorted(conf.get("FROM", []), key=lambda i: i["startline"])
    return own[index], (froms[-1] if froms else None)
