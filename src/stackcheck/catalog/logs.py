"""Checks of the ``logs`` suite: the service's own log stream, captured for the run (``logs`` section).

The stream comes from ``logs.file``, ``logs.command`` or the launched service's stdout/stderr
(:mod:`stackcheck.probes.logcapture`); one bounded window of requests feeds every check. No line captured
at all is ``error`` (nothing to judge), never a verdict. ``secrets.logs`` (a planted credential) reads log
files through the same capture.
"""

from __future__ import annotations

from stackcheck.catalog.spec import CheckSpec, Requires, Severity, SuiteName

_TESTS = "tests/integration/test_logs_third_party.py"
_READS = ("logs.file", "logs.command", "logs.max_bytes", "logs.settle_s", "logs.paths")

STRUCTURED = CheckSpec(
    id="logs.structured",
    title="Every log line is one JSON object carrying the required fields",
    severity=Severity.MEDIUM,
    suite=SuiteName.LOGS,
    section="logs",
    reads=(*_READS, "logs.required_fields", "logs.field_names"),
    controls=("SOC2:CC7.2", "PCI-DSS:10.2.1"),
    remediation="Log through a JSON formatter (one object per line) with timestamp, level and message, "
    "including the server's and the framework's own loggers.",
    fails_on=(f"test:{_TESTS}::test_plain_text_formatter_fails_logs_structured",),
)
CORRELATION = CheckSpec(
    id="logs.correlation",
    title="A request's correlation header reaches its log line",
    severity=Severity.LOW,
    suite=SuiteName.LOGS,
    section="logs",
    requires=(Requires(keys=("logs.correlation_header",), reason="logs.correlation_header is not set"),),
    reads=(*_READS, "logs.field_names"),
    controls=("SOC2:CC7.2",),
    remediation="Read the correlation header (or create an id) per request and bind it to every log line "
    "the request writes, under the correlation_id field.",
    fails_on=(f"test:{_TESTS}::test_a_service_ignoring_the_correlation_header_fails_logs_correlation",),
)
PII = CheckSpec(
    id="logs.pii",
    title="Planted personal data and API keys sent in requests never appear in the logs in clear",
    severity=Severity.HIGH,
    suite=SuiteName.LOGS,
    section="logs",
    reads=(*_READS, "logs.pii"),
    controls=("OWASP-ASVS:7.1.1", "GDPR:Art.25(2)", "GDPR:Art.32(1)(b)"),
    remediation="Log no query strings or headers verbatim: mask e-mails, phone and card numbers and API "
    "keys (or drop the fields) before they reach a log line.",
    fails_on=(
        f"test:{_TESTS}::test_logging_the_email_fails_logs_pii_naming_the_kind_only",
        "defect:leaky-logs",  # the reference service logs X-API-Key verbatim
    ),
)
LEVEL = CheckSpec(
    id="logs.level",
    title="No log line below logs.min_level (no DEBUG in production)",
    severity=Severity.MEDIUM,
    suite=SuiteName.LOGS,
    section="logs",
    requires=(Requires(keys=("logs.min_level",), reason="logs.min_level is not set"),),
    reads=(*_READS, "logs.field_names"),
    controls=("OWASP-ASVS:14.3.2",),
    remediation="Set the service's (and its libraries') log level to logs.min_level or above in this "
    "environment.",
    fails_on=(f"test:{_TESTS}::test_debug_level_fails_logs_level",),
)

CHECKS: tuple[CheckSpec, ...] = (STRUCTURED, CORRELATION, PII, LEVEL)
