"""The ``inputs`` section: the endpoints whose input validation the architecture promises.

Each endpoint lists its parameters with their type and bounds ("portfolio $1,000-$100,000,000", "scenarios
10-10,000"), and which text fields must come back stripped or escaped; uploads name their size limit ("PDF
< 10 MB"). Or ``openapi`` points at the service's OpenAPI document, from which Schemathesis generates
requests (``inputs.schema``). Every probe is bounded by ``max_requests`` per endpoint.
"""

from __future__ import annotations

from typing import Annotated, Literal, Self

from pydantic import Field, model_validator

from stackcheck.profile.fields import PositiveFloat, Section, UrlPath

__all__ = [
    "DEFAULT_MAX_REQUESTS",
    "InputEndpoint",
    "InputParam",
    "InputsSection",
    "UploadEndpoint",
]

DEFAULT_MAX_REQUESTS = 200  # a few values per bound and per hostile string: far more than a profile needs
HARD_CAP = 2000
MAX_UPLOAD_BYTES = 200_000_000  # the over-limit probe sends max_bytes plus a little: never more than this
_NAME = r"^[A-Za-z_][A-Za-z0-9_.-]{0,63}$"
_HEADER_NAME = r"^[A-Za-z0-9!#$%&'*+.^_`|~-]+$"
Scalar = str | int | float | bool


class InputParam(Section):
    """One parameter of an endpoint: its type, its bounds and a valid value."""

    name: Annotated[str, Field(pattern=_NAME)] = Field(
        description="The parameter's name (JSON key or query)."
    )
    type: Literal["integer", "number", "string", "boolean"] = Field(
        "number", description="Its type: a value of another type must be refused with 4xx."
    )
    minimum: float | None = Field(None, description="Smallest accepted value (inclusive), numbers only.")
    maximum: float | None = Field(None, description="Largest accepted value (inclusive), numbers only.")
    min_length: Annotated[int, Field(ge=0, le=100_000)] | None = Field(
        None, description="Shortest accepted string (characters)."
    )
    max_length: Annotated[int, Field(ge=1, le=100_000)] | None = Field(
        None, description="Longest accepted string (characters): one more must be refused with 4xx."
    )
    step: PositiveFloat | None = Field(
        None,
        description="How far beyond a bound the probe goes (default 1 for integers, 0.01 for numbers: "
        "cents, hundredths of a percent).",
    )
    valid: Scalar | None = Field(
        None,
        description="A value the endpoint accepts, sent for this parameter while another one is probed "
        "(default: the middle of the bounds; `stackcheck` for strings).",
    )
    sanitize: bool = Field(
        False,
        description='A text field whose content must come back stripped or escaped ("Strip HTML/JavaScript '
        'from text inputs"): inputs.hostile sends markup and script in it.',
    )

    @model_validator(mode="after")
    def _bounds_fit_the_type(self) -> Self:
        numeric = self.type in ("integer", "number")
        if not numeric and (self.minimum is not None or self.maximum is not None or self.step is not None):
            raise ValueError(f"{self.name}: minimum/maximum/step belong to integer or number parameters")
        if self.type != "string" and (
            self.min_length is not None or self.max_length is not None or self.sanitize
        ):
            raise ValueError(f"{self.name}: min_length/max_length/sanitize belong to string parameters")
        if self.minimum is not None and self.maximum is not None and self.minimum > self.maximum:
            raise ValueError(f"{self.name}: minimum {self.minimum:g} is above maximum {self.maximum:g}")
        if self.min_length is not None and self.max_length is not None and self.min_length > self.max_length:
            raise ValueError(f"{self.name}: min_length is above max_length")
        if self.type == "integer":
            for key in ("minimum", "maximum"):
                value = getattr(self, key)
                if value is not None and value != int(value):
                    raise ValueError(f"{self.name}: an integer parameter's {key} must be a whole number")
        return self

    @property
    def bounded(self) -> bool:
        """Whether the parameter declares any bound (the bounds check has something to probe)."""
        return any(v is not None for v in (self.minimum, self.maximum, self.min_length, self.max_length))


