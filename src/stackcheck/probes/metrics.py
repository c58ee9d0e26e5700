"""Reading a Prometheus exposition with prometheus_client's own parsers (pure helpers)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from prometheus_client.metrics_core import Metric
from prometheus_client.openmetrics.parser import text_string_to_metric_families as parse_openmetrics
from prometheus_client.parser import text_string_to_metric_families as parse_text

__all__ = ["Histogram", "find_family", "latency_histogram", "parse_exposition", "unit_scale_ms"]

LATENCY_WORDS = ("duration", "latency")


def parse_exposition(text: str, content_type: str = "") -> list[Metric]:
    """All metric families; ``ValueError`` (with the parser's reason) when the text does not parse."""
    parser = parse_openmetrics if "openmetrics" in content_type.lower() else parse_text
    families = list(parser(text))
    if not families:
        raise ValueError("the exposition holds no metrics")
    return families


def find_family(families: Sequence[Metric], name: str) -> Metric | None:
    """The family exposing ``name``: by family name, counter ``_total`` name, or any of its sample names."""
    for family in families:
        if family.name == name or (family.type == "counter" and f"{family.name}_total" == name):
            return family
    for family in families:
        if any(sample.name == name for sample in family.samples):
            return family
    return None


@dataclass(frozen=True)
class Histogram:
    """A histogram family and its bucket upper bounds (without +Inf), in the family's unit."""

    name: str
    boundaries: tuple[float, ...]


def latency_histogram(families: Sequence[Metric], name: str | None) -> Histogram | None:
    """The named histogram, or the first whose name mentions duration or latency."""
    candidates = [f for f in families if f.type in ("histogram", "gaugehistogram")]
    if name is not None:
        base = name.removesuffix("_bucket")
        chosen = next((f for f in candidates if f.name == base), None)
    else:
        chosen = next((f for f in candidates if any(w in f.name for w in LATENCY_WORDS)), None)
    if chosen is None:
        return None
    bounds = {
        float(s.labels["le"])
        for s in chosen.samples
        if s.name.endswith("_bucket") and "le" in s.labels and not math.isinf(float(s.labels["le"]))
    }
    return Histogram(chosen.name, tuple(sorted(bounds)))


def unit_scale_ms(name: str) -> float:
    """Milliseconds per unit of a histogram, from its name (Prometheus base unit: seconds)."""
    if name.endswith(("_milliseconds", "_ms")):
        return 1.0
    if name.endswith(("_microseconds", "_us")):
        return 0.001
    return 1000.0
