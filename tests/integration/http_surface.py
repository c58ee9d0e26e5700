"""Helpers of the HTTP/TLS suite tests: the reference service over real TLS, verified through the CLI."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path

from conftest import REPO_ROOT, CliRun
from fixtures.refservice import RefService
from stackcheck.catalog import SUITES, CheckSpec, SuiteName, exposure, ratelimit

SURFACE_PROFILE = REPO_ROOT / "fixtures" / "refservice" / "profiles" / "http-surface.yaml"


# Checks that do not apply to the surface profiles' limits (one per IP): skipped even when compliant.
# Not set by the surface profile: which ports are closed depends on the machine (test_exposure_ports.py).
NOT_APPLICABLE = {ratelimit.PER_KEY.id, exposure.CLOSED_PORTS.id}


def compliant(suite: str) -> dict[str, str]:
    """Every check of ``suite`` passed: what the compliant reference service must give."""
    return {
        spec.id: "skipped" if spec.id in NOT_APPLICABLE else "passed" for spec in SUITES[SuiteName(suite)]
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
    if service.metrics_url:
        args += ["--set", f"metrics.base_url={service.metrics_url}"]
    for suite in suites:
        args += ["--suite", suite]
    return run_cli(*args, *extra)


def expected(suites: Sequence[str], changed: Mapping[CheckSpec, str] | None = None) -> dict[str, str]:
    """Compliant statuses of ``suites``, some changed: ``expected(["tls"], {tls.CIPHERS: "failed"})``."""
    out = {k: v for suite in suites for k, v in compliant(suite).items()}
    for spec, status in (changed or {}).items():
        assert spec.id in out, spec.id
        out[spec.id] = status
    return out


def assert_rows_cover_the_catalog(
    suite: str,
    rows: Sequence[tuple[Sequence[str], Mapping[CheckSpec, str]]],
    except_for: Sequence[CheckSpec] = (),
) -> None:
    """Every ``defect:`` failing example the catalog lists for ``suite`` is a row that fails that check.

    The rows are the suite test's table of (defects switched on, statuses that change); a check whose
    failing example no row runs would be a check nobody showed can fail. ``except_for``: checks whose
    examples a test of their own runs (parametrized with ``spec.examples("defect")``).
    """
    __tracebackhide__ = True
    missing = [
        f"{spec.id} <- defect:{defect}"
        for spec in SUITES[SuiteName(suite)]
        if spec not in except_for
        for defect in spec.examples("defect")
        if not any(list(defects) == [defect] and changed.get(spec) == "failed" for defects, changed in rows)
    ]
    assert not missing, f"failing examples of the catalog that no row of the {suite} table runs: {missing}"


def result(run: CliRun, check: CheckSpec | str) -> dict[str, object]:
    """The report.json result of ``check``."""
    check_id = check.id if isinstance(check, CheckSpec) else check
    return next(r for r in run.report["results"] if r["id"] == check_id)
