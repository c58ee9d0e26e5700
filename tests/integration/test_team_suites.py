"""A team's own suite folder, outside the repository, run by the real CLI against real servers.

The first test is the one that shows the capability: stackcheck installed from its wheel into a fresh
virtual environment (its dependencies taken from this one: no package index, nothing leaves loopback), a
team folder in a temporary directory found through the profile's ``suite_dirs``, two checks against the
running reference service, one passing and one failing, in every artifact, exit code 1.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import sysconfig
import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from conftest import CliRun

pytestmark = pytest.mark.integration

TEAM_SUITE = '''"""Acme's claims about its own API, which no built-in check covers."""

from stackcheck.testing import EvidenceRecorder, HttpProbe, check


@check(
    "acme.live_reports_up",
    title="GET /health/live says UP",
    severity="high",
    controls=["SOC2:A1.2"],
    remediation="make the liveness endpoint answer {\\"status\\": \\"UP\\"}",
    claims=["acme-adr-3-live"],
)
def test_liveness_says_up(http: HttpProbe, evidence: EvidenceRecorder) -> None:
    r = http.get("/health/live")
    evidence.record(expected="200 UP", observed=f"{r.status_code} {r.json().get('status')}")
    assert r.status_code == 200 and r.json()["status"] == "UP", f"GET /health/live answered {r.status_code}"


@check(
    "acme.data_fresh",
    title="/freshness data is at most 5 s old",
    severity="medium",
    controls=["SOC2:PI1.2"],
    remediation="run the ingest job every 5 s",
)
def test_data_is_at_most_5_s_old(http: HttpProbe, evidence: EvidenceRecorder) -> None:
    age = http.get("/freshness").json()["age_s"]
    evidence.record(expected=5, observed=age, op="<=", unit="s")
    assert age <= 5, f"/freshness data is {age} s old, more than 5 s"
