"""Metrics: stackcheck's verdicts beside ``promtool check metrics`` (Prometheus 2.42) on expositions served on
loopback by :mod:`fixtures.exposition`: hand-written ones (valid and malformed, in both formats) and the real
prometheus_client exporter (and Debian's node exporter when it is installed).

How promtool's output is read (it prints two kinds of finding):

- exit 1 with ``error while linting: text format parsing error ...``: it **rejects** the exposition (what
  Go's expfmt parser, which Prometheus's own tools use, cannot read). The reading for every check is
  ``failed``: a consumer that cannot parse the text sees none of the metrics;
- exit 3 with lint lines (``counter metrics should have "_total" suffix``, ``no help text``...): naming
  conventions, not defects of the exposition. Read as **parses** (``passed``), and the lint is shown;
- exit 0: parses.

promtool judges syntax only: on an exposition it parses, it says nothing about which metrics are there, their
types or buckets, so those rows carry no reference reading (``reference_agrees=None``). promtool 2.42 reads
only the text format (``unknown metric type "info"`` on any OpenMetrics body): OpenMetrics rows carry none
either, except that the library cases also run promtool on what the same library answers a text scraper.
Rules of the text format that expfmt does not check (cumulative buckets, a ``+Inf`` bucket equal to
``_count``, unique series) are failed by stackcheck, as the format's specification says: those rows state
the decision.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from accuracy.harness import Verdicts, stackcheck
from accuracy.model import Row, Unavailable
from fixtures.exposition import OPENMETRICS_TYPE, TEXT_TYPE, ExpositionServer, LibraryApp

__all__ = ["rows"]

SUITE = "metrics"
CHECKS = ("metrics.exposition", "metrics.required", "metrics.latency_histogram")
TOOL = "promtool check metrics 2.42"
SILENT = "judges syntax only: silent on this check"
NO_OPENMETRICS = "not applicable: promtool 2.42 reads only the text format"

BASE = """\
# HELP http_requests_total Requests served
# TYPE http_requests_total counter
http_requests_total{path="/"} 3
http_requests_total{path="/api"} 5
# HELP http_request_duration_seconds Request latency
# TYPE http_request_duration_seconds histogram
http_request_duration_seconds_bucket{le="0.1"} 4
http_request_duration_seconds_bucket{le="0.2"} 7
http_request_duration_seconds_bucket{le="+Inf"} 8
http_request_duration_seconds_count 8
http_request_duration_seconds_sum 1.1
"""
OM_BASE = (
    BASE.replace("# HELP http_requests_total", "# HELP http_requests")
    .replace("# TYPE http_requests_total", "# TYPE http_requests")
    .replace(" 1.1\n", ' 1.1\n# HELP build Build\n# TYPE build info\nbuild_info{version="1.2.3"} 1\n')
    + '# HELP feature Rollout\n# TYPE feature stateset\nfeature{feature="on"} 1\nfeature{feature="off"} 0\n'
    + "# EOF\n"
)
OM_TYPES = {"build_info": "info", "feature": "stateset"}
SPEC = "the text format's specification (exposition_formats.md) requires it"

P, F, S = "passed", "failed", "skipped"


@dataclass(frozen=True)
class Case:
    """One exposition and what it makes true of each check (status, why)."""

    name: str
    truth: dict[str, tuple[str, str]]
    body: str = ""
    content_type: str = TEXT_TYPE
    serve: Callable[[], AbstractContextManager[str]] | None = None  # a live app instead of ``body``
    metrics: dict[str, Any] = field(default_factory=dict)  # profile keys beyond the defaults
    slo: bool = True
    decisions: dict[str, str] = field(default_factory=dict)


def _all(status: str, why: str) -> dict[str, tuple[str, str]]:
    return {check: (status, why) for check in CHECKS}


def _valid(why: str = "a valid exposition with the required metric and a 200 ms bucket") -> dict[str, Any]:
    return _all(P, why)


def _structural(why: str, histogram: bool = True) -> dict[str, tuple[str, str]]:
    truth = {CHECKS[0]: (F, why), CHECKS[1]: (P, "parses; http_requests_total is there")}
    truth[CHECKS[2]] = (F, f"the latency histogram: {why}") if histogram else (P, "a 200 ms bucket")
    return truth


def _lenient(what: str) -> dict[str, str]:
    return {
        CHECKS[0]: f"promtool 2.42 (Go's expfmt) does not check that {what}, and Prometheus ingests it, "
        f"but {SPEC}: stackcheck fails metrics.exposition (docs/suites/metrics.md)"
    }


def _text_cases() -> list[Case]:
    rejects = "promtool rejects it: no consumer can parse it, every metrics promise is broken"
    lint = (
        "# HELP app_requests Requests\n# TYPE app_requests counter\napp_requests 3\n"
        "# TYPE jobs_in_queue gauge\njobs_in_queue 2\n"
    )
    return [
        Case("text: valid", _valid(), BASE),
        Case(
            "text: lint only (counter without _total, gauge without HELP)",
            _valid("valid; promtool's lint is about naming conventions, not defects"),
            BASE + lint,
        ),
        Case('text: bucket le="fast"', _all(F, f'le="fast" is not a number; {rejects}'), _le_fast(BASE)),
        Case(
            'text: summary quantile="p99"',
            _all(F, f'quantile="p99" is not a number; {rejects}'),
            BASE + '# HELP s S\n# TYPE s summary\ns{quantile="p99"} 1\ns_sum 1\ns_count 1\n',
        ),
        Case(
            "text: a second TYPE (counter, then gauge)",
            _all(F, f"TYPE and samples disagree; {rejects}"),
            BASE.replace("total counter\n", "total counter\n# TYPE http_requests_total gauge\n"),
        ),
        Case(
            "text: a second HELP",
            _all(F, f"two HELP lines for one metric; {rejects}"),
            BASE.replace(
                "# HELP http_requests_total Requests served\n", "# HELP http_requests_total A\n" * 2
            ),
        ),
        Case(
            "text: TYPE after the samples",
            _all(F, f"metadata after the samples it describes; {rejects}"),
            "jobs_in_queue 2\n# TYPE jobs_in_queue gauge\n" + BASE,
        ),
        Case(
            "text: info/stateset types in the text format",
            _all(F, f"info is an OpenMetrics type, not one of the text format; {rejects}"),
            OM_BASE.replace("# EOF\n", "").replace(
                "# TYPE http_requests counter", "# TYPE http_requests_total counter"
            ),
        ),
        Case(
            "text: buckets not cumulative",
            _structural("a bucket counts fewer than the one below it"),
            BASE.replace('le="0.2"} 7', 'le="0.2"} 2'),
            decisions=_lenient("buckets are cumulative"),
        ),
        Case(
            "text: no +Inf bucket",
            _structural('the histogram has no le="+Inf" bucket'),
            BASE.replace('http_request_duration_seconds_bucket{le="+Inf"} 8\n', ""),
            decisions=_lenient('a histogram has a le="+Inf" bucket'),
        ),
        Case(
            "text: _count differs from the +Inf bucket",
            _structural("_count 9 but the +Inf bucket counts 8"),
            BASE.replace("_count 8", "_count 9"),
            decisions=_lenient('_count equals the le="+Inf" bucket'),
        ),
        Case(
            "text: duplicate series",
            _structural('http_requests_total{path="/"} twice', histogram=False),
            BASE.replace('{path="/"} 3\n', '{path="/"} 3\nhttp_requests_total{path="/"} 4\n'),
            decisions=_lenient("each series appears once"),
        ),
    ]


def _le_fast(text: str) -> str:
    return text.replace('le="0.2"', 'le="fast"')


def _openmetrics_cases() -> list[Case]:
    rejects = "the OpenMetrics specification (and prometheus_client's parser) rejects it"
    types = {"required": ["http_requests_total", "build_info", "feature"], "types": OM_TYPES}
    return [
        Case(
            "OpenMetrics: valid, with info and stateset",
            _valid("valid OpenMetrics; build_info is an info, feature a stateset"),
            OM_BASE,
            OPENMETRICS_TYPE,
            metrics=types,
        ),
        Case(
            "OpenMetrics: counter sample without _total",
            _all(F, f"an OpenMetrics counter's samples end in _total; {rejects}"),
            OM_BASE.replace("http_requests_total{", "http_requests{"),
            OPENMETRICS_TYPE,
        ),
        Case(
            'OpenMetrics: bucket le="fast"',
            _all(F, f'le="fast"; {rejects}'),
            _le_fast(OM_BASE),
            OPENMETRICS_TYPE,
        ),
        Case(
            "OpenMetrics: buckets not cumulative",
            _all(F, f"a bucket counts fewer than the one below; {rejects}"),
            OM_BASE.replace('le="0.2"} 7', 'le="0.2"} 2'),
            OPENMETRICS_TYPE,
        ),
        Case(
            "text body labelled OpenMetrics",
            _all(F, f"the TYPE lines name counters with _total, no # EOF; {rejects}"),
            BASE + "# EOF\n",
            OPENMETRICS_TYPE,
        ),
        Case(
            "OpenMetrics: no # EOF",
            _all(F, f"OpenMetrics ends with # EOF; {rejects}"),
            OM_BASE.removesuffix("# EOF\n"),
            OPENMETRICS_TYPE,
        ),
    ]


@contextmanager
def _library(text_only: bool) -> Iterator[str]:
    with LibraryApp(text_only=text_only) as app:
        yield app.url


@contextmanager
def _node_exporter(binary: str) -> Iterator[str]:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    args = [binary, f"--web.listen-address=127.0.0.1:{port}", "--collector.disable-defaults"]
    args += ["--collector.cpu", "--collector.meminfo", "--collector.loadavg"]
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        url = f"http://127.0.0.1:{port}"
        for _ in range(100):  # up to ~10 s
            try:
                if httpx.get(f"{url}/metrics", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.1)
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def _third_party_cases() -> list[Case]:
    required = {"required": ["app_requests_total", "request_duration_seconds", "build_info", "feature"]}
    library = {**required, "types": {**OM_TYPES, "request_duration_seconds": "histogram"}}
    cases = [
        Case(
            "prometheus_client exporter (negotiates OpenMetrics)",
            _valid("the library serves OpenMetrics when asked: build_info is an info, feature a stateset"),
            serve=lambda: _library(False),
            metrics=library,
        ),
        Case(
            "prometheus_client exporter answering only text",
            {
                CHECKS[0]: (P, "a valid text exposition"),
                CHECKS[1]: (F, "the text format has no info/stateset: both are gauges there"),
                CHECKS[2]: (P, "a 0.2 s bucket"),
            },
            serve=lambda: _library(True),
            metrics=library,
        ),
    ]
    binary = shutil.which("prometheus-node-exporter") or shutil.which("node_exporter")
    if binary is not None:
        cases.append(
            Case(
                "Debian prometheus-node-exporter",
                {
                    CHECKS[0]: (P, "the node exporter's own exposition"),
                    CHECKS[1]: (P, "node_cpu_seconds_total (counter), node_memory_MemTotal_bytes (gauge)"),
                    CHECKS[2]: (
                        S,
                        "no latency threshold in the profile (no request SLO for it)",
                    ),
                },
                serve=lambda: _node_exporter(binary),
                metrics={
                    "required": ["node_cpu_seconds_total", "node_memory_MemTotal_bytes"],
                    "types": {"node_memory_MemTotal_bytes": "gauge"},
                },
                slo=False,
            )
        )
    return cases


@dataclass(frozen=True)
class Reading:
    """promtool's reading of one exposition: ``passed``/``failed`` (or ``None``: it cannot judge)."""

    status: str | None
    text: str


