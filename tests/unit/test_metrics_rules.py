"""Pure rules of the metrics probe: the format negotiated, what does not parse, what parses but breaks the
format's rules, and the plain words for each."""

from __future__ import annotations

import pytest

from stackcheck.probes.metrics import (
    ACCEPT,
    OPENMETRICS,
    TEXT,
    Malformed,
    exposition_format,
    find_family,
    latency_histogram,
    parse_exposition,
)
from stackcheck.probes.metrics_messages import explain_openmetrics_error

OM_TYPE = "application/openmetrics-text; version=1.0.0; charset=utf-8"
TEXT_TYPE = "text/plain; version=0.0.4; charset=utf-8"

TEXT_EXPOSITION = """\
# HELP http_requests_total Requests
# TYPE http_requests_total counter
http_requests_total{path="/"} 3
# HELP http_request_duration_seconds Latency
# TYPE http_request_duration_seconds histogram
http_request_duration_seconds_bucket{le="0.1"} 1
http_request_duration_seconds_bucket{le="0.2"} 2
http_request_duration_seconds_bucket{le="+Inf"} 3
http_request_duration_seconds_count 3
http_request_duration_seconds_sum 0.4
"""

OM_EXPOSITION = """\
# TYPE http_requests counter
http_requests_total{path="/"} 3
# TYPE build info
build_info{version="1.2"} 1
# TYPE feature stateset
feature{feature="a"} 1
feature{feature="b"} 0
# TYPE http_request_duration_seconds histogram
http_request_duration_seconds_bucket{le="0.1"} 1
http_request_duration_seconds_bucket{le="0.2"} 2
http_request_duration_seconds_bucket{le="+Inf"} 3
http_request_duration_seconds_count 3
http_request_duration_seconds_sum 0.4
# EOF
"""


def test_the_scrape_asks_for_openmetrics_first_as_prometheus_does() -> None:
    assert ACCEPT.startswith("application/openmetrics-text;version=1.0.0,")
    assert "text/plain;version=0.0.4;q=0.5" in ACCEPT


@pytest.mark.parametrize(
    ("content_type", "fmt"),
    [
        (OM_TYPE, OPENMETRICS),
        ("Application/OpenMetrics-Text", OPENMETRICS),
        (TEXT_TYPE, TEXT),
        ("", TEXT),
        ("application/json", TEXT),  # Prometheus falls back to the text parser
    ],
)
def test_the_format_is_the_content_type_returned(content_type: str, fmt: str) -> None:
    assert exposition_format(content_type) == fmt


def test_a_valid_text_exposition_has_no_problem() -> None:
    exposition = parse_exposition(TEXT_EXPOSITION, TEXT_TYPE)
    assert exposition.format == TEXT and exposition.problems == ()
    assert [f.name for f in exposition.families] == ["http_requests", "http_request_duration_seconds"]


def test_openmetrics_keeps_info_and_stateset_types() -> None:
    exposition = parse_exposition(OM_EXPOSITION, OM_TYPE)
    assert exposition.format == OPENMETRICS and exposition.problems == ()
    build, feature = (
        find_family(exposition.families, "build_info"),
        find_family(exposition.families, "feature"),
    )
    assert build is not None and build.type == "info"
    assert feature is not None and feature.type == "stateset"
    counter = find_family(exposition.families, "http_requests_total")
    assert counter is not None and counter.type == "counter"
    histogram = latency_histogram(exposition.families, None)
    assert histogram is not None and histogram.boundaries == (0.1, 0.2)


def test_info_in_the_text_format_does_not_parse_and_says_why() -> None:
    with pytest.raises(Malformed, match=r"build has TYPE 'info'.*only in OpenMetrics"):
        parse_exposition(OM_EXPOSITION, TEXT_TYPE)


@pytest.mark.parametrize("content_type", [TEXT_TYPE, OM_TYPE])
def test_a_non_numeric_le_does_not_parse_in_either_format(content_type: str) -> None:
    text = TEXT_EXPOSITION if content_type == TEXT_TYPE else OM_EXPOSITION
    with pytest.raises(Malformed, match=r'le="fast", which is not a number'):
        parse_exposition(text.replace('le="0.2"', 'le="fast"'), content_type)


def test_a_non_numeric_le_never_reaches_the_histogram_bounds() -> None:
    families = parse_exposition(TEXT_EXPOSITION).families
    histogram = latency_histogram(families, None)
    assert histogram is not None and histogram.boundaries == (0.1, 0.2)


def test_an_openmetrics_counter_without_total_is_named_in_plain_words() -> None:
    broken = OM_EXPOSITION.replace('http_requests_total{path="/"}', 'http_requests{path="/"}')
    with pytest.raises(Malformed) as caught:
        parse_exposition(broken, OM_TYPE)
    assert "Clashing" not in str(caught.value)
    assert "the counter http_requests has a sample named http_requests" in str(caught.value)
    assert "_total" in str(caught.value)


