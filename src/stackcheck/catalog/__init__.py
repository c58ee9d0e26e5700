"""The registry of every check stackcheck knows, by suite. Adding a check: one spec, one line here."""

from __future__ import annotations

from stackcheck.catalog import cors, exposure, headers, health, load, metrics, postgres, ratelimit, redis, tls
from stackcheck.catalog import scan as scan_checks
from stackcheck.catalog import secrets as secret_checks
from stackcheck.catalog.spec import CheckSpec, Claim, Severity, System

__all__ = [
    "REGISTRY",
    "STAGE_CHECKS",
    "SUITES",
    "CheckSpec",
    "Claim",
    "Severity",
    "System",
    "get_check",
    "render_checks_doc",
]

# Suites: folders under suites/, run by `stackcheck verify --suite NAME`. Runtime suites first.
SUITES: dict[str, tuple[CheckSpec, ...]] = {
    "health": health.CHECKS,
    "postgres": postgres.CHECKS,
    "redis": redis.CHECKS,
    "ratelimit": ratelimit.CHECKS,
    "headers": headers.CHECKS,
    "cors": cors.CHECKS,
    "exposure": exposure.CHECKS,
    "metrics": metrics.CHECKS,
    "tls": tls.CHECKS,
    "scan": scan_checks.CHECKS,
    "secrets": secret_checks.CHECKS,
}

# Checks produced by a stage command of their own rather than a suite (`stackcheck load`).
STAGE_CHECKS: dict[str, tuple[CheckSpec, ...]] = {
    "load": load.CHECKS,
}

REGISTRY: dict[str, CheckSpec] = {
    spec.id: spec for checks in (*SUITES.values(), *STAGE_CHECKS.values()) for spec in checks
}


def get_check(check_id: str) -> CheckSpec:
    """The spec of ``check_id``; ``KeyError`` with the known ids when there is none."""
    try:
        return REGISTRY[check_id]
    except KeyError:
        raise KeyError(f"unknown check id {check_id!r} (known: {', '.join(sorted(REGISTRY))})") from None


def render_checks_doc() -> str:
    """``docs/checks.md``: every check id with the claims it proves (generated; a test keeps it in sync)."""
    out = [
        "# Checks",
        "",
        "<!-- Generated from stackcheck.catalog (`nox -s docs`). Do not edit. -->",
        "",
        "Every check has a stable id (scripts and waivers depend on it), a severity, the profile section it",
        "needs (absent section → `skipped`), the architecture claims it proves (quoted from the seed ADRs)",
        "and the control ids it supports.",
    ]
    groups = [(f"Suite `{name}`", checks) for name, checks in SUITES.items()]
    groups += [(f"Stage `stackcheck {name}`", checks) for name, checks in STAGE_CHECKS.items()]
    for heading, checks in groups:
        out += ["", f"## {heading}", "", "| id | title | severity | profile section | controls |"]
        out += ["|---|---|---|---|---|"]
        for spec in checks:
            controls = ", ".join(spec.controls)
            out.append(f"| `{spec.id}` | {spec.title} | {spec.severity} | `{spec.section}` | {controls} |")
        out.append("")
        for spec in checks:
            out.append(f"- **`{spec.id}`** proves:")
            out += [f"  - {c.system}: “{c.quote}”" for c in spec.claims]
    return "\n".join(out) + "\n"
