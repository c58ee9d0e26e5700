"""classify_exception: what an exception raised by a check means — failed, or error with its reason."""

from __future__ import annotations

import pickle

import httpx
import pytest

from stackcheck import CouldNotCheck, ProfileError, UsageError
from stackcheck.collector import Classification, classify_exception
from stackcheck.outcomes import ErrorReason, Status

REQUEST = httpx.Request("GET", "http://127.0.0.1:9/health")


def test_an_assertion_is_a_failure_without_a_reason() -> None:
    outcome = classify_exception(AssertionError("GET /health answered 500\nassert 500 == 200"))
    assert outcome == Classification(Status.FAILED, "GET /health answered 500", None)


def test_an_assertion_in_a_fixture_is_an_error_not_a_failure() -> None:
    outcome = classify_exception(AssertionError("fixture expected a row"), setup=True)
    assert outcome == Classification(Status.ERROR, "fixture expected a row", ErrorReason.INTERNAL)


@pytest.mark.parametrize("reason", list(ErrorReason))
def test_could_not_check_keeps_the_reason_it_was_raised_with(reason: ErrorReason) -> None:
    outcome = classify_exception(CouldNotCheck("first line\nsecond line", reason))
    assert outcome == Classification(Status.ERROR, "first line", reason)


@pytest.mark.parametrize(
    ("exc", "reason"),
    [
        (UsageError("rate_limit.path is not set"), ErrorReason.MISCONFIGURED),
        (ProfileError("must be > 0", source="p.yaml", key="slo.p95_ms"), ErrorReason.MISCONFIGURED),
        (httpx.ConnectError("connection refused", request=REQUEST), ErrorReason.UNREACHABLE),
        (httpx.ReadError("connection reset", request=REQUEST), ErrorReason.UNREACHABLE),
        (httpx.RemoteProtocolError("peer closed", request=REQUEST), ErrorReason.UNREACHABLE),
        (httpx.ConnectTimeout("timed out", request=REQUEST), ErrorReason.TIMEOUT),
        (httpx.ReadTimeout("timed out", request=REQUEST), ErrorReason.TIMEOUT),
        (TimeoutError("timed out"), ErrorReason.TIMEOUT),
        (ConnectionRefusedError(111, "Connection refused"), ErrorReason.UNREACHABLE),
        (OSError(113, "No route to host"), ErrorReason.UNREACHABLE),
    ],
    ids=lambda value: type(value).__name__ if isinstance(value, BaseException) else str(value),
)
def test_known_could_not_check_exceptions_map_to_their_reason(
    exc: BaseException, reason: ErrorReason
) -> None:
    outcome = classify_exception(exc)
    assert outcome.status is Status.ERROR and outcome.reason is reason
    assert outcome.message == str(exc).splitlines()[0]


def test_an_unexpected_exception_is_an_internal_error() -> None:
    outcome = classify_exception(KeyError("p95"))
    assert outcome == Classification(Status.ERROR, "could not check: KeyError: 'p95'", ErrorReason.INTERNAL)


def test_an_exception_without_text_is_named_by_its_class() -> None:
    assert classify_exception(CouldNotCheck("", ErrorReason.TIMEOUT)).message == "CouldNotCheck"
    assert classify_exception(ValueError()).message == "could not check: ValueError: "


def test_could_not_check_survives_pickling_with_its_reason() -> None:
    back = pickle.loads(pickle.dumps(CouldNotCheck("sslyze is not installed", ErrorReason.TOOL_MISSING)))
    assert isinstance(back, CouldNotCheck) and str(back) == "sslyze is not installed"
    assert back.reason is ErrorReason.TOOL_MISSING


def test_every_reason_has_a_meaning_for_the_report_reference() -> None:
    assert all(reason.meaning.endswith(".") for reason in ErrorReason)