'''

PROFILE = """name: acme-staging
suite_dirs: [./checks]
claims:
  - id: acme-adr-3-live
    text: "The liveness probe answers UP while the process serves."
    source: docs/adr/0003-probes.md:9
    verified_by: [acme.live_reports_up]
  - id: acme-adr-5-fresh
    text: "Prices shown are at most 5 seconds old."
    source: docs/adr/0005-freshness.md:14
    verified_by: [acme.data_fresh]
"""


def _team_folder(root: Path) -> Path:
    """The team's repository: a profile and its suite folder, nothing of stackcheck's."""
    (root / "checks").mkdir(parents=True)
    (root / "checks" / "test_acme_api.py").write_text(TEAM_SUITE)
    (root / "profile.yaml").write_text(PROFILE)
    return root / "profile.yaml"


def _fresh_venv(root: Path, wheel: Path) -> Path:
    """A new virtual environment with stackcheck installed from ``wheel``; its dependencies are this
    environment's (a path entry), so nothing is downloaded. Returns its ``bin`` folder."""
    venv = root / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120)
    python = venv / "bin" / "python"
    purelib = subprocess.run(
        [python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True,
        timeout=60,
        capture_output=True,
        text=True,
    ).stdout.strip()
    # A plain path line: its own .pth files (this checkout's editable install) are not processed.
    Path(purelib, "deps-of-the-test-environment.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    pip = [sys.executable, "-m", "pip", "--python", str(python), "install", "-q", "--no-deps", "--no-index"]
    subprocess.run([*pip, str(wheel)], check=True, timeout=300, capture_output=True)
    return venv / "bin"


def test_a_team_suite_outside_the_repository_runs_from_the_installed_wheel(
    built_wheel: Path, tmp_path: Path, refservice: Callable[..., Any]
) -> None:
    profile = _team_folder(tmp_path / "acme")
    bin_dir = _fresh_venv(tmp_path, built_wheel)
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    where = subprocess.run(
        [bin_dir / "python", "-c", "import stackcheck; print(stackcheck.__file__)"],
        cwd=tmp_path,
        env=env,
        check=True,
        timeout=60,
        capture_output=True,
        text=True,
    ).stdout
    assert where.startswith(str(tmp_path / "venv")), where  # the wheel's copy, not this checkout

    service = refservice()
    out = tmp_path / "report"
    cmd = [
        bin_dir / "stackcheck",
        "verify",
        "--profile",
        profile,
        "--target",
        service.url,
        "--report-dir",
        out,
    ]
    proc = subprocess.run(
        cmd, cwd=tmp_path, env=env, timeout=300, capture_output=True, text=True, check=False
    )

    assert proc.returncode == 1, proc.stdout + proc.stderr
    assert f"team ({tmp_path / 'acme' / 'checks'})" in proc.stdout  # found through suite_dirs
    report = json.loads((out / "report.json").read_text())
    team = {r["id"]: r for r in report["results"] if r["suite"] == "team"}
    assert {i: r["status"] for i, r in team.items()} == {
        "acme.live_reports_up": "passed",
        "acme.data_fresh": "failed",
    }
    fresh = team["acme.data_fresh"]
    assert (fresh["title"], fresh["severity"], fresh["controls"]) == (
        "/freshness data is at most 5 s old",
        "medium",
        ["SOC2:PI1.2"],
    )
    assert fresh["message"] == "/freshness data is 12 s old, more than 5 s"
    assert (fresh["evidence"]["expected"], fresh["evidence"]["observed"]) == (5, 12)
    assert [c["source"] for c in fresh["claims"]] == ["docs/adr/0005-freshness.md:14"]
    assert {c["id"]: c["status"] for c in report["claims"]} == {
        "acme-adr-3-live": "verified",
        "acme-adr-5-fresh": "violated",
    }
    # A team check supports the catalog's controls (the wheel's copy of policies/controls) like a built-in.
    controls = {c["id"]: c for c in report["controls"]}
    assert {c["framework"] for c in controls.values()} == {"soc2"}  # only the team's checks looked
    pi = controls["SOC2:PI1.2"]
    assert (pi["status"], pi["checks"]) == ("not_met", ["acme.data_fresh"])
    others = {r["status"] for r in report["results"] if r["suite"] != "team"}
    assert others == {"skipped"}  # the built-in suites ran too: the profile has none of their sections

    cases = {c.get("name"): c for c in ET.parse(out / "junit.xml").getroot().iter("testcase")}
    assert cases["acme.live_reports_up"].find("failure") is None
    assert cases["acme.data_fresh"].find("failure") is not None
    summary = (out / "summary.md").read_text()
    assert "| FAIL | `acme.data_fresh` |" in summary and "| PASS | `acme.live_reports_up` |" in summary
    html = (out / "index.html").read_text()
    assert "acme.data_fresh" in html and "GET /health/live says UP" in html and "SOC2:PI1.2" in html
    sarif = json.loads((out / "results.sarif").read_text())
    assert "acme.data_fresh" in {r["ruleId"] for run in sarif["runs"] for r in run["results"]}


def test_mistakes_in_a_team_suite_are_one_line_and_exit_2(
    tmp_path: Path, run_cli: Callable[..., CliRun]
) -> None:
    profile = tmp_path / "p.yaml"
    profile.write_text("name: acme\n")
    missing = run_cli(
        "verify", "--profile", str(profile), "--suite-dir", str(tmp_path / "nope"), report=False
    )
    assert missing.code == 2 and missing.stderr.strip() == (
        f"stackcheck: error: --suite-dir {tmp_path / 'nope'}: {tmp_path / 'nope'} is not a folder "
        "(pass an existing folder)"
    )

    twice = tmp_path / "twice"
    twice.mkdir()
    (twice / "test_orders.py").write_text(
        "from stackcheck.testing import check\n"
        "@check('acme.orders', title='a', severity='low')\ndef test_a():\n    pass\n"
        "@check('acme.orders', title='b', severity='low')\ndef test_b():\n    pass\n"
    )
    run = run_cli("verify", "--profile", str(profile), "--suite", "team", "--suite-dir", str(twice))
    assert run.code == 2, run.stdout + run.stderr
    (line,) = run.stderr.strip().splitlines()  # one line, no traceback, not pytest's own too
    assert line.startswith("stackcheck: error: check id 'acme.orders' is declared twice: at ")
    assert run.report["summary"]["exit_code"] == 2 and run.report["results"] == []

    clash = tmp_path / "clash"
    clash.mkdir()
    (clash / "test_health.py").write_text("def test_x():\n    pass\n")
    run = run_cli("verify", "--profile", str(profile), "--suite", "health", "--suite-dir", str(clash))
    assert (
        run.code == 2 and "test file names clash:" in run.stderr and "both named test_health.py" in run.stderr
    )


@pytest.mark.local_binaries
def test_team_checks_use_the_run_s_postgres_and_redis(tmp_path: Path, run_cli: Callable[..., CliRun]) -> None:
    # Real servers started by --infra local; the team's Redis check fails on them (a default Redis evicts
    # nothing), its Postgres check passes: the fixtures are the same the built-in suites use.
    checks = tmp_path / "checks"
    checks.mkdir()
    (checks / "test_acme_data.py").write_text(
        "from stackcheck.testing import check\n\n"
        "@check('acme.pg_recent', title='Postgres 15 or newer', severity='high', section='postgres')\n"
        "def test_pg(pg, evidence):\n"
        "    version = int(pg.execute('SHOW server_version_num').fetchone()[0])\n"
        "    evidence.record(expected='>= 150000', observed=version)\n"
        "    assert version >= 150000, f'Postgres {version} is too old'\n\n"
        "@check('acme.cache_evicts', title='the cache evicts LRU keys', severity='medium', section='redis')\n"
        "def test_redis(redis_client, evidence):\n"
        "    policy = redis_client.config_get('maxmemory-policy')['maxmemory-policy']\n"
        "    evidence.record(expected='allkeys-lru', observed=policy)\n"
        "    assert policy == 'allkeys-lru', f'maxmemory-policy is {policy}'\n"
    )
    profile = tmp_path / "p.yaml"
    profile.write_text("name: acme-data\nsuite_dirs: [checks]\npostgres: {}\nredis: {}\n")
    run = run_cli("verify", "--profile", str(profile), "--suite", "team", "--infra", "local", timeout=240)
    assert run.statuses() == {"acme.pg_recent": "passed", "acme.cache_evicts": "failed"}, run.stderr
    failed = next(r for r in run.report["results"] if r["status"] == "failed")
    assert failed["message"] == "maxmemory-policy is noeviction" and run.code == 1
