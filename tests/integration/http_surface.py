"""Helpers of the HTTP/TLS suite tests: the reference service over real TLS, verified through the CLI."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from conftest import REPO_ROOT, CliRun
from fixtures.refservice import RefService

SURFACE_PROFILE = REPO_ROOT / "fixtures" / "refservice" / "profiles" / "http-surface.yaml"

COMPLIANT: dict[str, dict[str, str]] = {
    "ratelimit": dict.fromkeys(
        [
            "ratelimit.enforced",
            "ratelimit.retry_after",
            "ratelimit.per_ip",
            "ratelimit.spoofing",
            "ratelimit.recovery",
        ],
        "passed",
    ),
    "headers": dict.fromkeys(
        [
            "headers.hsts",
            "headers.csp",
            "headers.nosniff",
            "headers.framing",
            "headers.referrer_policy",
            "headers.server_banner",
            "headers.required",
        ],
        "passed",
    ),
    "cors": dict.fromkeys(["cors.foreign_origin", "cors.credentials_wildcard", "cors.preflight"], "passed"),
    "exposure": dict.fromkeys(["exposure.sensitive_paths", "exposure.error_leak"], "passed"),
    "metrics": dict.fromkeys(
        ["metrics.exposition", "metrics.required", "metrics.latency_histogram"], "passed"
    ),
    "tls": dict.fromkeys(["tls.protocols", "tls.ciphers", "tls.certificate", "tls.redirect"], "passed"),
}


@contextmanager
def https_refservice(defects: Sequence[str] = (), profile: Path = SURFACE_PROFILE) -> Iterator[RefService]:
    """The reference service over HTTPS (local CA), with a plain-HTTP port that redirects."""
    with RefService(profile, defects=defects, tls=True, http_redirect=True) as service:
        yield service


def verify(
    run_cli: Callable[..., CliRun],
    service: RefService,
    suites: Sequence[str],
    *extra: str,
    profile: Path = SURFACE_PROFILE,
) -> CliRun:
    """``stackcheck verify`` of ``suites`` against the service, trusting its CA."""
    args = [
        "verify",
        "--profile",
        str(profile),
        "--target",
        service.url,
        "--set",
        f"target.ca_bundle={service.ca_file}",
    ]
    if service.http_port:
        args += ["--set", f"tls.http_port={service.http_port}"]
    for suite in suites:
        args += ["--suite", suite]
    return run_cli(*args, *extra)


def expected(suites: Sequence[str], **changed: str) -> dict[str, str]:
    """Compliant statuses of ``suites``, some changed: ``expected(["tls"], tls__ciphers="failed")``."""
    out = {k: v for suite in suites for k, v in COMPLIANT[suite].items()}
    for key, status in changed.items():
        check = key.replace("__", ".")
        assert check in out, check
        out[check] = status
    return out


def result(run: CliRun, check_id: str) -> dict[str, object]:
    """The report.json result of ``check_id``."""
    return next(r for r in run.report["results"] if r["id"] == check_id)
