"""Which checks read each profile section: the "Read by" line of the generated profile reference.

A check reads its ``section``, the sections of its ``requires`` keys and of its ``reads`` keys. A section no
check reads is said to be so in ``docs/profile.md``: its keys record a claim, but nothing verifies it yet.
"""

from __future__ import annotations

from stackcheck.catalog import REGISTRY

__all__ = ["RUN_SECTIONS", "section_readers"]

#: Sections that configure the run itself rather than state a claim a check verifies.
RUN_SECTIONS = frozenset({"target", "service", "waivers", "claims"})


def section_readers() -> dict[str, tuple[str, ...]]:
    """Profile section → the ids of the checks that read it (registry order)."""
    readers: dict[str, list[str]] = {}
    for spec in REGISTRY.values():
        keys = (spec.section, *(k for r in spec.requires for k in r.keys), *spec.reads)
        for section in dict.fromkeys(k.split(".")[0] for k in keys):
            readers.setdefault(section, []).append(spec.id)
    return {section: tuple(ids) for section, ids in readers.items()}
