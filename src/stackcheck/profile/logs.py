"""The ``logs`` section: where the service's log stream comes from and what every line must hold."""

from __future__ import annotations

from typing import Annotated, Literal, Self

from pydantic import Field, model_validator

from stackcheck.profile.fields import Section, UrlPath

__all__ = ["DEFAULT_ALIASES", "LOG_LEVELS", "LogField", "LogLevel", "LogsSection", "PiiKind"]

LogField = Literal["timestamp", "level", "message", "correlation_id"]
LogLevel = Literal["trace", "debug", "info", "warning", "error", "critical"]
PiiKind = Literal["email", "phone", "card", "api_key"]

#: Levels from least to most severe; a line's level is compared by this rank.
LOG_LEVELS: tuple[LogLevel, ...] = ("trace", "debug", "info", "warning", "error", "critical")

#: The keys each field is looked for under, first match wins (the common logging libraries' names).
DEFAULT_ALIASES: dict[LogField, tuple[str, ...]] = {
    "timestamp": ("timestamp", "ts", "time", "@timestamp", "asctime", "datetime"),
    "level": ("level", "levelname", "severity", "lvl", "log.level"),
    "message": ("message", "msg", "event", "@message"),
    "correlation_id": ("correlation_id", "correlationId", "request_id", "requestId", "trace_id"),
}

_ALL_PII: tuple[PiiKind, ...] = ("email", "phone", "card", "api_key")
_DEFAULT_REQUIRED: tuple[LogField, ...] = ("timestamp", "level", "message")


class LogsSection(Section):
    """The service's log stream for the run, and the claims about it (``logs.*`` checks).

    Where the lines come from: ``file`` (the bytes appended to it during the run), ``command`` (what a
    program prints while the run's requests are sent, e.g. ``[docker, logs, -f, NAME]`` or a platform's log
    CLI; no shell, killed at the end), or, with neither, the stdout/stderr of the service stackcheck
    launched from ``service.command``.
    """

    file: Annotated[str, Field(min_length=1)] | None = Field(
        None,
        description="Log file the service writes, relative to the profile file; the run reads what "
        "the service appends to it while stackcheck sends its requests.",
    )
    command: Annotated[list[Annotated[str, Field(min_length=1)]], Field(min_length=1)] | None = Field(
        None,
        description="Program and arguments printing the service's log lines (e.g. [docker, logs, -f, "
        "api]); run without a shell while the requests are sent, then stopped. stdout and stderr are read.",
    )
    max_bytes: Annotated[int, Field(ge=1024, le=100_000_000)] = Field(
        1_000_000, description="Most bytes of log read for the run; the rest is ignored, saying so."
    )
    settle_s: Annotated[float, Field(gt=0, le=60)] = Field(
        3.0,
        description="How long the service may take to write its lines after the last request (the wait "
        "ends earlier once the stream is quiet for 0.3 s after it grew).",
    )
    paths: list[UrlPath] = Field(
        default_factory=list,
        description="Paths requested to make the service log (at most 12 GETs); default: / and the "
        "profile's health endpoints.",
    )
    required_fields: list[LogField] = Field(
        default_factory=lambda: list(_DEFAULT_REQUIRED),
        description="Fields every line must carry (logs.structured); add correlation_id where every line "
        "must carry one.",
    )
    field_names: dict[LogField, list[Annotated[str, Field(min_length=1)]]] = Field(
        default_factory=dict,
        description="The JSON keys a field is found under, replacing the defaults for that field (e.g. "
        "{correlation_id: [cid]}); a dotted key reads a nested object (log.level). Defaults: timestamp "
        "timestamp/ts/time/@timestamp/asctime/datetime; level level/levelname/severity/lvl/log.level; "
        "message message/msg/event/@message; correlation_id correlation_id/correlationId/request_id/"
        "requestId/trace_id.",
    )
    correlation_header: Annotated[str, Field(pattern=r"^[A-Za-z0-9-]+$")] | None = Field(
        None,
        description="Request header carrying the correlation id (e.g. X-Correlation-ID): logs.correlation "
        "sends a fresh id in it and requires a log line whose correlation_id field holds that id.",
    )
    min_level: LogLevel | None = Field(
        None,
        description="Least severe level allowed in the stream (e.g. info: no debug lines; error: "
        "production logging at ERROR): logs.level fails on any line below it.",
    )
    pii: list[PiiKind] = Field(
        default_factory=lambda: list(_ALL_PII),
        description="Kinds of planted personal data logs.pii sends (query string and headers) and requires "
        "never to appear in clear: email, phone, card (a Luhn-valid test number), api_key (X-API-Key).",
    )

    @model_validator(mode="after")
    def _one_source(self) -> Self:
        if self.file is not None and self.command is not None:
            raise ValueError("give logs.file or logs.command, not both (one log stream per run)")
        return self

    def aliases(self, name: LogField) -> tuple[str, ...]:
        """The keys field ``name`` is looked for under."""
        return tuple(self.field_names.get(name) or DEFAULT_ALIASES[name])
