"""Several rate limits at once on the reference service: keyed by API key, per IP on a login path, global.

The profile ``several-limits.yaml`` promises three limits; the reference service enforces each from the
profile. Every ratelimit check runs once per limit (its subject the limit's name); each defect breaks the
checks of the limit it targets, and only those.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import pytest
import yaml

from conftest import REPO_ROOT, CliRun
from fixtures.refservice import RefService
from stackcheck.catalog import SUITES, CheckSpec, SuiteName, ratelimit
from tests.integration.http_surface import verify

pytestmark = pytest.mark.integration

SEVERAL = REPO_ROOT / "fixtures" / "refservice" / "profiles" / "several-limits.yaml"
SCOPES = {"api-key": "header", "login": "ip", "export": "global"}


def compliant(scopes: Mapping[str, str] = SCOPES) -> dict[str, str]:
    """Every check passed for every limit, but per_ip/per_key where the scope is another: skipped."""
    out = {}
    for spec in SUITES[SuiteName.RATELIMIT]:
        for subject, scope in scopes.items():
            applies = {ratelimit.PER_IP: scope == "ip", ratelimit.PER_KEY: scope == "header"}.get(spec, True)
            out[f"{spec.id}[{subject}]"] = "passed" if applies else "skipped"
    return out


def statuses(changed: Mapping[tuple[CheckSpec, str], str]) -> dict[str, str]:
    """The compliant statuses with some ``(check, subject)`` changed."""
    out = compliant()
    for (spec, subject), status in changed.items():
        key = f"{spec.id}[{subject}]"
        assert key in out, key
        out[key] = status
    return out


def pick(run: CliRun, spec: CheckSpec, subject: str) -> dict[str, Any]:
    """The report.json result of ``spec`` for one limit."""
    return next(r for r in run.report["results"] if r["id"] == spec.id and r["subject"] == subject)


def run_several(run_cli: Callable[..., CliRun], defects: list[str], *extra: str) -> CliRun:
    with RefService(SEVERAL, defects=defects, tls=True) as service:
        return verify(run_cli, service, ["ratelimit"], *extra, profile=SEVERAL)


def test_three_limits_pass_each_check_once_per_limit(run_cli: Callable[..., CliRun]) -> None:
    run = run_several(run_cli, [])
    assert run.code == 0, run.stdout + run.stderr
    assert run.statuses() == compliant()
    by_subject = {r["subject"]: r for r in run.report["results"] if r["id"] == ratelimit.ENFORCED.id}
    assert {s: r["evidence"]["expected"] for s, r in by_subject.items()} == {
        "api-key": 10,
        "login": 5,
        "export": 3,
    }
    assert by_subject["api-key"]["evidence"]["details"]["key"] == "X-API-Key #1"
    assert by_subject["login"]["message"].startswith("POST /auth/login: 5 served, then 429")
    per_key = pick(run, ratelimit.PER_KEY, "api-key")
    assert per_key["evidence"]["details"]["verdict"] == "separate"
    # The generated key values are never shown: evidence names them by number.
    assert "stackcheck-probe-" not in (run.report_dir / "report.json").read_text()


LOGIN_OFF = {
    (ratelimit.ENFORCED, "login"): "failed",
    **{(spec, "login"): "skipped" for spec in (ratelimit.RETRY_AFTER, ratelimit.PER_IP, ratelimit.SPOOFING)},
    (ratelimit.RECOVERY, "login"): "skipped",
}
ROWS: list[tuple[list[str], dict[tuple[CheckSpec, str], str]]] = [
    (["limit-off=/auth/login"], LOGIN_OFF),
    (["key-ignored"], {(ratelimit.PER_KEY, "api-key"): "failed"}),
    (["global-bucket"], {(ratelimit.PER_IP, "login"): "failed", (ratelimit.PER_KEY, "api-key"): "failed"}),
]


@pytest.mark.parametrize(
    ("defects", "changed"), ROWS, ids=lambda v: ",".join(v) if isinstance(v, list) else ""
)
def test_each_defect_fails_the_checks_of_the_limit_it_breaks(
    run_cli: Callable[..., CliRun], defects: list[str], changed: dict[tuple[CheckSpec, str], str]
) -> None:
    run = run_several(run_cli, defects)
    assert run.code == 1, run.stdout + run.stderr
    assert run.statuses() == statuses(changed)


def test_key_ignored_names_the_header_in_its_failure(run_cli: Callable[..., CliRun]) -> None:
    run = run_several(run_cli, ["key-ignored"])
    failed = next(r for r in run.report["results"] if r["status"] == "failed")
    assert failed["id"] == ratelimit.PER_KEY.id and failed["subject"] == "api-key"
    assert "X-API-Key #2 was refused (429) on its very first request" in failed["message"]
    assert "not kept per X-API-Key" in failed["message"]


def issue_example(tmp_path: Path, requests: int = 1000) -> Path:
    """The issue's example: 1000 requests per hour per API key, 5 login attempts per minute per IP."""
    profile: dict[str, Any] = yaml.safe_load(SEVERAL.read_text())
    profile["name"] = "per-key-and-login"
    profile["rate_limit"] = {
        "name": "api-key",
        "requests": requests,
        "per_seconds": 3600,
        "scope": "header",
        "header": "X-API-Key",
        "key_values": ["${TEST_API_KEY_1}", "${TEST_API_KEY_2}"],
        "path": "/api/v1/items",
        "also": [
            {"name": "login", "requests": 5, "per_seconds": 60, "path": "/auth/login", "method": "POST"}
        ],
    }
    path = tmp_path / "per-key-and-login.yaml"
    path.write_text(yaml.safe_dump(profile))
    return path


