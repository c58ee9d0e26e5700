"""The one waiting helper: every poll in stackcheck goes through :func:`wait_until`."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TypeVar

__all__ = ["wait_until"]

T = TypeVar("T")


def wait_until(predicate: Callable[[], T], timeout: float, interval: float = 0.1) -> T | None:
    """Call ``predicate`` until it returns something truthy or ``timeout`` seconds pass.

    Returns the truthy value, or ``None`` on timeout. Exceptions from ``predicate`` propagate: a predicate
    that may fail transiently should catch what it expects itself.
    """
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return None
        time.sleep(min(interval, remaining))