def _promtool(promtool: str, text: str) -> Reading:
    with tempfile.NamedTemporaryFile("w", suffix=".prom", delete=False) as handle:
        handle.write(text)
    try:
        with Path(handle.name).open() as stdin:
            proc = subprocess.run(
                [promtool, "check", "metrics"], stdin=stdin, capture_output=True, text=True, timeout=60
            )
    finally:
        Path(handle.name).unlink()
    output = " ".join((proc.stdout + proc.stderr).split())
    if proc.returncode == 0:
        return Reading(P, "parses")
    if proc.returncode == 3 and "error while linting" not in output:
        return Reading(P, f"parses; lint only: {output[:120]}")
    if "text format parsing error" in output:
        return Reading(F, f"rejects: {output.removeprefix('error while linting: ')[:140]}")
    return Reading(None, f"exit {proc.returncode}: {output[:140]}")


def _text_answer(url: str) -> str:
    """What the target answers a scraper that asks for the text format only."""
    return httpx.get(f"{url}/metrics", headers={"Accept": "text/plain;version=0.0.4"}, timeout=10).text


def _run(case: Case, url: str) -> Verdicts:
    profile: dict[str, Any] = {
        "name": "accuracy-metrics",
        "target": {"base_url": url, "timeout_s": 10},
        "metrics": {"path": "/metrics", "required": ["http_requests_total"], **case.metrics},
    }
    if case.slo:
        profile["slo"] = {"p95_ms": 200}
    return stackcheck("verify", profile, "--target", url, "--suite", SUITE, timeout_s=180)