KEYS = {"TEST_API_KEY_1": "team-test-key-0001", "TEST_API_KEY_2": "team-test-key-0002"}


def verify_keyed(
    run_cli: Callable[..., CliRun], url: str, profile: Path, ca_file: Path | None, env: Mapping[str, str]
) -> CliRun:
    """``stackcheck verify --suite ratelimit`` with the team's test keys in the environment."""
    trust = ["--set", f"target.ca_bundle={ca_file}"] if ca_file else []
    args = ["verify", "--profile", str(profile), "--target", url, *trust, "--suite", "ratelimit"]
    return run_cli(*args, env={"TEST_API_KEY_1": "", "TEST_API_KEY_2": "", **env})


def test_a_thousand_per_hour_per_key_is_measured_and_a_minute_long_wait_is_opt_in(
    run_cli: Callable[..., CliRun], tmp_path: Path
) -> None:
    profile = issue_example(tmp_path)
    with RefService(profile, tls=True) as service:
        run = verify_keyed(run_cli, service.url, profile, service.ca_file, KEYS)
    assert run.code == 0, run.stdout + run.stderr
    expected = compliant({"api-key": "header", "login": "ip"})
    expected[f"{ratelimit.RECOVERY.id}[login]"] = "skipped"
    assert run.statuses() == expected
    enforced = pick(run, ratelimit.ENFORCED, "api-key")
    assert enforced["evidence"]["expected"] == 1000 and enforced["evidence"]["details"]["sent"] <= 1100
    # Up to 12 s for a token of a 5-per-minute limit: waiting is opt-in, the message says which key to raise.
    recovery = pick(run, ratelimit.RECOVERY, "login")
    assert re.fullmatch(
        r"waiting (\d+) s \(Retry-After: \1\) exceeds rate_limit\.also\[0\]\.max_wait_s=5; "
        r"opt in: set rate_limit\.also\[0\]\.max_wait_s: \1 in the profile",
        recovery["message"],
    ), recovery["message"]
    # The team's test keys come from the environment and appear in no artifact.
    for artifact in run.report_dir.iterdir():
        if artifact.is_file():
            text = artifact.read_text(errors="replace")
            assert not any(key in text for key in KEYS.values()), artifact.name


def test_a_budget_above_the_request_cap_is_skipped_naming_the_key_to_raise(
    run_cli: Callable[..., CliRun], tmp_path: Path
) -> None:
    profile = issue_example(tmp_path, requests=1200)
    with RefService(profile, tls=True) as service:
        run = verify_keyed(run_cli, service.url, profile, service.ca_file, KEYS)
    assert run.code == 0, run.stdout + run.stderr
    api_key = {k: v for k, v in run.statuses().items() if k.endswith("[api-key]")}
    assert set(api_key.values()) == {"skipped"}, api_key
    message = next(r["message"] for r in run.report["results"] if r["subject"] == "api-key")
    assert "up to 1320 requests, more than rate_limit.max_requests=1100: raise it to 1320" in message
    assert run.statuses()[f"{ratelimit.ENFORCED.id}[login]"] == "passed"


def test_a_key_variable_that_is_not_set_is_a_usage_error_naming_the_key(
    run_cli: Callable[..., CliRun], tmp_path: Path
) -> None:
    profile = issue_example(tmp_path)
    run = verify_keyed(run_cli, "https://127.0.0.1:9", profile, None, {"TEST_API_KEY_1": "x" * 8})
    assert run.code == 2, run.stdout + run.stderr
    lines = run.stderr.strip().splitlines()
    assert (
        len(lines) == 1 and "rate_limit.key_values uses an environment variable that is not set" in lines[0]
    )


def coverage_rows() -> list[tuple[list[str], dict[CheckSpec, str]]]:
    """This table as the catalog-coverage check reads it: (defects, {check: status})."""
    return [(d, {spec: status for (spec, _), status in changed.items()}) for d, changed in ROWS]
