"""The drafting rules, one registry: a rule is a pattern and a function giving ``{dotted key: value}``.

Adding a rule is one function and one line in :data:`RULES` (rules register nowhere else). Order matters
only for ties: when two rules set the same key from one sentence, the first one listed wins.
"""

from __future__ import annotations

from stackcheck.adr.model import Rule
from stackcheck.adr.rules import data, health, http, ops, tls

__all__ = ["RULES"]

RULES: tuple[Rule, ...] = (*health.RULES, *http.RULES, *tls.RULES, *data.RULES, *ops.RULES)
