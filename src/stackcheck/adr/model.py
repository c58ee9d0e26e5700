"""What ``stackcheck adr draft`` works with: the sentences it reads, the findings of its rules, the draft.

Everything is a frozen dataclass: a draft is a pure function of the documents (no clock, no network, no
randomness), so the same ADR always gives the same profile.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TypeAlias

from stackcheck.adr.args import ENVIRONMENTS, Environment

__all__ = [
    "ENVIRONMENTS",
    "DraftClaim",
    "Environment",
    "Finding",
    "Kind",
    "Rule",
    "Sentence",
    "Value",
]

Value: TypeAlias = str | int | float | bool | list[object] | dict[str, object]


class Kind(StrEnum):
    """Where in the document a sentence stands."""

    HEADING = "heading"
    PROSE = "prose"
    ITEM = "item"  # a list item
    ROW = "row"  # a table row (or one environment's column of it)
    CODE = "code"  # a line of a fenced block (YAML leaf, HCL attribute, SQL statement, comment...)


@dataclass(frozen=True)
class Sentence:
    """One sentence (or list item, table row, code line) of a document, with where it stands.

    ``parents`` are the lines it hangs under, nearest last: the paragraph that introduces a list, the
    enclosing list items, a YAML key path, a tree diagram's parent line, a table's row label.
    """

    text: str
    source: str
    line: int
    kind: Kind
    lang: str = ""
    headings: tuple[str, ...] = ()
    parents: tuple[str, ...] = ()
    env: Environment | None = None  # set by the reader when a table column names the environment
    quote: str = ""  # how the document writes it, when ``text`` is a reading of it (a table column)
    prose: bool = True  # False for a statement of a configuration file (a workflow step, an HCL attribute)

    @property
    def where(self) -> str:
        """``file:line``, as the claim's ``source``."""
        return f"{self.source}:{self.line}"

    @property
    def quoted(self) -> str:
        """The text a claim quotes."""
        return self.quote or self.text

    @property
    def context(self) -> str:
        """Headings and parents, outermost first: what a rule may read besides the sentence itself."""
        return " / ".join((*self.headings, *self.parents))


@dataclass(frozen=True)
class Rule:
    """One drafting rule: a pattern, and a function giving the profile keys a matching sentence sets.

    ``build`` returns ``{dotted key: value}`` (a list value is merged with other claims' lists, a dict
    value key by key), or ``None`` when the sentence only looks like a match (wrong context). ``verifies``
    names checks that verify the sentence without a key of their own, once their section is set.
    """

    name: str
    pattern: re.Pattern[str]
    build: Callable[[re.Match[str], Sentence], dict[str, Value] | None]
    verifies: tuple[str, ...] = ()


@dataclass(frozen=True)
class Finding:
    """What one rule made of one sentence."""

    rule: str
    values: Mapping[str, Value]
    verifies: tuple[str, ...] = ()


@dataclass(frozen=True)
class DraftClaim:
    """A sentence read as a claim: the keys it set (``verified_by``) or why none could (``manual``)."""

    id: str
    sentence: Sentence
    findings: tuple[Finding, ...] = ()
    verified_by: tuple[str, ...] = ()
    manual: str | None = None
    applied: Mapping[str, Value] = field(default_factory=dict)  # the key values this claim put in the draft
