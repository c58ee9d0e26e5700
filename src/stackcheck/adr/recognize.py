"""Which sentences are claims of the decision, and for which environment.

An ADR also records what was *not* decided: alternatives, pros and cons, rationale, future phases,
references. Sentences under such headings (or YAML keys) are not claims. A sentence's environment comes
from the sentence itself ("Production: 60 requests/minute"), a table column, the line it hangs under
("**Staging:**"), or the nearest heading that names exactly one environment.
"""

from __future__ import annotations

import re

from stackcheck.adr.model import Environment, Kind, Sentence

__all__ = ["environment_of", "environment_of_label", "is_excluded"]

_ENV_WORDS: dict[Environment, str] = {
    "development": r"dev|development|local(?:\s+development)?|localhost",
    "staging": r"staging|stage|stg|pre-?production|uat",
    "production": r"prod|production",
}
_ENV_ANY = "|".join(f"(?P<{env}>{words})" for env, words in _ENV_WORDS.items())
# "Production: ...", "Staging | ...", "In staging the limit is ...", "In the production environment, ..."
_LABEL = re.compile(rf"^\s*(?:{_ENV_ANY})\b\s*(?:environment|env)?\s*(?:[:|,(\u2013-]|$)", re.I)
_IN = re.compile(rf"^\s*in\s+(?:the\s+)?(?:{_ENV_ANY})\b", re.I)
_ADJECTIVE = re.compile(
    rf"\b(?:{_ENV_ANY})\s+(?:redis|postgres(?:ql)?|database|db|cache|environment|instance|cluster|server)\b",
    re.I,
)
_PAREN = re.compile(rf"\((?:{_ENV_ANY})\)", re.I)
_WORD = re.compile(rf"\b(?:{_ENV_ANY})\b", re.I)

# Headings and keys whose content is not the decision itself (ADR conventions: MADR, Nygard), matched at
# the start of a heading or label ("Alternatives Considered", "Pros:", "Phase 2: Growth") so that a title
# naming "the reference service" is not taken for a References section.
_NOT_DECIDED = re.compile(
    r"^[\W\d]*(?:alternatives?|options?\b|considered|pros\b|cons\b|trade-?offs?|rationale|why\b|decision\s+log"
    r"|references?\b|revision\s+history|decision\s+makers|related\s+(?:documents|adrs?)|next\s+steps"
    r"|migration\s+(?:path|strategy|plan)|scaling\s+(?:strategy|considerations)|scale[- _]?(?:up|out)\b"
    r"|growth[\s_]+phase|scale[\s_]+phase|phase\s+\d|consequences|risks\b|reasons?\b|reasoning"
    r"|trigger_points|enterprise_migration|scaling_adjustments|estimated?\b|estimates|examples?\b|samples?\b"
    r"|runbooks?|playbooks?|troubleshooting)"
    r"|\((?:scale[- ]?up|future|later)\)|\b(?:examples?|breakdown|allocation)\s*:?$",
    re.I,
)
_NOT_DECIDED_HEADING = re.compile(r"^(?:purpose|background|glossary|table\s+of\s+contents)\b", re.I)
# Labels of a document's metadata, not of a claim ("Status: accepted", "Last Updated: 2025-08-10").
_META = re.compile(
    r"^(?:status|date|authors?|owners?|decision\s+owner|last\s+updated|reviewers?|approvers?|deciders"
    r"|supersedes|superseded\s+by|version|revision|implementation\s+target)\b",
    re.I,
)
_OPTIONAL = re.compile(r"\boptional\b|\bif\s+needed\b|\bwhen\s+(?:budget|needed)", re.I)


def _found(pattern: re.Pattern[str], text: str) -> set[Environment]:
    envs: set[Environment] = set()
    for match in pattern.finditer(text):
        envs.update(env for env in _ENV_WORDS if match.group(env))
    return envs


def environment_of_label(label: str) -> Environment | None:
    """The environment a table header or a label names by itself ("Staging", "Production (EU)")."""
    envs = _found(_LABEL, label)
    return next(iter(envs)) if len(envs) == 1 else None


def _of_text(text: str) -> tuple[bool, Environment | None]:
    """(decided, env) from one text: a label prefix, "Prod Redis", "(production)"."""
    envs = _found(_LABEL, text) or _found(_IN, text) or _found(_ADJECTIVE, text) | _found(_PAREN, text)
    if len(envs) == 1:
        return True, next(iter(envs))
    return len(envs) > 1 or len(_found(_WORD, text)) > 1, None


def environment_of(sentence: Sentence) -> Environment | None:
    """The one environment ``sentence`` applies to, or None when it applies to all (or names several)."""
    if sentence.env is not None:
        return sentence.env
    decided, env = _of_text(sentence.text)
    if decided:
        return env
    for parent in reversed(sentence.parents):
        decided, env = _of_text(parent)
        if decided:
            return env
    for heading in reversed(sentence.headings):
        envs = _found(_WORD, heading)
        if len(envs) == 1:
            return next(iter(envs))
    return None


def is_excluded(sentence: Sentence) -> bool:
    """Whether the sentence stands under a heading or key that records something not decided."""
    if any(_NOT_DECIDED.search(h) or _NOT_DECIDED_HEADING.search(h) for h in sentence.headings):
        return True
    if any(_NOT_DECIDED.search(p.split(":")[0]) for p in sentence.parents if len(p) <= 60):
        return True
    if _META.match(sentence.text) or _OPTIONAL.search(sentence.text):
        return True
    label = sentence.text.split(":", 1)[0] if ":" in sentence.text[:40] else ""
    return bool(label and _NOT_DECIDED.search(label + ":")) and sentence.kind is not Kind.HEADING