class InputEndpoint(Section):
    """One endpoint and its parameters, e.g. ``POST /api/v1/simulate`` with a JSON body."""

    name: Annotated[str, Field(min_length=1, max_length=60, pattern=r"^[A-Za-z0-9_.:/-]+$")] | None = Field(
        None, description="What this endpoint's results are called (their subject; default: METHOD path)."
    )
    path: UrlPath = Field(description="The endpoint's URL path, e.g. /api/v1/simulate.")
    method: Literal["GET", "POST", "PUT", "PATCH", "DELETE"] = Field("POST", description="Its method.")
    location: Literal["body", "query"] = Field(
        "body", description="Where the parameters go: a JSON object body, or the query string."
    )
    headers: dict[Annotated[str, Field(pattern=_HEADER_NAME)], str] = Field(
        default_factory=dict, description="Headers sent with every request (e.g. a test API key)."
    )
    params: list[InputParam] = Field(min_length=1, description="The endpoint's parameters.")
    max_requests: Annotated[int, Field(ge=1, le=HARD_CAP)] = Field(
        DEFAULT_MAX_REQUESTS,
        description="Most requests the checks send to this endpoint (each); past it the check stops and "
        "says so (up to 2000).",
    )

    @model_validator(mode="after")
    def _names_unique(self) -> Self:
        names = [p.name for p in self.params]
        twice = sorted({n for n in names if names.count(n) > 1})
        if twice:
            raise ValueError(f"parameter(s) listed twice: {', '.join(twice)}")
        return self

    @property
    def label(self) -> str:
        """The endpoint's results' subject."""
        return self.name or f"{self.method} {self.path}"


class UploadEndpoint(Section):
    """An upload endpoint with a size limit, e.g. PDFs under 10 MB on ``POST /api/v1/reports``."""

    name: Annotated[str, Field(min_length=1, max_length=60, pattern=r"^[A-Za-z0-9_.:/-]+$")] | None = Field(
        None, description="What this upload's results are called (default: METHOD path)."
    )
    path: UrlPath = Field(description="The upload's URL path.")
    method: Literal["POST", "PUT"] = Field("POST", description="Its method.")
    max_bytes: Annotated[int, Field(ge=1, le=MAX_UPLOAD_BYTES)] = Field(
        description="The size limit in bytes (10 MB: 10000000): a body over it must be refused with 413 "
        "(or another 4xx)."
    )
    field: Annotated[str, Field(pattern=_NAME)] | None = Field(
        "file",
        description="The multipart/form-data field holding the file; null: the file is the raw body.",
    )
    filename: Annotated[str, Field(pattern=r"^[A-Za-z0-9_.-]{1,64}$")] = Field(
        "stackcheck.pdf", description="The file name sent."
    )
    content_type: Annotated[str, Field(pattern=r"^[a-z0-9.+-]+/[a-z0-9.+-]+$")] = Field(
        "application/pdf", description="The file's media type."
    )
    headers: dict[Annotated[str, Field(pattern=_HEADER_NAME)], str] = Field(
        default_factory=dict, description="Headers sent with every request (e.g. a test API key)."
    )

    @property
    def label(self) -> str:
        """The upload's results' subject."""
        return self.name or f"{self.method} {self.path}"


class InputsSection(Section):
    """Input validation: endpoints and their bounds, uploads and their limits, an OpenAPI document."""

    endpoints: list[InputEndpoint] = Field(
        default_factory=list,
        description="Endpoints with their parameters and bounds (inputs.bounds, .hostile).",
    )
    uploads: list[UploadEndpoint] = Field(
        default_factory=list, description="Upload endpoints with their size limit (inputs.upload_limit)."
    )
    openapi: Annotated[str, Field(min_length=1)] | None = Field(
        None,
        description="The service's OpenAPI document: a URL path on the target (/openapi.json) or a file "
        "(relative to the profile file). inputs.schema generates requests from it with Schemathesis.",
    )
    schema_examples: Annotated[int, Field(ge=1, le=200)] = Field(
        10,
        description="Examples Schemathesis generates per operation and per mode (valid, invalid): "
        "inputs.schema sends at most twice this many requests per operation.",
    )
    schema_max_operations: Annotated[int, Field(ge=1, le=200)] = Field(
        20, description="Most operations of the OpenAPI document inputs.schema exercises (in its order)."
    )
    schema_time_s: Annotated[float, Field(gt=0, le=600)] = Field(
        60, description="Bound on the whole Schemathesis run; past it the check reports what it sent."
    )

    @model_validator(mode="after")
    def _something_to_check(self) -> Self:
        if not (self.endpoints or self.uploads or self.openapi):
            raise ValueError("give endpoints, uploads and/or openapi: an empty inputs section checks nothing")
        labels = [e.label for e in self.endpoints] + [u.label for u in self.uploads]
        twice = sorted({x for x in labels if labels.count(x) > 1})
        if twice:
            raise ValueError(f"{', '.join(twice)} listed twice: give each a distinct `name`")
        return self
