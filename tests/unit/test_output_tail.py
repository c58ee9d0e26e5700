"""``output_tail``: the end of a started process's output, read from the end only."""

from __future__ import annotations

import tempfile

from stackcheck.infra.processes import output_tail


def test_the_tail_is_the_end_of_a_long_output() -> None:
    with tempfile.TemporaryFile() as log:
        log.write(b"x" * 5_000_000 + b"\nlast line: bind failed\n")
        log.flush()
        tail = output_tail(log, 40)
        assert tail.endswith("last line: bind failed") and len(tail) <= 40


def test_no_output_and_a_closed_log_say_so() -> None:
    with tempfile.TemporaryFile() as log:
        assert output_tail(log) == "(no output)"
    assert output_tail(log) == "(no output)"
