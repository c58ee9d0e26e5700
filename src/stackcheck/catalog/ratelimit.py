"""Checks of the ``ratelimit`` suite: the request budgets the architecture promises, each run once per limit
(``rate_limit`` and every entry of ``rate_limit.also``)."""

from __future__ import annotations

from typing import Any

from stackcheck.catalog.spec import CheckSpec, Severity, SuiteName

_common: dict[str, Any] = {"suite": SuiteName.RATELIMIT, "section": "rate_limit"}

ENFORCED = CheckSpec(
    id="ratelimit.enforced",
    title="The first `requests` calls in a window succeed and the next one is refused with 429",
    severity=Severity.HIGH,
    reads=(
        "rate_limit.requests",
        "rate_limit.per_seconds",
        "rate_limit.path",
        "rate_limit.method",
        "rate_limit.accept_delaying",
        "rate_limit.max_requests",
        "rate_limit.also",  # every check runs once per limit, these included
    ),
    remediation=(
        "Limit rate_limit.path to rate_limit.requests per rate_limit.per_seconds and refuse the excess "
        "with 429 (nginx: limit_req ... nodelay; or set rate_limit.accept_delaying if pacing is the claim)."
    ),
    fails_on=(
        "defect:no-rate-limit",
        "defect:rate-limit=5",
        "defect:rate-limit=13",
        "defect:limit-off=/auth/login",
        "test:tests/integration/test_ratelimit_third_party.py::test_burst_without_nodelay_is_reported_as_delaying",
    ),
    controls=("OWASP-ASVS:11.1.4", "SOC2:CC6.6", "SOC2:A1.1"),
    **_common,
)
RETRY_AFTER = CheckSpec(
    id="ratelimit.retry_after",
    title="A 429 answer carries a valid Retry-After (seconds or HTTP date, within the window)",
    severity=Severity.MEDIUM,
    reads=("rate_limit.per_seconds", "rate_limit.also"),
    remediation="Send Retry-After (seconds until the window resets) on every 429 answer.",
    fails_on=(
        "defect:no-retry-after",
        "test:tests/integration/test_ratelimit_third_party.py::test_retry_after_with_non_ascii_or_huge_digits_fails",
    ),
    controls=("OWASP-ASVS:11.1.4",),
    **_common,
)
RECOVERY = CheckSpec(
    id="ratelimit.recovery",
    title="After waiting the Retry-After time, the client is served again",
    severity=Severity.MEDIUM,
    reads=(
        "rate_limit.max_wait_s",
        "rate_limit.per_seconds",
        "rate_limit.also",
    ),
    remediation="Make Retry-After tell the truth: serve the client again once that time has passed.",
    fails_on=(
        "defect:retry-after-lies",
        "test:tests/integration/test_ratelimit_third_party.py::test_recovery_waits_a_retry_after_longer_than_the_window",
    ),
    controls=("SOC2:A1.1",),
    **_common,
)
PER_IP = CheckSpec(
    id="ratelimit.per_ip",
    title="One client exhausting its budget does not limit a client from another address",
    severity=Severity.HIGH,
    reads=(
        "rate_limit.scope",
        "rate_limit.requests",
        "rate_limit.also",
    ),
    remediation="Key the limiter by client address (rate_limit.scope), not one bucket shared by all clients.",
    fails_on=(
        "defect:global-bucket",
        "test:tests/integration/test_ratelimit_third_party.py::test_a_budget_of_one_per_ip_is_not_called_shared",
    ),
    controls=("OWASP-ASVS:11.1.4", "SOC2:A1.1"),
    **_common,
)
PER_KEY = CheckSpec(
    id="ratelimit.per_key",
    title="One API key (rate_limit.header) exhausting its budget does not limit another key",
    severity=Severity.HIGH,
    reads=(
        "rate_limit.scope",
        "rate_limit.header",
        "rate_limit.key_values",
        "rate_limit.also",
    ),
    remediation=(
        "Key the limiter by the header's value (nginx: limit_req_zone $http_x_api_key), not by client "
        "address or one bucket shared by all keys."
    ),
    fails_on=(
        "defect:key-ignored",
        "test:tests/integration/test_ratelimit_keyed.py::test_nginx_keyed_by_the_api_key_or_by_address",
    ),
    controls=("OWASP-ASVS:11.1.4", "SOC2:A1.1"),
    **_common,
)
SPOOFING = CheckSpec(
    id="ratelimit.spoofing",
    title="Rotating X-Forwarded-For (and similar headers) does not reset a client's budget",
    severity=Severity.HIGH,
    reads=(
        "rate_limit.scope",
        "rate_limit.requests",
        "rate_limit.also",
    ),
    remediation="Take the client address from the socket or from X-Forwarded-For set by your own proxy only.",
    fails_on=(
        "defect:trust-xff",
        "test:tests/integration/test_ratelimit_third_party.py::test_nginx_realip_trusting_the_probe_address_fails_spoofing_saying_so",
        "test:tests/integration/test_ratelimit_third_party.py::test_slowapi_under_uvicorn_default_proxy_headers_fails_spoofing",
    ),
    controls=("OWASP-ASVS:11.1.4", "SOC2:CC6.6"),
    **_common,
)

CHECKS: tuple[CheckSpec, ...] = (ENFORCED, RETRY_AFTER, PER_IP, PER_KEY, SPOOFING, RECOVERY)
