"""Where a scanner's CPU goes: one run under py-spy (sampling, child processes included), summarised.

Used by ``bench_scan.py --where`` to state what bounds the cold stage: the scanners' own work. A sample is
attributed to module imports when any frame of its stack is importing (start-up), else to the innermost
frame in an installed package (``checkov/terraform``, ``lark``, ``bandit/core``): time spent in the standard
library (``re``, ``json``, ``pickle``) counts for the package that called it. py-spy records only threads on
a CPU (no idle samples), so shares are shares of CPU time.
"""

from __future__ import annotations

import shutil
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

__all__ = ["Where", "py_spy", "py_spy_argv", "summarise"]

IMPORTING = "importing modules (start-up)"
OWN_CODE = "the standard library alone (process start, multiprocessing)"


@dataclass(frozen=True)
class Where:
    """One profiled run: its samples and their shares by part."""

    samples: int
    shares: tuple[tuple[str, float], ...]  # (part, fraction of samples), largest first

    def line(self, tool: str, top: int = 5) -> str:
        """One Markdown line: the tool and its largest parts."""
        parts = ", ".join(f"{name} {share:.0%}" for name, share in self.shares[:top])
        return f"- **{tool}** ({self.samples} samples): {parts}"


def py_spy() -> str | None:
    """The py-spy program (the bench session installs it), or ``None``."""
    return shutil.which("py-spy")


def py_spy_argv(program: str, out: Path, argv: tuple[str, ...], rate: int = 100) -> tuple[str, ...]:
    """``argv`` recorded by py-spy into ``out`` (collapsed stacks), its child processes included."""
    record = [program, "record", "--subprocesses", "--full-filenames", "--nonblocking"]
    return (*record, "--format", "raw", "--rate", str(rate), "-o", str(out), "--", *argv)


def _part(path: str, depth: int = 3) -> str | None:
    """The file's place in its package, at most ``depth`` parts: ``checkov/common/util`` for
    site-packages/checkov/common/util/x.py, ``lark/parsers`` for lark/parsers/y.py, ``yaml`` for yaml/z.py."""
    if "site-packages/" not in path:
        return None
    inner = path.split("site-packages/", 1)[1].split("/")
    if len(inner) == 1:
        return inner[0].removesuffix(".py")
    return "/".join(inner[: min(depth, len(inner) - 1)])


def _frame_path(frame: str) -> str:
    # "func (/path/to/file.py:123)"
    inside = frame.rsplit(" (", 1)[-1].rstrip(")")
    return inside.rsplit(":", 1)[0]


def summarise(raw: Path, max_lines: int = 200_000) -> Where:
    """The shares of the collapsed stacks in ``raw`` (py-spy's ``--format raw``: ``frames count`` lines)."""
    parts: Counter[str] = Counter()
    with raw.open(encoding="utf-8", errors="replace") as stream:
        for number, line in enumerate(stream):
            if number >= max_lines:
                break
            stack, _, count_text = line.rstrip("\n").rpartition(" ")
            if not stack or not count_text.isdigit():
                continue
            frames = stack.split(";")[1:]  # the first element names the process
            if any(f.startswith(("_find_and_load ", "_load_unlocked ")) for f in frames):
                part = IMPORTING
            else:
                part = next(
                    (p for p in (_part(_frame_path(f)) for f in reversed(frames)) if p is not None),
                    OWN_CODE,
                )
            parts[part] += int(count_text)
    total = sum(parts.values())
    shares = tuple((name, n / total) for name, n in parts.most_common()) if total else ()
    return Where(samples=total, shares=shares)
