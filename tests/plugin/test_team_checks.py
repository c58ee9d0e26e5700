"""Checks of a team's own, driven with pytester: declared with stackcheck.testing.check, registered for the
run, results in every artifact; the mistakes a team can make end as one line and no COMPLIANT report.

The ``http`` fixture talks to a real loopback HTTP server (stdlib, started here), not a mock.
"""

from __future__ import annotations

import json
import threading
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

# In the snapshot pytester's in-process runs restore: a team module and the plugin must share one TeamCheck.
import stackcheck.plugin
import stackcheck.service_fixtures
import stackcheck.testing  # noqa: F401
from stackcheck.catalog import REGISTRY
from tests.plugin.test_plugin import run_active

ANSWERS = {"/live": {"status": "UP"}, "/fresh": {"age_s": 12}}

TEAM = """
from stackcheck.testing import check

@check("acme.live_up", title="GET /live says UP", severity="high", controls=["SOC2:A1.2"])
def test_live_says_up(http, evidence):
    r = http.get("/live")
    evidence.record(expected="200 UP", observed=f"{r.status_code} {r.json()['status']}")
    assert r.status_code == 200 and r.json()["status"] == "UP", f"GET /live answered {r.status_code}"

@check("acme.fresh", title="data at most 5 s old", severity="medium", controls=["SOC2:PI1.2"])
def test_data_is_fresh(http, evidence):
    age = http.get("/fresh").json()["age_s"]
    evidence.record(expected=5, observed=age, op="<=", unit="s")
    assert age <= 5, f"the data is {age} s old"
"""


class _Handler(BaseHTTPRequestHandler):
    disable_nagle_algorithm = True

    def do_GET(self) -> None:
        body = json.dumps(ANSWERS.get(self.path, {"detail": "Not Found"})).encode()
        self.send_response(200 if self.path in ANSWERS else 404)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    """A real HTTP server on a free loopback port, for the ``http`` fixture."""
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}"
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=5)


def run(
    pytester: pytest.Pytester, suite: str, *args: str, profile: str = "name: acme\n"
) -> tuple[int, dict[str, Any], pytest.RunResult]:
    return run_active(pytester, profile, suite, *args)


def by_id(report: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {r["id"]: r for r in report["results"]}


def test_team_checks_are_results_with_what_they_declared_in_every_artifact(
    pytester: pytest.Pytester, server: str
) -> None:
    code, report, _ = run(pytester, TEAM, "--stackcheck-target", server)
    results = by_id(report)
    assert {i: r["status"] for i, r in results.items()} == {"acme.live_up": "passed", "acme.fresh": "failed"}
    fresh = results["acme.fresh"]
    assert (fresh["title"], fresh["severity"], fresh["controls"], fresh["suite"]) == (
        "data at most 5 s old",
        "medium",
        ["SOC2:PI1.2"],
        "team",
    )
    assert fresh["message"] == "the data is 12 s old" and fresh["evidence"]["observed"] == 12
    assert results["acme.live_up"]["evidence"]["observed"] == "200 UP"
    assert code == 1 and report["summary"]["exit_code"] == 1
    out = pytester.path / "out"
    cases = {c.get("name"): c for c in ET.parse(out / "junit.xml").getroot().iter("testcase")}
    assert set(cases) == {"acme.live_up", "acme.fresh"} and cases["acme.fresh"].find("failure") is not None
    sarif = json.loads((out / "results.sarif").read_text())
    rules = {r["id"]: r for run_ in sarif["runs"] for r in run_["tool"]["driver"]["rules"]}
    assert rules["acme.fresh"]["shortDescription"]["text"] == "data at most 5 s old"
    summary, html = (out / "summary.md").read_text(), (out / "index.html").read_text()
    assert "`acme.fresh`" in summary and "`acme.live_up`" in summary and "NON-COMPLIANT" in summary
    assert "acme.fresh" in html and "GET /live says UP" in html and "SOC2:PI1.2" in html


def test_one_declaration_marks_several_tests(pytester: pytest.Pytester) -> None:
    suite = """
import pytest
from stackcheck.testing import check

ORDERS = check("acme.orders", title="orders", severity="low")

@ORDERS
def test_first(evidence):
    pass

@pytest.mark.check(ORDERS)
@pytest.mark.parametrize("page", [1, 2])
def test_pages(page):
    assert page == 1, f"page {page} is wrong"
"""
    code, report, _ = run(pytester, suite)
    assert [(r["id"], r["subject"], r["status"]) for r in report["results"]] == [
        ("acme.orders", None, "passed"),
        ("acme.orders", "1", "passed"),
        ("acme.orders", "2", "failed"),
    ]
    assert code == 1


def test_an_id_declared_twice_stops_the_run_with_one_line(pytester: pytest.Pytester) -> None:
    suite = """
from stackcheck.testing import check

@check("acme.one", title="a", severity="low")
def test_a():
    pass

@check("acme.one", title="b", severity="low")
def test_b():
    pass
"""
    code, report, result = run(pytester, suite)
    assert code == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        ["ERROR: check id 'acme.one' is declared twice: at *test_suite.py:3 and at *test_suite.py:7 (give*"]
    )
    assert report["results"] == [] and report["summary"]["exit_code"] == 2


