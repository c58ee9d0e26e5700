"""The load histogram: percentiles within 0.5 % of the exact ones, exact merges across processes."""

from __future__ import annotations

import json

from hypothesis import given
from hypothesis import strategies as st

from stackcheck.load.histogram import Histogram, bucket
from stackcheck.probes.percentile import percentile

latencies = st.lists(st.floats(min_value=0.01, max_value=60_000, allow_nan=False), min_size=1, max_size=300)


@given(latencies, st.sampled_from([50.0, 90.0, 95.0, 99.0, 99.9, 100.0]))
def test_percentile_is_within_half_a_percent_of_the_exact_nearest_rank(
    values: list[float], pct: float
) -> None:
    hist = Histogram()
    for v in values:
        hist.record(v)
    exact = percentile(values, pct)
    assert abs((hist.percentile(pct) or 0) - exact) <= 0.005 * exact + 1e-9


@given(latencies, latencies)
def test_merging_two_processes_equals_recording_everything_in_one(a: list[float], b: list[float]) -> None:
    one, two, both = Histogram(), Histogram(), Histogram()
    for v in a:
        one.record(v)
        both.record(v)
    for v in b:
        two.record(v)
        both.record(v)
    one.merge(Histogram.from_data(json.loads(json.dumps(two.to_data()))))  # as shipped between processes
    assert one.counts == both.counts and one.count == both.count and one.max == both.max
    assert abs(one.total - both.total) < 1e-6 * max(both.total, 1)


def test_buckets_keep_three_significant_digits() -> None:
    assert [bucket(v) for v in (0.0004, 1.2345, 20.44, 151.6, 1234.0)] == [0.0, 1.23, 20.4, 152.0, 1230.0]


def test_log_bins_cover_every_value_once_and_keep_empty_bins_between() -> None:
    hist = Histogram()
    for v in [1.0] * 5 + [100.0] * 3:
        hist.record(v)
    bins = hist.log_bins()
    assert sum(b["count"] for b in bins) == 8
    assert bins[0] == {"le": 1.0, "count": 5} and bins[-1] == {"le": 100.0, "count": 3}
    assert len(bins) == 21 and all(b["count"] == 0 for b in bins[1:-1])


def test_empty_histogram_has_no_percentile() -> None:
    assert Histogram().percentile(95) is None and Histogram().mean is None and Histogram().log_bins() == []
