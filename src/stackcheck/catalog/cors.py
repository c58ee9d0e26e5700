"""Checks of the ``cors`` suite: a restrictive cross-origin policy."""

from __future__ import annotations

from typing import Any

from stackcheck.catalog.spec import CheckSpec, Requires, Severity, SuiteName

_common: dict[str, Any] = {"suite": SuiteName.CORS, "section": "cors"}

FOREIGN_ORIGIN = CheckSpec(
    id="cors.foreign_origin",
    title="Foreign, null and look-alike origins get no Access-Control-Allow-Origin",
    severity=Severity.HIGH,
    reads=("cors.allowed_origins",),
    remediation=(
        "Answer Access-Control-Allow-Origin only for origins on an explicit allow-list; never echo the "
        "request's Origin."
    ),
    fails_on=(
        "defect:cors-reflect",
        "defect:cors-wildcard-credentials",
    ),
    controls=("OWASP-ASVS:14.5.3", "SOC2:CC6.6"),
    **_common,
)
CREDENTIALS_WILDCARD = CheckSpec(
    id="cors.credentials_wildcard",
    title="Never Access-Control-Allow-Origin: * together with Access-Control-Allow-Credentials: true",
    severity=Severity.HIGH,
    remediation="Never combine Access-Control-Allow-Origin: * with Access-Control-Allow-Credentials: true.",
    fails_on=("defect:cors-wildcard-credentials",),
    controls=("OWASP-ASVS:14.5.3",),
    **_common,
)
PREFLIGHT = CheckSpec(
    id="cors.preflight",
    title="Preflights from each allowed origin are granted for cors.methods, for that origin only",
    severity=Severity.MEDIUM,
    reads=(
        "cors.allowed_origins",
        "cors.methods",
    ),
    remediation=(
        "Answer OPTIONS preflights from allowed origins with 2xx and the Allow-Origin/Allow-Methods headers."
    ),
    fails_on=("defect:cors-preflight-broken",),
    controls=("OWASP-ASVS:14.5.3",),
    **_common,
)

CREDENTIALS = CheckSpec(
    id="cors.credentials",
    title="Credentials are granted to exactly the allowed origins (cors.allow_credentials), never with *",
    severity=Severity.HIGH,
    reads=("cors.allowed_origins", "cors.methods"),
    remediation=(
        "Answer Access-Control-Allow-Credentials: true only with Access-Control-Allow-Origin echoing an "
        "origin of the allow-list (never *, never to other origins); send it to none when credentials are "
        "not allowed."
    ),
    fails_on=(
        "defect:cors-credentials=false",
        "defect:cors-reflect",
        "defect:cors-wildcard-credentials",
        "test:tests/integration/test_cors_suite.py::test_credentials_false_fails_when_they_are_granted",
    ),
    controls=("OWASP-ASVS:14.5.3", "SOC2:CC6.6"),
    requires=(
        Requires(keys=("cors.allow_credentials",), any_of=True, reason="cors.allow_credentials is not set"),
    ),
    **_common,
)

CHECKS: tuple[CheckSpec, ...] = (FOREIGN_ORIGIN, CREDENTIALS_WILDCARD, PREFLIGHT, CREDENTIALS)