def test_a_marker_naming_no_check_is_refused_and_the_report_never_says_compliant(
    pytester: pytest.Pytester,
) -> None:
    # Was: pytest exit 4, and a report folder saying "COMPLIANT ... exit code 0" with 0 results.
    suite = "import pytest\n@pytest.mark.check('acme.orders')\ndef test_x():\n    pass\n"
    code, report, result = run(pytester, suite)
    assert code == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(
        ["ERROR: *@pytest.mark.check('acme.orders') names no registered check; declare it with @check(*"]
    )
    assert report["summary"]["exit_code"] == 2 and report["summary"]["total"] == 0
    summary = (pytester.path / "out" / "summary.md").read_text()
    assert "NOTHING CHECKED" in summary and "COMPLIANT:" not in summary


def test_a_check_in_stackcheck_s_namespace_cannot_be_loaded_and_is_not_an_interruption(
    pytester: pytest.Pytester,
) -> None:
    suite = "from stackcheck.testing import check\n@check('tls.mine', title='t', severity='low')\n"
    suite += "def test_x():\n    pass\n"
    code, report, result = run(pytester, suite)
    result.stdout.fnmatch_lines(
        ["*TeamCheckError: *test_suite.py:2: check id 'tls.mine' is in stackcheck's namespace*"]
    )
    assert code == pytest.ExitCode.INTERRUPTED  # pytest's own code for a module it cannot load
    assert report["run"]["interrupted"] is False and report["summary"]["exit_code"] == 2


def test_team_checks_exist_for_their_run_only(pytester: pytest.Pytester) -> None:
    profile = "name: acme\nwaivers:\n  - {check: acme.only, reason: known, owner: ops, expires: 2999-01-01}\n"
    failing = "from stackcheck.testing import check\n@check('acme.only', title='t', severity='low')\n"
    failing += "def test_x():\n    assert False, 'no'\n"
    _, first, _ = run(pytester, failing, profile=profile)
    assert by_id(first)["acme.only"]["status"] == "waived" and first["waivers"][0]["state"] == "active"
    assert "acme.only" not in REGISTRY
    # The next run has no such test: the id is unknown there, and the waiver covers nothing.
    pytester.makepyfile(test_suite="def test_plain():\n    pass\n")
    pytester.runpytest(
        "-p", "no:cacheprovider", "--stackcheck-profile", "profile.yaml", "--stackcheck-report-dir", "out"
    )
    second = json.loads((pytester.path / "out" / "report.json").read_text())
    assert second["waivers"][0]["state"] == "stale" and second["summary"]["exit_code"] == 2


