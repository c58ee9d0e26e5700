"""The process's own clock: how long this process has run, for ``report.json``'s ``run.process_wall_s``.

The clock starts when the ``stackcheck`` package is first imported — the first thing every entry point
does (the ``stackcheck`` console script and ``python -m stackcheck`` import ``stackcheck.cli``; a bare
``pytest --stackcheck-profile ...`` loads the plugin). It counts everything a run's ``duration_s`` leaves
out: importing pytest and the clients, validating the profile, starting and stopping the throwaway
servers, writing the report. It misses only the interpreter's own start before that import (about 20 ms
here: ``python3 -c pass``). A monotonic clock: a wall-clock step (NTP) does not bend it. The kernel's
process start time (``/proc/self/stat``) was not used: on this machine it disagrees with
``CLOCK_BOOTTIME`` by ~0.1 s, more than the interpreter's start.
"""

from __future__ import annotations

import time

__all__ = ["process_wall_s"]

_STARTED = time.monotonic()


def process_wall_s() -> float:
    """Seconds since this process imported ``stackcheck`` (rounded to the millisecond)."""
    return round(time.monotonic() - _STARTED, 3)