def test_a_text_body_served_as_openmetrics_says_what_is_wrong() -> None:
    with pytest.raises(Malformed, match="counter http_requests_total has a sample named http_requests_total"):
        parse_exposition(TEXT_EXPOSITION + "# EOF\n", OM_TYPE)
    with pytest.raises(Malformed, match="does not end with the line `# EOF`"):
        parse_exposition(OM_EXPOSITION.removesuffix("# EOF\n"), OM_TYPE)


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        (
            "# TYPE http_requests_total counter\n",
            "# TYPE http_requests_total counter\n# TYPE http_requests_total gauge\n",
            "line 3: a second TYPE line for http_requests_total",
        ),
        (
            "# HELP http_requests_total Requests\n",
            "# HELP http_requests_total A\n# HELP http_requests_total B\n",
            "line 2: a second HELP line for http_requests_total",
        ),
        (
            'http_requests_total{path="/"} 3\n',
            "",
            "the TYPE line of http_requests_total comes after its samples",
        ),
        ("http_requests_total{path=", "http_requests_total{path=/", "does not parse as the text format"),
    ],
)
def test_what_promtool_rejects_does_not_parse(old: str, new: str, message: str) -> None:
    text = TEXT_EXPOSITION.replace(old, new)
    if not new:  # samples first, their TYPE after them
        text = 'http_requests_total{path="/"} 3\n' + text
    with pytest.raises(Malformed, match=message):
        parse_exposition(text, TEXT_TYPE)


@pytest.mark.parametrize(
    ("old", "new", "problem"),
    [
        ('le="0.2"} 2', 'le="0.2"} 0', 'not cumulative: bucket le="0.2" counts 0, fewer than le="0.1" (1)'),
        ('http_request_duration_seconds_bucket{le="+Inf"} 3\n', "", 'has no le="+Inf" bucket'),
        (
            "_count 3",
            "_count 5",
            'http_request_duration_seconds_count is 5 but the le="+Inf" bucket counts 3',
        ),
        ('le="0.2"', 'le="NaN"', 'le="NaN", which bounds nothing'),
    ],
)
def test_histogram_rules_the_parser_lets_through_are_problems_of_their_family(
    old: str, new: str, problem: str
) -> None:
    exposition = parse_exposition(TEXT_EXPOSITION.replace(old, new), TEXT_TYPE)
    messages = exposition.problems_of("http_request_duration_seconds")
    assert len(messages) == 1 and problem in messages[0], messages
    assert exposition.problems_of("http_requests") == []


def test_a_duplicate_series_is_a_problem() -> None:
    line = 'http_requests_total{path="/"} 3\n'
    exposition = parse_exposition(TEXT_EXPOSITION.replace(line, line + 'http_requests_total{path="/"} 4\n'))
    assert exposition.problems_of("http_requests") == [
        'the series http_requests_total{path="/"} appears more than once'
    ]


def test_histograms_are_judged_per_label_set() -> None:
    text = TEXT_EXPOSITION.replace('le="', 'path="/a",le="') + TEXT_EXPOSITION.split("histogram\n")[
        1
    ].replace('le="', 'path="/b",le="').replace('le="0.2"} 2', 'le="0.2"} 0').replace(
        "_count", '_count{path="/b"}'
    ).replace("_sum", '_sum{path="/b"}')
    text = text.replace("_count 3", '_count{path="/a"} 3').replace("_sum 0.4", '_sum{path="/a"} 0.4')
    problems = parse_exposition(text).problems_of("http_request_duration_seconds")
    assert len(problems) == 1 and 'path="/b"' in problems[0], problems


def test_an_empty_exposition_is_malformed() -> None:
    with pytest.raises(Malformed, match="holds no metrics"):
        parse_exposition("# nothing here\n", TEXT_TYPE)


@pytest.mark.parametrize(
    ("reason", "plain"),
    [
        ("Bucket values out of order: h", "the histogram h is not cumulative"),
        ("+Inf bucket missing: h", 'the histogram h has no le="+Inf" bucket'),
        ("Received blank line", "a blank line"),
        ("Clashing name: mystery", "two metric families claim the name mystery"),
        ("Something new: x", "the OpenMetrics parser rejects it: Something new: x"),
        ("", "the OpenMetrics parser rejects it: a line does not parse"),
    ],
)
def test_openmetrics_reasons_in_plain_words(reason: str, plain: str) -> None:
    assert explain_openmetrics_error(reason, "").startswith(plain)


def test_an_info_sample_without_its_suffix_is_named() -> None:
    text = "# TYPE build info\nbuild_info 1\n"
    assert "the info build has a sample named build" in explain_openmetrics_error(
        "Clashing name: build", text
    )


def test_a_target_cannot_make_a_message_long() -> None:
    name = "x" * 5000
    with pytest.raises(Malformed) as caught:
        parse_exposition(f"# TYPE {name} counter\n# TYPE {name} counter\n{name}_total 1\n", TEXT_TYPE)
    assert len(str(caught.value)) < 200
