"""Checks of the ``inputs`` suite: declared bounds enforced, hostile strings survived and escaped, uploads
limited, and the service's OpenAPI document honoured (Schemathesis)."""

from __future__ import annotations

from typing import Any

from stackcheck.catalog.spec import CheckSpec, Requires, Severity, SuiteName

_common: dict[str, Any] = {"suite": SuiteName.INPUTS, "section": "inputs"}

BOUNDS = CheckSpec(
    id="inputs.bounds",
    title="Values at and inside each declared bound are accepted (2xx); beyond it or of the wrong type: 4xx",
    severity=Severity.HIGH,
    reads=("inputs.endpoints",),
    requires=(Requires(keys=("inputs.endpoints",), reason="inputs.endpoints is empty"),),
    remediation=(
        "Validate every parameter against its declared type and bounds (pydantic Field(ge=..., le=...), "
        "a JSON schema) and answer 4xx (400/422) for values outside them, never 2xx or 5xx."
    ),
    fails_on=(
        "defect:inputs-unbounded",
        "defect:inputs-crash",
        "test:tests/integration/test_inputs_suite.py::test_fastapi_without_bounds_fails_bounds",
        "test:tests/integration/test_inputs_suite.py::test_fastapi_crashing_on_wrong_types_fails",
    ),
    controls=("OWASP-ASVS:5.1.3", "OWASP-ASVS:5.1.4"),
    **_common,
)
HOSTILE = CheckSpec(
    id="inputs.hostile",
    title="Markup, script, oversized and wrong-type strings in text fields: 4xx or escaped, never 5xx or "
    "reflected",
    severity=Severity.HIGH,
    reads=("inputs.endpoints",),
    requires=(Requires(keys=("inputs.endpoints",), reason="inputs.endpoints is empty"),),
    remediation=(
        "Strip or escape HTML/JavaScript from text inputs before echoing or storing them (html.escape, "
        "bleach), cap their length, and refuse non-strings with 4xx."
    ),
    fails_on=(
        "defect:inputs-reflect",
        "test:tests/integration/test_inputs_suite.py::test_fastapi_reflecting_markup_fails_hostile",
        "test:tests/integration/test_inputs_suite.py::test_fastapi_crashing_on_wrong_types_fails",
    ),
    controls=("OWASP-ASVS:5.3.3", "OWASP-ASVS:5.1.3"),
    **_common,
)
UPLOAD_LIMIT = CheckSpec(
    id="inputs.upload_limit",
    title="A small upload is accepted; one over the size limit is refused with 413 (or 4xx)",
    severity=Severity.MEDIUM,
    reads=("inputs.uploads",),
    requires=(Requires(keys=("inputs.uploads",), reason="inputs.uploads is empty"),),
    remediation=(
        "Refuse bodies over the limit with 413 before reading them (Content-Length, then a counting reader: "
        "nginx client_max_body_size, a middleware) rather than storing them."
    ),
    fails_on=(
        "defect:upload-unlimited",
        "test:tests/integration/test_inputs_suite.py::test_fastapi_without_an_upload_limit_fails",
    ),
    controls=("OWASP-ASVS:12.1.1", "OWASP-ASVS:11.1.4"),
    **_common,
)
SCHEMA = CheckSpec(
    id="inputs.schema",
    title="Requests generated from the OpenAPI document (Schemathesis): never 5xx; invalid ones get 4xx",
    severity=Severity.HIGH,
    reads=(
        "inputs.openapi",
        "inputs.schema_examples",
        "inputs.schema_max_operations",
        "inputs.schema_time_s",
    ),
    requires=(Requires(keys=("inputs.openapi",), reason="inputs.openapi is not set"),),
    remediation=(
        "Validate requests against the published OpenAPI schema and answer 4xx for those it forbids; a 5xx "
        "means unvalidated input reached code that did not expect it."
    ),
    fails_on=("test:tests/integration/test_inputs_suite.py::test_fastapi_crashing_on_wrong_types_fails",),
    controls=("OWASP-ASVS:5.1.4", "OWASP-ASVS:7.4.1"),
    **_common,
)

CHECKS: tuple[CheckSpec, ...] = (BOUNDS, HOSTILE, UPLOAD_LIMIT, SCHEMA)
