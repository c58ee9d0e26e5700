"""The publishable form of a report: redacted, then sanitised. Every artifact is rendered from it.

:func:`publishable` is what :func:`stackcheck.report.writer.write_report` applies before any renderer
runs, and what the verify collector, the scan stage and the load stage apply to the report they keep, so
the console lines printed from it are safe too. It is idempotent: applying it twice changes nothing.

Fields the catalog owns (check id, suite, title, severity, controls) are not redacted: they never come from
a target, and a known secret that happens to be a common word (``postgres``) must not rename a suite. The
profile's claims (on each result and in ``claims``) are the team's own sentences: sanitised, not redacted
(a quote such as "Postgres 16" must survive a database password ``postgres``; an ADR's placeholder URL is
not a credential).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from stackcheck.outcomes import CheckResult
from stackcheck.profile.models import Profile
from stackcheck.redact import SHAPE_MASK, Redactor, expand_references, secret_value
from stackcheck.report.model import Report
from stackcheck.report.sanitize import TEXT_LIMIT, cap, clean

__all__ = ["LOG_LIMIT_BYTES", "publish_log", "publishable", "publishable_result", "run_redactor"]

CATALOG_FIELDS = frozenset({"id", "suite", "title", "severity", "status", "controls"})
PROFILE_TEXT_FIELDS = frozenset({"claims"})
# Server settings whose value is a credential (redis requirepass/masterauth, ...).
_CREDENTIAL_SETTINGS = ("pass", "auth", "secret", "token", "key")


LOG_LIMIT_BYTES = 1_000_000  # the tail of a tool's log kept in the report folder


def publish_log(path: Path, redactor: Redactor, limit_bytes: int = LOG_LIMIT_BYTES) -> None:
    """A tool's log in the report folder (Locust's), made publishable in place: its last ``limit_bytes``,
    every line redacted and sanitised like any other text from a target or a tool."""
    size = path.stat().st_size
    with path.open("rb") as log:
        log.seek(max(size - limit_bytes, 0))
        text = log.read(limit_bytes).decode("utf-8", "replace")
    lines = [_safe(line, redactor) for line in text.splitlines()]
    if size > limit_bytes:
        lines.insert(0, f"[the first {size - limit_bytes} bytes of this log were dropped]")
    path.write_text("\n".join(lines) + "\n")


def _safe(text: str, redactor: Redactor) -> str:
    # Redact a window larger than what is kept (escapes only lengthen text), so no secret is cut in two
    # before it is recognised, and a 100 KB line costs no more than its first few KB.
    head = text[: TEXT_LIMIT * 4]
    return cap(clean(redactor.text(head)), TEXT_LIMIT, len(text) - len(head))


def _walk(value: Any, redactor: Redactor) -> Any:
    if isinstance(value, str):
        return _safe(value, redactor)
    if isinstance(value, dict):
        return {
            _safe(str(k), redactor): SHAPE_MASK if secret_value(k, v) else _walk(v, redactor)
            for k, v in value.items()
        }
    if isinstance(value, (list, tuple)):
        return [_walk(v, redactor) for v in value]
    return value


def _result_data(result: dict[str, Any], redactor: Redactor) -> dict[str, Any]:
    return {
        k: v if k in CATALOG_FIELDS else _walk(v, _PLAIN if k in PROFILE_TEXT_FIELDS else redactor)
        for k, v in result.items()
    }


_PLAIN = Redactor()  # sanitises (via _safe) without knowing any secret: for the profile's own text


def publishable_result(result: CheckResult, redactor: Redactor | None = None) -> CheckResult:
    """``result`` redacted and sanitised (message, subject, evidence, waiver)."""
    data = _result_data(result.model_dump(mode="json"), redactor or Redactor())
    return CheckResult.model_validate(data)


def publishable(report: Report, redactor: Redactor | None = None) -> Report:
    """A copy of ``report`` with every secret masked and all target text sanitised."""
    red = redactor or Redactor()
    raw = report.model_dump(mode="json", by_alias=True)
    results = [_result_data(r, red) for r in raw.pop("results")]
    claims = _walk(raw.pop("claims", []), _PLAIN)
    # A control's id and wording are the catalog's (sanitised only); its message and result labels name
    # subjects, which may come from a target: redacted like the results they quote.
    controls = [
        {k: _walk(v, red if k in ("message", "results") else _PLAIN) for k, v in c.items()}
        for c in raw.pop("controls", [])
    ]
    out = _walk(raw, red)
    out["results"] = results
    out["claims"] = claims
    out["controls"] = controls
    return Report.model_validate(out)


def run_redactor(
    profile: Profile,
    environ: Mapping[str, str],
    texts: Iterable[str | None] = (),
    known: Iterable[str] = (),
) -> Redactor:
    """The redactor of one run: the credentials in ``texts`` (target, ``--set`` options) and in the
    profile's URLs and DSNs after ``${VAR}`` expansion, the values of credential-like server settings,
    the test API keys of keyed rate limits, and ``known`` values (canaries)."""
    redactor = Redactor(known)
    urls = [profile.target.base_url if profile.target else None]
    settings: dict[str, object] = {}
    if profile.postgres is not None:
        urls.append(profile.postgres.dsn)
        settings.update(profile.postgres.server_config)
    if profile.redis is not None:
        urls.append(profile.redis.url)
        settings.update(profile.redis.server_config)
    redactor.learn(*texts, *(expand_references(u, environ) for u in urls if u))
    if profile.rate_limit is not None:  # API keys a keyed limit's probe sends
        keys = [v for _, limit in profile.rate_limit.limits() for v in limit.key_values]
        redactor.add(expand_references(v, environ) for v in keys)
    redactor.add(
        expand_references(str(v), environ)
        for k, v in settings.items()
        if any(word in k.lower() for word in _CREDENTIAL_SETTINGS) and isinstance(v, str)
    )
    return redactor
