"""The metrics suite against parts nobody here wrote: prometheus_client's own exporter, which negotiates the
format on ``Accept``, and ``promtool check metrics`` (Prometheus 2.42) as the reference for malformed
expositions served as they are."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any, cast

import httpx
import pytest
import yaml

from conftest import CliRun
from fixtures.exposition import OPENMETRICS_TYPE, TEXT_TYPE, ExpositionServer, LibraryApp
from fixtures.refservice.runner import free_port
from stackcheck.catalog import metrics
from stackcheck.probes.metrics import ACCEPT
from stackcheck.wait import wait_until
from tests.integration.http_surface import result

pytestmark = pytest.mark.integration

# The checks that read the exposition; metrics.not_public is skipped (these profiles allow a public one).
SCRAPE = tuple(c for c in metrics.CHECKS if c is not metrics.NOT_PUBLIC)
NOT_PUBLIC = metrics.NOT_PUBLIC.id

PROFILE = {
    "name": "metrics-third-party",
    "target": {"base_url": "http://127.0.0.1:1", "timeout_s": 10},
    "metrics": {
        "path": "/metrics",
        "required": ["app_requests_total", "request_duration_seconds", "build_info", "feature"],
        "types": {"build_info": "info", "feature": "stateset", "request_duration_seconds": "histogram"},
    },
    "slo": {"p95_ms": 200},
}

VALID_TEXT = """\
# HELP app_requests_total Requests
# TYPE app_requests_total counter
app_requests_total{path="/"} 3
# HELP request_duration_seconds Latency
# TYPE request_duration_seconds histogram
request_duration_seconds_bucket{le="0.1"} 1
request_duration_seconds_bucket{le="0.2"} 2
request_duration_seconds_bucket{le="+Inf"} 3
request_duration_seconds_count 3
request_duration_seconds_sum 0.4
"""


def _verify(run_cli: Callable[..., CliRun], tmp_path: Path, url: str, **metrics_keys: object) -> CliRun:
    profile = {**PROFILE, "metrics": {**PROFILE["metrics"], **metrics_keys}}  # type: ignore[dict-item]
    path = tmp_path / "profile.yaml"
    path.write_text(yaml.safe_dump(profile))
    return run_cli("verify", "--profile", str(path), "--target", url, "--suite", "metrics")


def _promtool(text: str) -> subprocess.CompletedProcess[str]:
    promtool = shutil.which("promtool")
    if promtool is None:
        pytest.skip("promtool (Debian package prometheus) is not installed")
    return subprocess.run(
        [promtool, "check", "metrics"], input=text, capture_output=True, text=True, timeout=60, check=False
    )


def test_the_library_serves_openmetrics_when_asked_so_info_and_stateset_keep_their_types(
    run_cli: Callable[..., CliRun], tmp_path: Path
) -> None:
    with LibraryApp() as app:
        run = _verify(run_cli, tmp_path, app.url)
    assert run.code == 0, run.stdout + run.stderr
    assert run.statuses() == {**{c.id: "passed" for c in SCRAPE}, NOT_PUBLIC: "skipped"}
    details = cast(dict[str, Any], result(run, metrics.EXPOSITION)["evidence"])["details"]
    assert details["format"] == "OpenMetrics"
    assert "openmetrics" in details["content_type"]


def test_the_same_library_answering_only_text_fails_the_info_and_stateset_types(
    run_cli: Callable[..., CliRun], tmp_path: Path
) -> None:
    with LibraryApp(text_only=True) as app:
        run = _verify(run_cli, tmp_path, app.url)
    assert run.code == 1, run.stdout + run.stderr
    assert run.statuses() == {
        metrics.EXPOSITION.id: "passed",
        metrics.REQUIRED.id: "failed",
        metrics.LATENCY_HISTOGRAM.id: "passed",
        NOT_PUBLIC: "skipped",
    }
    message = str(result(run, metrics.REQUIRED)["message"])
    assert "build_info is a gauge, not an info" in message and "feature is a gauge, not a stateset" in message


def test_the_scrape_sends_prometheus_accept_header(run_cli: Callable[..., CliRun], tmp_path: Path) -> None:
    with ExpositionServer(VALID_TEXT) as server:
        run = _verify(run_cli, tmp_path, server.url, required=[], types={})
    assert run.code == 0, run.stdout + run.stderr
    assert server.accepts == [ACCEPT]


def test_the_accept_header_is_the_one_prometheus_sends(tmp_path: Path) -> None:
    """Prometheus 2.42 itself scrapes a loopback endpoint; what it asked for is what stackcheck asks for."""
    prometheus = shutil.which("prometheus")
    if prometheus is None:
        pytest.skip("prometheus (Debian package prometheus) is not installed")
    with ExpositionServer(VALID_TEXT) as server:
        target = server.url.removeprefix("http://")
        config = {
            "scrape_configs": [
                {"job_name": "t", "scrape_interval": "1s", "static_configs": [{"targets": [target]}]}
            ]
        }
        (tmp_path / "prometheus.yml").write_text(yaml.safe_dump(config))
        args = [
            prometheus,
            f"--config.file={tmp_path / 'prometheus.yml'}",
            f"--storage.tsdb.path={tmp_path / 'data'}",
            f"--web.listen-address=127.0.0.1:{free_port()}",
        ]
        log = tmp_path / "prometheus.log"
        with log.open("w") as out:
            proc = subprocess.Popen(args, stdout=out, stderr=out)
        try:
            scraped = wait_until(lambda: server.accepts, timeout=60, interval=0.5)
            assert scraped, f"Prometheus never scraped {target}: {log.read_text()[-2000:]}"
        finally:
            proc.terminate()
            proc.wait(timeout=30)
    assert server.accepts[0] == ACCEPT


def test_a_non_numeric_le_that_promtool_rejects_fails_instead_of_erroring(
    run_cli: Callable[..., CliRun], tmp_path: Path
) -> None:
    broken = VALID_TEXT.replace('le="0.2"', 'le="fast"')
    assert _promtool(VALID_TEXT).returncode == 0
    reference = _promtool(broken)
    assert reference.returncode == 1 and "expected float as value for 'le' label" in reference.stderr
    for body, expected in ((VALID_TEXT, "passed"), (broken, "failed")):
        with ExpositionServer(body, TEXT_TYPE) as server:
            run = _verify(run_cli, tmp_path, server.url, required=["app_requests_total"], types={})
        want = {**{c.id: expected for c in SCRAPE}, NOT_PUBLIC: "skipped"}
        assert run.statuses() == want, run.stdout + run.stderr
    message = str(result(run, metrics.LATENCY_HISTOGRAM)["message"])
    assert 'le="fast", which is not a number' in message and "ValueError" not in message


def test_an_openmetrics_counter_without_total_fails_in_plain_words(
    run_cli: Callable[..., CliRun], tmp_path: Path
) -> None:
    with LibraryApp() as app:  # what the library serves, with the counter's samples renamed
        text = httpx.get(f"{app.url}/metrics", headers={"Accept": ACCEPT}).text
    broken = text.replace("app_requests_total{", "app_requests{")
    assert broken != text
    for body, code in ((text, 0), (broken, 1)):
        with ExpositionServer(body, OPENMETRICS_TYPE) as server:
            run = _verify(run_cli, tmp_path, server.url)
        assert run.code == code, run.stdout + run.stderr
    message = str(result(run, metrics.EXPOSITION)["message"])
    assert "Clashing name" not in message
    assert "the counter app_requests has a sample named app_requests" in message


@pytest.mark.parametrize("content_type", [TEXT_TYPE, OPENMETRICS_TYPE])
def test_max_bytes_bounds_either_format(
    run_cli: Callable[..., CliRun], tmp_path: Path, content_type: str
) -> None:
    lines = "".join(f'app_requests_total{{path="/{i}"}} {i}\n' for i in range(2000))
    body = "# TYPE app_requests counter\n" + lines + "# EOF\n"
    with ExpositionServer(body, content_type) as server:
        run = _verify(run_cli, tmp_path, server.url, required=[], types={}, max_bytes=4096)
    assert run.statuses()[metrics.EXPOSITION.id] == "error", run.stdout + run.stderr
    assert "larger than 4,096 bytes" in str(result(run, metrics.EXPOSITION)["message"])


# Text expositions promtool rejects although prometheus_client's lenient parser reads them (the second
# column: what promtool says), and one it only lints (naming conventions): stackcheck agrees on each.
PROMTOOL_CASES = [
    (
        VALID_TEXT.replace("total counter\n", "total counter\n# TYPE app_requests_total gauge\n"),
        "second TYPE",
    ),
    (
        VALID_TEXT.replace("# HELP app_requests_total Requests\n", "# HELP app_requests_total R\n" * 2),
        "second HELP",
    ),
    ("jobs 2\n# TYPE jobs gauge\n" + VALID_TEXT, "TYPE reported after samples"),
    (VALID_TEXT + "# HELP build B\n# TYPE build info\nbuild_info 1\n", 'unknown metric type "info"'),
    (VALID_TEXT + '# HELP s S\n# TYPE s summary\ns{quantile="p99"} 1\n', "'quantile' label"),
]


@pytest.mark.parametrize(("body", "promtool_says"), PROMTOOL_CASES)
def test_what_promtool_rejects_fails_the_exposition(
    run_cli: Callable[..., CliRun], tmp_path: Path, body: str, promtool_says: str
) -> None:
    reference = _promtool(body)
    assert reference.returncode == 1 and promtool_says in reference.stdout + reference.stderr
    with ExpositionServer(body, TEXT_TYPE) as server:
        run = _verify(run_cli, tmp_path, server.url, required=["app_requests_total"], types={})
    want = {**{c.id: "failed" for c in SCRAPE}, NOT_PUBLIC: "skipped"}
    assert run.statuses() == want, run.stdout + run.stderr


def test_what_promtool_only_lints_passes(run_cli: Callable[..., CliRun], tmp_path: Path) -> None:
    body = (
        VALID_TEXT
        + "# HELP app_requests R\n# TYPE app_requests counter\napp_requests 3\n# TYPE jobs gauge\njobs 1\n"
    )
    reference = _promtool(body)
    assert reference.returncode == 3 and '"_total" suffix' in reference.stdout + reference.stderr
    with ExpositionServer(body, TEXT_TYPE) as server:
        run = _verify(run_cli, tmp_path, server.url, required=["app_requests_total"], types={})
    assert run.code == 0, run.stdout + run.stderr


def test_a_summary_named_as_the_latency_histogram_fails_saying_it_is_a_summary(
    run_cli: Callable[..., CliRun], tmp_path: Path
) -> None:
    # Prometheus 2.42's own /metrics (the Go client): go_gc_duration_seconds is a summary. Naming it as the
    # latency histogram failed with "no latency histogram (go_gc_duration_seconds) in the exposition",
    # although it is there; its real histogram passes.
    binary = shutil.which("prometheus")
    if binary is None:
        pytest.skip("prometheus (Debian package prometheus) is not installed")
    port = free_port()
    (tmp_path / "prometheus.yml").write_text("global:\n  scrape_interval: 1h\nscrape_configs: []\n")
    argv = [
        binary,
        f"--config.file={tmp_path / 'prometheus.yml'}",
        f"--storage.tsdb.path={tmp_path / 'data'}",
    ]
    argv.append(f"--web.listen-address=127.0.0.1:{port}")
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=tmp_path)
    url = f"http://127.0.0.1:{port}"
    try:

        def ready() -> bool:
            try:
                return httpx.get(f"{url}/-/ready", timeout=2).status_code == 200
            except httpx.HTTPError:
                return False

        assert wait_until(ready, 60, 0.2), "prometheus did not start"
        summary = _verify(run_cli, tmp_path, url, latency_histogram="go_gc_duration_seconds")
        histogram = _verify(
            run_cli, tmp_path, url, latency_histogram="prometheus_http_request_duration_seconds"
        )
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    assert summary.statuses()[metrics.LATENCY_HISTOGRAM.id] == "failed", summary.stdout + summary.stderr
    message = str(result(summary, metrics.LATENCY_HISTOGRAM)["message"])
    assert message.startswith("go_gc_duration_seconds is a summary, not a histogram"), message
    assert histogram.statuses()[metrics.LATENCY_HISTOGRAM.id] == "passed", histogram.stdout + histogram.stderr