def test_the_fixtures_a_team_test_uses(pytester: pytest.Pytester, server: str) -> None:
    suite = """
from stackcheck.testing import EvidenceRecorder, Exchange, HttpProbe, Profile, Target, check

@check("acme.fixtures", title="fixtures", severity="info")
def test_fixtures(http, evidence, profile, target):
    assert isinstance(http, HttpProbe) and isinstance(evidence, EvidenceRecorder)
    assert isinstance(profile, Profile) and profile.name == "acme"
    assert isinstance(target, Target) and target.base_url == http.base_url
    r = http.get("/live")
    assert isinstance(r, Exchange) and r.headers["content-type"] == "application/json"

@check("acme.misspelt", title="misspelt", severity="info")
def test_misspelt(http):
    assert http.get("/live").status_cod == 200
"""
    code, report, _ = run(pytester, suite, "--stackcheck-target", server)
    results = by_id(report)
    assert results["acme.fixtures"]["status"] == "passed"
    misspelt = results["acme.misspelt"]
    assert (misspelt["status"], misspelt["error_reason"]) == ("error", "internal")  # a bug in the test
    assert "no attribute 'status_cod'; it has status (or status_code)" in misspelt["message"]
    assert report["summary"]["exit_code"] == 3 and code == pytest.ExitCode.TESTS_FAILED


def test_a_check_needing_a_section_or_a_server_the_profile_lacks_is_skipped(
    pytester: pytest.Pytester,
) -> None:
    suite = """
from stackcheck.testing import check

@check("acme.pg_tuned", title="tuned", severity="low", section="postgres")
def test_tuned():
    raise AssertionError("not reached")

@check("acme.pg_used", title="uses pg", severity="low")
def test_uses_pg(pg):
    raise AssertionError("not reached")

@check("acme.redis_used", title="uses redis", severity="low")
def test_uses_redis(redis_client):
    raise AssertionError("not reached")
"""
    code, report, _ = run(pytester, suite)
    assert {i: (r["status"], r["message"]) for i, r in by_id(report).items()} == {
        "acme.pg_tuned": ("skipped", "profile has no `postgres` section"),
        "acme.pg_used": ("skipped", "profile has no `postgres` section"),
        "acme.redis_used": ("skipped", "profile has no `redis` section"),
    }
    assert report["summary"]["exit_code"] == 0 and code == pytest.ExitCode.OK


def test_a_check_verifies_the_profile_claims_it_names(pytester: pytest.Pytester, server: str) -> None:
    # c-prices names only acme.fresh; acme.live_up joins it through claims=; c-live names acme.live_up
    # by id: each result carries its claims, each claim's verdict comes from them.
    profile = """
name: acme
claims:
  - {id: c-prices, text: "Prices are live and fresh.", source: "docs/adr/7.md:12", verified_by: [acme.fresh]}
  - {id: c-live, text: "Liveness answers UP.", source: "docs/adr/0007.md:20", verified_by: [acme.live_up]}
"""
    suite = TEAM.replace('"acme.live_up", ', '"acme.live_up", claims=["c-prices"], ')
    _, report, _ = run(pytester, suite, "--stackcheck-target", server, profile=profile)
    results = by_id(report)
    assert [c["id"] for c in results["acme.live_up"]["claims"]] == ["c-prices", "c-live"]
    assert [c["source"] for c in results["acme.fresh"]["claims"]] == ["docs/adr/7.md:12"]
    verdicts = {c["id"]: c for c in report["claims"]}
    assert (verdicts["c-prices"]["status"], verdicts["c-live"]["status"]) == ("violated", "verified")
    assert set(verdicts["c-prices"]["results"]) == {"acme.fresh", "acme.live_up"}


def test_a_check_naming_a_claim_the_profile_lacks_is_refused(pytester: pytest.Pytester) -> None:
    suite = "from stackcheck.testing import check\n"
    suite += "@check('acme.x', title='t', severity='low', claims=['c-9'])\ndef test_x():\n    pass\n"
    code, report, result = run(pytester, suite)
    assert code == pytest.ExitCode.USAGE_ERROR and report["results"] == []
    result.stderr.fnmatch_lines(
        ["ERROR: *test_suite.py:2: check 'acme.x' verifies claim 'c-9', but profile.yaml lists no claim*"]
    )
