"""The one exception hierarchy of stackcheck.

::

    StackcheckError                 root; ``str(err)`` is one line a user can act on
    ├── UsageError                  bad command line or configuration: exit code 2
    │   └── ProfileError            a profile file is wrong; names file:line:col and the dotted key
    └── CouldNotCheck               a check could not be carried out (target unreachable, timeout,
                                    tool missing): the check's outcome is ``error``, never ``failed``

An ``AssertionError`` raised by a suite means the target is non-compliant (outcome ``failed``).
"""

from __future__ import annotations

__all__ = ["CouldNotCheck", "ProfileError", "StackcheckError", "UsageError"]


class StackcheckError(Exception):
    """Root of every error stackcheck raises on purpose."""


class UsageError(StackcheckError):
    """The user asked for something that cannot be run (exit code 2); ``hint`` says how to fix it."""

    def __init__(self, message: str, hint: str | None = None) -> None:
        self.message = message
        self.hint = hint
        super().__init__(f"{message} ({hint})" if hint else message)


class ProfileError(UsageError):
    """A profile is invalid. ``str()`` gives ``file:line:col key: message``."""

    def __init__(
        self,
        message: str,
        *,
        source: str,
        key: str = "",
        line: int | None = None,
        column: int | None = None,
    ) -> None:
        self.source = source
        self.key = key
        self.line = line
        self.column = column
        where = source if line is None else f"{source}:{line}:{column or 1}"
        text = f"{where} {key}: {message}" if key else f"{where}: {message}"
        super().__init__(text)


class CouldNotCheck(StackcheckError):
    """Raised inside a check when the target could not be examined; ``reason`` is a short code."""

    def __init__(self, message: str, reason: str = "unreachable") -> None:
        self.reason = reason
        super().__init__(message)
