"""Progress lines on the terminal while stackcheck waits: what it waits for and for how long at most.

They go to stderr (stdout stays for the results, or for ``--output -``'s report alone), never into a
report artifact, and not at all under ``--quiet``. Under pytest's output capture (a fixture starting
Postgres) they still reach the terminal: the stream is a copy of stderr taken before pytest started.
"""

from __future__ import annotations

import os
import sys
import threading
from typing import TextIO

__all__ = ["ANNOUNCE_AFTER_S", "configure", "ensure_stream", "note"]

#: A wait shorter than this says nothing; a longer one says what it waits for.
ANNOUNCE_AFTER_S = 1.0


class _State:
    def __init__(self) -> None:
        self.quiet = False
        self.stream: TextIO | None = None
        self.lock = threading.Lock()


_STATE = _State()


def configure(*, quiet: bool) -> None:
    """Set once by the command line (and the plugin) before anything runs; ``quiet``: say nothing."""
    _STATE.quiet = quiet
    ensure_stream()


def ensure_stream() -> None:
    """Take the copy of stderr progress lines go to (once; before pytest captures the output)."""
    if _STATE.stream is not None:
        return
    try:
        _STATE.stream = os.fdopen(os.dup(sys.stderr.fileno()), "w", buffering=1, errors="replace")
    except (AttributeError, OSError, ValueError):  # stderr has no file descriptor (an in-process test)
        _STATE.stream = None


def note(text: str) -> None:
    """Print one progress line (masked and escaped like every terminal line) unless quiet."""
    if _STATE.quiet:
        return
    from stackcheck.report.console import terminal  # here: the waiting helper is imported everywhere

    line = terminal(f"stackcheck: {text}")
    with _STATE.lock:
        stream = _STATE.stream or sys.stderr
        try:
            stream.write(line + "\n")
            stream.flush()
        except (OSError, ValueError):  # the terminal went away: progress is not worth failing a run
            pass
