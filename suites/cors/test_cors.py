"""Suite ``cors``: only the profile's origins may read answers cross-origin; never ``*`` with credentials;
credentials for exactly the origins ``cors.allow_credentials`` allows them for."""

from __future__ import annotations

import pytest

from stackcheck.catalog import cors as checks
from stackcheck.probes.cors import (
    FOREIGN_ORIGIN,
    Grant,
    credential_problem,
    foreign_origins,
    grant_of,
    missing_grants,
)
from stackcheck.testing import CorsSection, EvidenceRecorder, HttpProbe, Profile, require

PREFLIGHT_HEADERS = ("content-type",)


@pytest.fixture
def cors(profile: Profile) -> CorsSection:
    """The profile's ``cors`` section (the plugin already skipped the check when it is absent)."""
    return require(profile.cors, "profile has no `cors` section")


def simple_request(http: HttpProbe, path: str, origin: str) -> Grant:
    """``GET path`` with ``Origin``: what is granted to that origin."""
    exchange = http.get(path, headers={"Origin": origin})
    return grant_of(origin, exchange.response.headers)


def preflight(http: HttpProbe, path: str, origin: str, method: str) -> tuple[int, dict[str, str]]:
    """``OPTIONS path`` as a browser sends it before a cross-origin ``method`` request."""
    headers = {"Origin": origin, "Access-Control-Request-Method": method}
    if method not in ("GET", "HEAD"):
        headers["Access-Control-Request-Headers"] = ", ".join(PREFLIGHT_HEADERS)
    exchange = http.request("OPTIONS", path, headers=headers)
    return exchange.status, {k.lower(): v for k, v in exchange.response.headers.items()}


@pytest.mark.check(checks.FOREIGN_ORIGIN)
def test_foreign_and_look_alike_origins_are_not_granted(
    http: HttpProbe, cors: CorsSection, evidence: EvidenceRecorder
) -> None:
    origins = foreign_origins(cors.allowed_origins)
    grants = [simple_request(http, cors.path, origin) for origin in origins]
    _, pre_headers = preflight(http, cors.path, FOREIGN_ORIGIN, "GET")
    grants.append(grant_of(FOREIGN_ORIGIN, pre_headers))
    granted = sorted({g.origin for g in grants if g.granted})
    evidence.record(
        expected=0,
        observed=len(granted),
        unit="origins granted",
        granted=granted,
        tried=origins,
        answers={g.origin: g.allow_origin for g in grants},
    )
    assert not granted, (
        f"Access-Control-Allow-Origin grants origin(s) outside cors.allowed_origins: {', '.join(granted)}"
    )
    evidence.message = f"{len(origins)} foreign/look-alike origins tried, none granted"


@pytest.mark.check(checks.CREDENTIALS_WILDCARD)
def test_wildcard_origin_is_never_combined_with_credentials(
    http: HttpProbe, cors: CorsSection, evidence: EvidenceRecorder
) -> None:
    origins = [FOREIGN_ORIGIN, *cors.allowed_origins[:1]]
    grants = [simple_request(http, cors.path, origin) for origin in origins]
    for origin in origins:
        _, pre_headers = preflight(http, cors.path, origin, "GET")
        grants.append(grant_of(origin, pre_headers))
    bad = sorted({g.origin for g in grants if g.wildcard_with_credentials})
    evidence.record(
        expected="never * with credentials",
        observed="* with credentials" if bad else "not combined",
        answers=[
            {"origin": g.origin, "allow_origin": g.allow_origin, "credentials": g.allow_credentials}
            for g in grants
        ],
    )
    assert not bad, (
        "Access-Control-Allow-Origin: * is sent with Access-Control-Allow-Credentials: true "
        f"(to {', '.join(bad)})"
    )
    evidence.message = f"{len(grants)} answers, no * with credentials"


def preflight_problems(
    http: HttpProbe, path: str, origin: str, method: str, answers: dict[str, int]
) -> list[str]:
    """What is wrong with the preflight answer for ``method`` from the allowed ``origin``."""
    status, headers = preflight(http, path, origin, method)
    answers[f"{origin} {method}"] = status
    where = f"preflight {method} from {origin}"
    if not 200 <= status < 300:
        return [f"{where} answered {status}"]
    grant = grant_of(origin, headers)
    if not grant.granted:
        return [f"{where}: Access-Control-Allow-Origin is {grant.allow_origin}"]
    asked = PREFLIGHT_HEADERS if method not in ("GET", "HEAD") else ()
    return [f"{where}: {p}" for p in missing_grants(method, asked, headers)]


@pytest.mark.check(checks.PREFLIGHT)
def test_preflights_from_allowed_origins_are_granted(
    http: HttpProbe, cors: CorsSection, evidence: EvidenceRecorder
) -> None:
    if not cors.allowed_origins:
        pytest.skip("cors.allowed_origins is empty: no origin is to be granted")
    problems: list[str] = []
    answers: dict[str, int] = {}
    granted = 0
    for origin in cors.allowed_origins:
        if not simple_request(http, cors.path, origin).granted:
            problems.append(f"GET from {origin} is not granted")
        for method in cors.methods:
            found = preflight_problems(http, cors.path, origin, method, answers)
            granted += not found
            problems += found
    total = len(cors.allowed_origins) * len(cors.methods)
    evidence.record(expected=total, observed=granted, unit="preflights", problems=problems, statuses=answers)
    assert not problems, "; ".join(problems)
    evidence.message = f"{total} preflight(s) from allowed origins granted"


@pytest.mark.check(checks.CREDENTIALS)
def test_credentials_are_granted_to_exactly_the_allowed_origins(
    http: HttpProbe, cors: CorsSection, evidence: EvidenceRecorder
) -> None:
    allow = bool(cors.allow_credentials)
    method = cors.methods[0] if cors.methods else "GET"
    problems: list[str] = []
    credentialed: set[str] = set()
    answers: list[dict[str, object]] = []
    origins = [(o, True) for o in cors.allowed_origins]
    origins += [(o, False) for o in foreign_origins(cors.allowed_origins)]
    for origin, listed in origins:
        requests = [("GET", simple_request(http, cors.path, origin))]
        status, pre_headers = preflight(http, cors.path, origin, method)
        pre = grant_of(origin, pre_headers)
        # A preflight answered with an error status grants nothing (browsers stop there); one refused or
        # not granted to an allowed origin is cors.preflight's failure, not a credentials verdict.
        if 200 <= status < 300 and (pre.granted or not (listed and allow)):
            requests.append((f"preflight {method}", pre))
        for kind, grant in requests:
            answers.append(
                {
                    "request": f"{kind} from {origin}",
                    "allow_origin": grant.allow_origin,
                    "credentials": grant.credentials_header,
                }
            )
            if grant.credentialed:
                credentialed.add(origin)
            problem = credential_problem(grant, listed and allow, f"{kind} from {origin}")
            if problem is not None:
                problems.append(problem)
    expected = sorted(cors.allowed_origins) if allow else []
    evidence.record(
        expected=expected,
        op="==",
        observed=sorted(credentialed),
        unit="origins granted credentials",
        allow_credentials=allow,
        answers=answers,
    )
    assert not problems, "; ".join(problems)
    evidence.message = (
        f"credentials granted to exactly the {len(expected)} allowed origin(s), to none of "
        f"{len(origins) - len(expected)} others"
        if allow
        else f"no origin of {len(origins)} tried is granted credentials"
    )
