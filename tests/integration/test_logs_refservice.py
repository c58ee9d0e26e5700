"""The ``logs`` suite on the reference service: its JSON request log (``--log-file``) passes every check;
the ``leaky-logs`` defect (credential headers logged verbatim) fails ``logs.pii`` as an API-key leak."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from conftest import DEMO_PROFILE
from stackcheck.catalog.logs import CORRELATION, LEVEL, PII, STRUCTURED
from tests.integration.http_surface import assert_rows_cover_the_catalog

pytestmark = pytest.mark.integration

ALL = (STRUCTURED.id, CORRELATION.id, PII.id, LEVEL.id)
ROWS = [
    ([], dict.fromkeys(ALL, "passed")),
    (["leaky-logs"], {**dict.fromkeys(ALL, "passed"), PII.id: "failed"}),
]


def _verify(run_cli: Callable[..., Any], tmp_path: Path, url: str, log: Path | None) -> Any:
    profile = tmp_path / f"refservice-logs-{len(list(tmp_path.glob('*.yaml')))}.yaml"
    logs = {
        **({"file": str(log)} if log else {}),
        "required_fields": ["timestamp", "level", "message", "correlation_id"],
        "correlation_header": "X-Correlation-ID",
        "min_level": "info",
    }
    profile.write_text(json.dumps({"name": "refservice-logs", "extends": str(DEMO_PROFILE), "logs": logs}))
    return run_cli("verify", "--profile", str(profile), "--target", url, "--suite", "logs")


@pytest.mark.parametrize(
    ("defects", "expected"),
    [
        ([], dict.fromkeys(ALL, "passed")),
        (["leaky-logs"], {**dict.fromkeys(ALL, "passed"), PII.id: "failed"}),
    ],
    ids=["compliant", "leaky-logs"],
)
def test_reference_service_logs_pass_and_its_leaky_logs_defect_fails_logs_pii(
    tmp_path: Path, run_cli: Callable[..., Any], defects: list[str], expected: dict[str, str]
) -> None:
    from fixtures.refservice import RefService

    log = tmp_path / "refservice.log"
    with RefService(DEMO_PROFILE, defects=defects, log_file=log) as service:
        run = _verify(run_cli, tmp_path, service.url, log)
        unread = None if defects else _verify(run_cli, tmp_path, service.url, None)
    assert {c: run.status_of(c) for c in ALL} == expected, run.stdout + run.stderr
    if defects:
        pii = next(r for r in run.report["results"] if r["id"] == PII.id)
        assert pii["evidence"]["observed"] == ["api_key"]
        assert "sckey_" in log.read_text()  # the defect really logged it ...
        for path in run.report_dir.iterdir():  # ... and no artifact repeats it
            assert "sckey_" not in path.read_text(errors="replace"), path.name
    else:  # a target URL, no logs.file/logs.command: the stream is out of reach, which is no verdict
        assert unread is not None
        assert {c: unread.status_of(c) for c in ALL} == dict.fromkeys(ALL, "error"), unread.stdout
        assert "no log stream in reach" in unread.stdout + unread.stderr


def test_the_rows_run_every_defect_example_of_the_logs_catalog() -> None:
    from stackcheck.catalog import REGISTRY

    rows = [(d, {REGISTRY[c]: status for c, status in changed.items()}) for d, changed in ROWS]
    assert_rows_cover_the_catalog("logs", rows)
