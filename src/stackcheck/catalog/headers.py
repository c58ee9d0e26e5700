"""Checks of the ``headers`` suite: HTTP security headers (after the Mozilla HTTP Observatory's tests)."""

from __future__ import annotations

from typing import Any

from stackcheck.catalog.spec import CheckSpec, Requires, Severity, SuiteName

_PAGES = ("headers.path", "headers.paths")  # every headers check reads each page they name
_common: dict[str, Any] = {"suite": SuiteName.HEADERS, "section": "headers"}

HSTS = CheckSpec(
    id="headers.hsts",
    title="HTTPS answers carry Strict-Transport-Security with max-age >= headers.hsts_min_age_s",
    severity=Severity.HIGH,
    reads=(
        "headers.hsts_min_age_s",
        "headers.hsts_include_subdomains",
        "headers.hsts_preload",
        *_PAGES,
    ),
    remediation=(
        "Send Strict-Transport-Security: max-age at least headers.hsts_min_age_s on every HTTPS answer."
    ),
    fails_on=(
        "defect:hsts-short",
        "defect:no-header=strict-transport-security",
    ),
    controls=("OWASP-ASVS:14.4.5", "SOC2:CC6.7"),
    **_common,
)
CSP = CheckSpec(
    id="headers.csp",
    title="Content-Security-Policy is sent and restricts scripts and objects (no unsafe-inline/eval, no *)",
    severity=Severity.HIGH,
    reads=_PAGES,
    remediation=(
        "Send a Content-Security-Policy with script-src/object-src free of 'unsafe-inline', 'unsafe-eval'"
        " and *."
    ),
    fails_on=(
        "defect:weak-csp",
        "defect:no-header=content-security-policy",
    ),
    controls=("OWASP-ASVS:14.4.3", "SOC2:CC6.6"),
    **_common,
)
NOSNIFF = CheckSpec(
    id="headers.nosniff",
    title="X-Content-Type-Options: nosniff is sent",
    severity=Severity.MEDIUM,
    reads=_PAGES,
    remediation="Send X-Content-Type-Options: nosniff on every answer.",
    fails_on=("defect:no-header=x-content-type-options",),
    controls=("OWASP-ASVS:14.4.4",),
    **_common,
)
FRAMING = CheckSpec(
    id="headers.framing",
    title="Framing is restricted (X-Frame-Options DENY/SAMEORIGIN or a restrictive CSP frame-ancestors)",
    severity=Severity.MEDIUM,
    reads=_PAGES,
    remediation="Send X-Frame-Options: DENY (or SAMEORIGIN) or a CSP frame-ancestors directive.",
    fails_on=("defect:framing-allowed",),
    controls=("OWASP-ASVS:14.4.7",),
    **_common,
)
REFERRER_POLICY = CheckSpec(
    id="headers.referrer_policy",
    title="Referrer-Policy keeps URLs private (no-referrer, same-origin, strict-origin[-when-cross-origin])",
    severity=Severity.LOW,
    reads=_PAGES,
    remediation="Send Referrer-Policy: strict-origin-when-cross-origin (or no-referrer / same-origin).",
    fails_on=("defect:no-header=referrer-policy",),
    controls=("OWASP-ASVS:14.4.6",),
    **_common,
)
SERVER_BANNER = CheckSpec(
    id="headers.server_banner",
    title="Server, X-Powered-By and similar headers name no software versions",
    severity=Severity.LOW,
    reads=_PAGES,
    remediation="Remove versions from Server and X-Powered-By (server_tokens off, ServerTokens Prod, ...).",
    fails_on=("defect:server-banner",),
    controls=("OWASP-ASVS:14.3.3",),
    **_common,
)
REQUIRED = CheckSpec(
    id="headers.required",
    title="Every header named in headers.required is present",
    severity=Severity.MEDIUM,
    reads=("headers.required", *_PAGES),
    remediation="Send every header listed in headers.required on each checked page.",
    fails_on=(
        "defect:no-header=content-security-policy",
        "defect:no-header=x-content-type-options",
        "defect:no-header=referrer-policy",
    ),
    **_common,
)

COOP = CheckSpec(
    id="headers.coop",
    title="Cross-Origin-Opener-Policy isolates the window from cross-origin openers (same-origin...)",
    severity=Severity.LOW,
    reads=_PAGES,
    remediation="Send Cross-Origin-Opener-Policy: same-origin (same-origin-allow-popups if you open popups).",
    fails_on=("defect:no-header=cross-origin-opener-policy",),
    controls=("SOC2:CC6.6",),
    **_common,
)

VALUES = CheckSpec(
    id="headers.values",
    title="Every header in headers.values carries exactly its value, once",
    severity=Severity.MEDIUM,
    reads=_PAGES,
    remediation=(
        "Send each header of headers.values once, with exactly that value, on every page (nginx: repeat the "
        "add_header lines in a location that has add_header lines of its own)."
    ),
    fails_on=(
        "defect:header-value=x-frame-options:SAMEORIGIN",
        "defect:duplicate-header=x-frame-options",
        "defect:no-header=referrer-policy",
        "test:tests/integration/test_headers_suite.py::test_every_listed_path_is_judged_on_its_own",
    ),
    controls=("SOC2:CC6.6",),
    requires=(Requires(keys=("headers.values",), reason="headers.values names no header"),),
    **_common,
)

CHECKS: tuple[CheckSpec, ...] = (
    HSTS,
    CSP,
    NOSNIFF,
    FRAMING,
    REFERRER_POLICY,
    SERVER_BANNER,
    REQUIRED,
    COOP,
    VALUES,
)
