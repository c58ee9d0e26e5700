""" "Did you mean ...": the closest known name to a mistyped one (a subcommand, a suite)."""

from __future__ import annotations

import difflib
from collections.abc import Iterable

__all__ = ["did_you_mean"]


def did_you_mean(word: str, known: Iterable[str]) -> str:
    """``"; did you mean 'verify'?"`` for the closest of ``known`` to ``word``, or ``""`` when none is close
    enough (difflib's ratio of at least 0.6: one or two letters off in a short name)."""
    close = difflib.get_close_matches(word, list(known), n=1, cutoff=0.6)
    return f"; did you mean {close[0]!r}?" if close else ""