def _rows_of(case: Case, promtool: str) -> Iterator[Row]:
    if case.serve is not None:
        with case.serve() as url:
            verdicts = _run(case, url)
            text = _text_answer(url)
        reading = _promtool(promtool, text)
        reading = Reading(reading.status, f"on the text answer: {reading.text}")
        openmetrics = False
    else:
        with ExpositionServer(case.body, case.content_type) as server:
            verdicts = _run(case, server.url)
        openmetrics = case.content_type == OPENMETRICS_TYPE
        reading = Reading(None, NO_OPENMETRICS) if openmetrics else _promtool(promtool, case.body)
    for check in CHECKS:
        truth, why = case.truth[check]
        judged = reading.status if (check == CHECKS[0] or reading.status == F) and not openmetrics else None
        yield Row(
            suite=SUITE,
            case=case.name,
            check=check,
            truth=truth,
            truth_detail=why,
            reference_tool=TOOL,
            reference=reading.text if judged is not None or check == CHECKS[0] else SILENT,
            reference_agrees=None if judged is None else judged == truth,
            stackcheck=verdicts.status(check),
            stackcheck_detail=verdicts.detail(check),
            decision=case.decisions.get(check, ""),
        )


def rows() -> Iterator[Row]:
    """Every case, three rows each (one per metrics check)."""
    promtool = shutil.which("promtool")
    if promtool is None:
        raise Unavailable("promtool is missing (Debian package prometheus)")
    for case in [*_text_cases(), *_openmetrics_cases(), *_third_party_cases()]:
        yield from _rows_of(case, promtool)
