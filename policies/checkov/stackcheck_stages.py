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


def _bounds(conf: dict[str, list[Any]]) -> list[tuple[int, int]]:
    """(first, after-last) line span of every stage."""
    starts = [s[0] for s in _stages(conf)] + [10**9]
    return [(starts[i], starts[i + 1]) for i in range(len(starts) - 1)]


def final_chain(conf: dict[str, list[Any]]) -> list[int]:
    """The final stage's index, then the stages it inherits from through ``FROM <stage>``, nearest first."""
    stages = _stages(conf)
    chain = [len(stages) - 1]
    while True:  # bounded: each stage at most once
        image = stages[chain[-1]][1].lower()
        parents = [j for j in range(chain[-1]) if (stages[j][2] or "").lower() == image or str(j) == image]
        if not parents or parents[-1] in chain:
            return chain
        chain.append(parents[-1])


def in_stage(conf: dict[str, list[Any]], name: str, index: int) -> list[Any]:
    """The ``name`` instructions of stage ``index`` in file order."""
    first, after = _bounds(conf)[index]
    mine = [x for x in conf.get(name, []) if first < x["startline"] < after]
    return sorted(mine, key=lambda x: x["startline"])


def stage_count(conf: dict[str, list[Any]]) -> int:
    """How many stages (FROM instructions) the Dockerfile has."""
    return len(conf.get("FROM", []))


def final_from(conf: dict[str, list[Any]]) -> Any | None:
    """The final stage's FROM instruction."""
    froms = sorted(conf.get("FROM", []), key=lambda i: i["startline"])
    return froms[-1] if froms else None


def final_base_image(conf: dict[str, list[Any]]) -> tuple[str, Any | None]:
    """(the image the final stage is built on, after following ``FROM <stage>``; the FROM that names it)."""
    chain = final_chain(conf)
    froms = sorted(conf.get("FROM", []), key=lambda i: i["startline"])
    if not froms:
        return "", None
    return _stages(conf)[chain[-1]][1], froms[chain[-1]]


def final_stage_instruction(conf: dict[str, list[Any]], name: str) -> tuple[Any | None, Any | None]:
    """(the last ``name`` instruction in effect in the final stage, or None; the final FROM, or None)."""
    for index in final_chain(conf):
        own = in_stage(conf, name, index)
        if own:
            return own[-1], final_from(conf)
    return None, final_from(conf)
