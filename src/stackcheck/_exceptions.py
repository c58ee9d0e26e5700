"""The one exception hierarchy of stackcheck.

::

    StackcheckError                 root; ``str(err)`` is one line a user can act on
    ├── UsageError                  bad command line or configuration: exit code 2
    │   └── ProfileError            a profile file is wrong; names file:line:col and the dotted key
    └── CouldNotCheck               a check could not be carried out; ``reason`` (an :class:`ErrorReason`)
                                    says why: the check's outcome is ``error``, never ``failed``

An ``AssertionError`` raised by a suite means the target is non-compliant (outcome ``failed``).
"""

from __future__ import annotations

from enum import StrEnum

__all__ = ["CouldNotCheck", "ErrorReason", "ProfileError", "StackcheckError", "UsageError"]


class ErrorReason(StrEnum):
    """Why a check ended in ``error``: what kept stackcheck from judging the target (never a verdict).

    Lives here, beside :class:`CouldNotCheck`, so that raising one needs no other import; the report
    carries it as ``results[].error_reason``.
    """

    UNREACHABLE = "unreachable"
    TIMEOUT = "timeout"
    ACCESS_DENIED = "access_denied"
    UNEXPECTED_ANSWER = "unexpected_answer"
    INCONCLUSIVE = "inconclusive"
    TOOL_MISSING = "tool_missing"
    TOOL_FAILED = "tool_failed"
    START_FAILED = "start_failed"
    MISCONFIGURED = "misconfigured"
    INTERRUPTED = "interrupted"
    INTERNAL = "internal"

    @property
    def meaning(self) -> str:
        """One sentence for the report reference (``docs/report.md``)."""
        return _MEANINGS[self]


_MEANINGS: dict[ErrorReason, str] = {
    ErrorReason.UNREACHABLE: "No connection to the target: refused, reset, no route, or lost mid-check.",
    ErrorReason.TIMEOUT: "The target, or a tool examining it, did not answer in time.",
    ErrorReason.ACCESS_DENIED: "The target refused the login, or the command the check needs.",
    ErrorReason.UNEXPECTED_ANSWER: "The target answered, but with nothing the check can judge.",
    ErrorReason.INCONCLUSIVE: "The measurement ran but cannot decide (e.g. a saturated load generator).",
    ErrorReason.TOOL_MISSING: "An external tool (scanner, Locust, server binary) is not installed or built.",
    ErrorReason.TOOL_FAILED: "An external tool ran and failed, or wrote output that cannot be read.",
    ErrorReason.START_FAILED: "A service stackcheck starts or prepares for the run (container, local "
    "server, service.command, migrations) did not come up.",
    ErrorReason.MISCONFIGURED: "The profile or the command line asks for something that cannot be checked.",
    ErrorReason.INTERRUPTED: "A signal (SIGINT, SIGTERM, SIGHUP) stopped the run before the check could end.",
    ErrorReason.INTERNAL: "An unexpected exception: a bug in stackcheck or in a suite (please report it).",
}


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
    """Raised inside a check when the target could not be examined; ``reason`` says why."""

    def __init__(self, message: str, reason: ErrorReason) -> None:
        self.reason = reason
        super().__init__(message)

    def __reduce__(self) -> tuple[type[CouldNotCheck], tuple[str, ErrorReason]]:
        # The default pickles only ``args`` (the message) and would lose the required reason.
        return type(self), (str(self), self.reason)
