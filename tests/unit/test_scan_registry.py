"""The scanner registry is complete and consistent, every static check is decided by one scanner, the tool
command line derives from the registry, and nothing under ``stackcheck.scan`` reads the environment.
(That each check has a failing example that exists is tests/unit/test_catalog.py's.)"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from conftest import REPO_ROOT
from stackcheck.catalog import scan as scan_checks
from stackcheck.catalog import secrets as secret_checks
from stackcheck.catalog.spec import CheckSpec
from stackcheck.scan import bandit, tools
from stackcheck.scan.registry import SCANNERS, decided_checks
from stackcheck.scan.scanner import Scanner, ScannerName
from stackcheck.settings import Settings

SCAN_SOURCES = sorted((REPO_ROOT / "src" / "stackcheck" / "scan").glob("*.py"))
# Runtime checks of the scan section (secrets.logs sends requests): no scanner decides them.
RUNTIME = {secret_checks.LOGS}
STATIC = [c for c in (*scan_checks.CHECKS, *secret_checks.CHECKS) if c not in RUNTIME]


def test_every_scanner_name_is_registered_under_itself_with_its_own_tool() -> None:
    assert list(SCANNERS) == list(ScannerName)
    for name, scanner in SCANNERS.items():
        assert scanner.name is name and scanner.tool.name == name and scanner.tool.version


@pytest.mark.parametrize("check", STATIC, ids=lambda c: c.id)
def test_every_static_check_is_decided_by_exactly_one_scanner(check: CheckSpec) -> None:
    deciders = [s.name for s in SCANNERS.values() if check in s.checks]
    assert len(deciders) == 1, f"{check.id} is decided by {deciders or 'no scanner'}"


def test_scanners_decide_only_catalogued_static_checks() -> None:
    assert sorted(c.id for c in decided_checks()) == sorted(c.id for c in STATIC)


def test_a_scanner_whose_tool_has_another_name_or_that_decides_nothing_is_refused() -> None:
    with pytest.raises(ValueError, match="its tool is named 'bandit'"):
        Scanner(
            ScannerName.TRIVY, bandit.TOOL, (scan_checks.CODE,), 1, bandit.SCANNER.plan, bandit.SCANNER.parse
        )
    with pytest.raises(ValueError, match="decides no check"):
        Scanner(ScannerName.BANDIT, bandit.TOOL, (), 1, bandit.SCANNER.plan, bandit.SCANNER.parse)


def test_tools_status_lists_every_registered_scanner_and_the_drills_tool_and_exits_3_when_one_is_missing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    nowhere = Settings.from_environ({"STACKCHECK_TOOLS_DIR": str(tmp_path), "PATH": ""})
    assert tools.main(["status"], nowhere) == 3
    err = capsys.readouterr().err
    assert [line.split()[0] for line in err.splitlines()] == [*(str(name) for name in SCANNERS), "toxiproxy"]
    assert all("MISSING" in line for line in err.splitlines())


def test_tools_command_refuses_an_unknown_tool() -> None:
    with pytest.raises(SystemExit) as exc:
        tools.main(["status", "nosuchscanner"], Settings())
    assert exc.value.code == 2


@pytest.mark.parametrize("source", SCAN_SOURCES, ids=lambda p: p.name)
def test_scan_code_reads_no_environment_and_finds_data_through_resources(source: Path) -> None:
    text = source.read_text()
    assert "os.environ" not in text and "getenv" not in text, f"{source.name} reads the environment"
    assert not re.search(r"parents\[\d\]", text), f"{source.name} finds the repository with parents[N]"
