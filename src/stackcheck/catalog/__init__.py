"""The registry of every check stackcheck knows, by suite.

Adding a check: its :class:`CheckSpec` in the suite's catalog module, listed in that module's ``CHECKS``.
Adding a suite: a catalog module, a :class:`SuiteName` member, and one line in ``_CHECKS`` below.
"""

from __future__ import annotations

from stackcheck.catalog import (
    backup,
    bluegreen,
    breaker,
    cors,
    drills,
    exposure,
    headers,
    health,
    inputs,
    load,
    logs,
    metrics,
    pgbouncer,
    postgres,
    ratelimit,
    redis,
    tls,
)
from stackcheck.catalog import scan as scan_checks
from stackcheck.catalog import secrets as secret_checks
from stackcheck.catalog.spec import (
    STAGE_SUITES,
    CheckSpec,
    Requires,
    Severity,
    SuiteName,
    profile_key_problems,
)

__all__ = [
    "REGISTRY",
    "STAGE_CHECKS",
    "SUITES",
    "CheckSpec",
    "Requires",
    "Severity",
    "SuiteName",
    "check_profile_keys",
    "get_check",
    "render_checks_doc",
    "reserved_namespaces",
]

# The registry: one line per catalog module (each module's CHECKS lists its checks in report order).
_CHECKS: tuple[CheckSpec, ...] = (
    *health.CHECKS,
    *postgres.CHECKS,
    *redis.CHECKS,
    *pgbouncer.CHECKS,
    *ratelimit.CHECKS,
    *headers.CHECKS,
    *cors.CHECKS,
    *inputs.CHECKS,
    *exposure.CHECKS,
    *metrics.CHECKS,
    *tls.CHECKS,
    *scan_checks.CHECKS,
    *secret_checks.CHECKS,
    *logs.CHECKS,
    *drills.CHECKS,
    *backup.CHECKS,
    *bluegreen.CHECKS,
    *breaker.CHECKS,
    *load.CHECKS,
)


def _by_suite(checks: tuple[CheckSpec, ...], stage: bool) -> dict[SuiteName, tuple[CheckSpec, ...]]:
    return {
        suite: tuple(c for c in checks if c.suite is suite)
        for suite in SuiteName
        if (suite in STAGE_SUITES) is stage and any(c.suite is suite for c in checks)
    }


def _index(checks: tuple[CheckSpec, ...]) -> dict[str, CheckSpec]:
    index: dict[str, CheckSpec] = {}
    for spec in checks:
        if spec.id in index:
            raise ValueError(f"check id {spec.id!r} is registered twice")
        index[spec.id] = spec
    return index


#: Suites: folders under suites/, run by `stackcheck verify --suite NAME`. Runtime suites first.
SUITES: dict[SuiteName, tuple[CheckSpec, ...]] = _by_suite(_CHECKS, stage=False)
#: Checks produced by a stage command of their own rather than a suite (`stackcheck load`).
STAGE_CHECKS: dict[SuiteName, tuple[CheckSpec, ...]] = _by_suite(_CHECKS, stage=True)
#: Every check by id.
REGISTRY: dict[str, CheckSpec] = _index(_CHECKS)


#: First parts of check ids kept for stackcheck beyond those in use: a later built-in check never collides.
_KEPT_NAMESPACES = frozenset({"stackcheck", "drill", "team"})


def reserved_namespaces() -> frozenset[str]:
    """First parts of check ids a team may not use: those of the built-in checks, the suite names, and a
    few kept for later (``drill``)."""
    return frozenset({i.split(".", 1)[0] for i in REGISTRY} | {s.value for s in SuiteName} | _KEPT_NAMESPACES)


def check_profile_keys(checks: tuple[CheckSpec, ...] = _CHECKS) -> None:
    """Raise ``ValueError`` naming every check whose section, ``reads`` or ``requires`` names no part of the
    profile model (a typo would leave the check skipped for ever). Run by the plugin when a run starts and by
    the catalog's tests; not at import, which would build the profile's models for ``stackcheck checks``."""
    problems = [problem for spec in checks for problem in profile_key_problems(spec)]
    if problems:
        raise ValueError("; ".join(problems))


def get_check(check_id: str) -> CheckSpec:
    """The spec of ``check_id``; ``KeyError`` with the known ids when there is none."""
    try:
        return REGISTRY[check_id]
    except KeyError:
        raise KeyError(f"unknown check id {check_id!r} (known: {', '.join(sorted(REGISTRY))})") from None


def render_checks_doc() -> str:
    """``docs/checks.md``: every check id, what it reads and what to change when it fails (generated)."""
    out = [
        "# Checks",
        "",
        "<!-- Generated from stackcheck.catalog (`nox -s docs`). Do not edit. -->",
        "",
        "Every check has a stable id (scripts, waivers and profile claims depend on it), a severity, the",
        "profile section it needs (absent section → `skipped`), the profile keys its verdict reads, the",
        "control ids it supports and a remediation line. A profile claim (`claims[].verified_by`) names",
        "check ids or profile keys: a key stands for every check that reads it (docs/profile.md, `claims`).",
        "The claims themselves are the team's, in its profile; the catalog quotes no architecture document.",
    ]
    groups = [(f"Suite `{name}`", checks) for name, checks in SUITES.items()]
    groups += [(f"Stage `stackcheck {name}`", checks) for name, checks in STAGE_CHECKS.items()]
    for heading, checks in groups:
        out += ["", f"## {heading}", "", "| id | title | severity | reads | controls |"]
        out += ["|---|---|---|---|---|"]
        for spec in checks:
            controls = ", ".join(spec.controls)
            keys = [spec.section, *spec.reads, *(k for r in spec.requires for k in r.keys)]
            reads = ", ".join(f"`{k}`" for k in dict.fromkeys(keys))
            out.append(f"| `{spec.id}` | {spec.title} | {spec.severity} | {reads} | {controls} |")
        out.append("")
        for spec in checks:
            if spec.remediation:
                out.append(f"- **`{spec.id}`** when it fails: {spec.remediation}")
    return "\n".join(out) + "\n"
