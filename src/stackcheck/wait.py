"""The one waiting helper: every poll in stackcheck goes through :func:`wait_until`."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

from stackcheck import progress

__all__ = ["wait_until"]

T = TypeVar("T")


def wait_until(
    predicate: Callable[[], T], timeout: float, interval: float = 0.1, what: str | None = None
) -> T | None:
    """Call ``predicate`` until it returns something truthy or ``timeout`` seconds pass.

    Returns the truthy value, or ``None`` on timeout. Exceptions from ``predicate`` propagate: a predicate
    that may fail transiently should catch what it expects itself. ``what`` (``"local Postgres on
    127.0.0.1:5433"``): a wait longer than :data:`~stackcheck.progress.ANNOUNCE_AFTER_S` prints a progress
    line saying what it waits for and for how long at most, and one when it ends.
    """
    started = time.monotonic()
    deadline = started + timeout
    announced = False
    while True:
        value = predicate()
        now = time.monotonic()
        if value or now >= deadline:
            if announced:
                ended = "done" if value else "gave up"
                progress.note(f"{what}: {ended} after {now - started:.1f} s")
            return value or None
        if what and not announced and now - started >= progress.ANNOUNCE_AFTER_S:
            announced = True
            progress.note(f"waiting for {what} (up to {timeout:g} s)")
        time.sleep(min(interval, deadline - now))
