"""Reading a Prometheus exposition as Prometheus does (pure helpers).

A scrape asks for OpenMetrics first, as Prometheus 2.42 does (:data:`ACCEPT`), and the answer is parsed
according to the ``Content-Type`` it came with: OpenMetrics (``application/openmetrics-text``) with
prometheus_client's OpenMetrics parser, anything else with its text-format (0.0.4) parser, Prometheus's own
fallback. What is wrong with an exposition is the target's defect, said in plain words:

- :class:`Malformed` (raised by :func:`parse_exposition`): the exposition does not parse. For the text
  format this includes what the reference parser (``promtool check metrics``, Go's expfmt) rejects although
  prometheus_client's lenient parser reads it: a bucket ``le`` or a ``quantile`` that is not a number, a
  second ``TYPE``/``HELP`` line, a ``TYPE`` after the metric's samples, a type the format does not have;
- :attr:`Exposition.problems`: the exposition parses, but breaks a rule of the format that both parsers let
  through: a histogram without a ``+Inf`` bucket, buckets that are not cumulative, ``_count`` unequal to the
  ``+Inf`` bucket, the same series twice.
"""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from prometheus_client.metrics_core import Metric
from prometheus_client.openmetrics.parser import text_string_to_metric_families as parse_openmetrics
from prometheus_client.parser import text_string_to_metric_families as parse_text
from prometheus_client.samples import Sample

from stackcheck.probes.metrics_messages import explain_openmetrics_error, short

__all__ = [
    "ACCEPT",
    "Exposition",
    "Histogram",
    "Malformed",
    "Problem",
    "exposition_format",
    "find_family",
    "latency_histogram",
    "parse_exposition",
    "unit_scale_ms",
]

# What Prometheus 2.42 sends (scrape/scrape.go, scrapeAcceptHeader): OpenMetrics preferred, text accepted.
ACCEPT = (
    "application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,"
    "text/plain;version=0.0.4;q=0.5,*/*;q=0.1"
)
OPENMETRICS = "OpenMetrics"
TEXT = "text 0.0.4"
LATENCY_WORDS = ("duration", "latency")
_TEXT_TYPES = ("counter", "gauge", "histogram", "summary", "untyped")
_OPENMETRICS_ONLY = ("info", "stateset", "gaugehistogram", "unknown")
# A float as Go's strconv.ParseFloat reads a label value (what promtool requires of `le` and `quantile`).
_FLOAT = re.compile(r"[+-]?(?:(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?|inf(?:inity)?|nan)", re.IGNORECASE)
_SAMPLE_NAME = re.compile(r"[^{\s]+")


class Malformed(ValueError):
    """The exposition does not parse; the message says why in plain words (the target's defect)."""


@dataclass(frozen=True)
class Problem:
    """A rule of the format the exposition breaks although it parses; ``family`` is the metric concerned."""

    family: str
    message: str


@dataclass(frozen=True)
class Exposition:
    """A parsed exposition: its format (:data:`OPENMETRICS` or :data:`TEXT`), families and problems."""

    format: str
    families: tuple[Metric, ...]
    problems: tuple[Problem, ...] = ()

    def problems_of(self, family: str) -> list[str]:
        """The problems of one family."""
        return [p.message for p in self.problems if p.family == family]


def exposition_format(content_type: str) -> str:
    """The format a ``Content-Type`` announces: OpenMetrics, else the text format (Prometheus's fallback)."""
    media = content_type.split(";", 1)[0].strip().lower()
    return OPENMETRICS if media == "application/openmetrics-text" else TEXT


def parse_exposition(text: str, content_type: str = "") -> Exposition:
    """Parse ``text`` in the format its content type names; :class:`Malformed` when it does not parse."""
    fmt = exposition_format(content_type)
    if fmt == OPENMETRICS:
        families = _parse_openmetrics(text)
    else:
        reason = _text_metadata_error(text)
        if reason is not None:
            raise Malformed(reason)
        families = _parse_text(text)
        reason = _label_error(families)
        if reason is not None:
            raise Malformed(reason)
    if not families:
        raise Malformed("the exposition holds no metrics")
    return Exposition(fmt, tuple(families), tuple(_problems(families)))


def _parse_openmetrics(text: str) -> list[Metric]:
    try:
        return list(parse_openmetrics(text))  # type: ignore[no-untyped-call]
    except (ValueError, IndexError, KeyError) as exc:
        reason = str(exc)
    # prometheus_client's reasons are terse ("Clashing name: x", "could not convert string to float"): say
    # what is wrong instead. A number that is not one: read the text leniently to name the sample (a second
    # parse, only on this path).
    if reason.startswith(("could not convert string to float", "Invalid le label", "Invalid quantile label")):
        try:
            label_reason = _label_error(list(parse_text(text)))
        except (ValueError, IndexError, KeyError):
            label_reason = None
        if label_reason is not None:
            raise Malformed(label_reason)
    raise Malformed(explain_openmetrics_error(reason, text))


def _parse_text(text: str) -> list[Metric]:
    try:
        return list(parse_text(text))
    except (ValueError, IndexError, KeyError) as exc:
        reason = str(exc).strip() or "a line has no valid sample syntax"
        raise Malformed(f"it does not parse as the text format: {short(reason)}") from None


def _text_metadata_error(text: str) -> str | None:
    """What Go's text parser (promtool) rejects in the ``# TYPE``/``# HELP`` lines; prometheus_client does
    not: a second TYPE or HELP for a name, a TYPE after the name's samples, a type the format lacks."""
    typed: set[str] = set()
    helped: set[str] = set()
    sampled: set[str] = set()
    for number, line in enumerate(text.splitlines(), 1):
        if line.startswith("#"):
            parts = line.split(None, 3)
            if len(parts) < 3 or parts[1] not in ("TYPE", "HELP"):
                continue
            name = parts[2]
            if parts[1] == "HELP":
                if name in helped:
                    return f"line {number}: a second HELP line for {short(name)}"
                helped.add(name)
                continue
            kind = parts[3].strip() if len(parts) > 3 else ""
            if kind not in _TEXT_TYPES:
                hint = (
                    f"; {kind} exists only in OpenMetrics, served as application/openmetrics-text"
                    if kind in _OPENMETRICS_ONLY
                    else ""
                )
                return (
                    f"line {number}: {short(name)} has TYPE {short(kind)!r}, not a type of the text format "
                    f"({', '.join(_TEXT_TYPES)}{hint})"
                )
            if name in typed:
                return f"line {number}: a second TYPE line for {short(name)}"
            if name in sampled:
                return f"line {number}: the TYPE line of {short(name)} comes after its samples"
            typed.add(name)
        elif line.strip():
            match = _SAMPLE_NAME.match(line.lstrip())
            if match:
                sampled.add(match.group(0))
    return None


def _label_error(families: Sequence[Metric]) -> str | None:
    """A bucket ``le`` or a summary ``quantile`` that is not a number (promtool rejects the exposition)."""
    for family in families:
        label = {"histogram": "le", "gaugehistogram": "le", "summary": "quantile"}.get(family.type)
        if label is None:
            continue
        for sample in family.samples:
            value = sample.labels.get(label)
            if value is not None and not _FLOAT.fullmatch(value):
                return (
                    f'{short(sample.name)} has {label}="{short(value)}", which is not a number: the '
                    f"{'bucket bound' if label == 'le' else 'quantile'} of a {family.type} must be one"
                )
    return None


def _problems(families: Sequence[Metric]) -> Iterator[Problem]:
    seen: set[tuple[str, tuple[tuple[str, str], ...], object]] = set()
    for family in families:
        for sample in family.samples:
            key = (sample.name, tuple(sorted(sample.labels.items())), sample.timestamp)
            if key in seen:
                yield Problem(family.name, f"the series {_series(sample)} appears more than once")
            seen.add(key)
        if family.type in ("histogram", "gaugehistogram"):
            yield from _histogram_problems(family)


def _histogram_problems(family: Metric) -> Iterator[Problem]:
    groups: dict[tuple[tuple[str, str], ...], list[Sample]] = {}
    counts: dict[tuple[tuple[str, str], ...], float] = {}
    count_name = family.name + ("_gcount" if family.type == "gaugehistogram" else "_count")
    for sample in family.samples:
        rest = tuple(sorted((k, v) for k, v in sample.labels.items() if k != "le"))
        if sample.name == f"{family.name}_bucket" and "le" in sample.labels:
            groups.setdefault(rest, []).append(sample)
        elif sample.name == count_name:
            counts[rest] = sample.value
    for labels, buckets in groups.items():
        where = family.name + ("{" + ",".join(f'{k}="{v}"' for k, v in labels) + "}" if labels else "")
        ordered = sorted((b for b in buckets if not math.isnan(float(b.labels["le"]))), key=_bound)
        if len(ordered) < len(buckets):
            yield Problem(family.name, f'{short(where)} has a bucket le="NaN", which bounds nothing')
        if not ordered:
            continue
        if not math.isinf(float(ordered[-1].labels["le"])):
            yield Problem(family.name, f'{short(where)} has no le="+Inf" bucket')
        for below, above in itertools.pairwise(ordered):
            if above.value < below.value:
                yield Problem(
                    family.name,
                    f'{short(where)} is not cumulative: bucket le="{above.labels["le"]}" counts '
                    f'{above.value:g}, fewer than le="{below.labels["le"]}" ({below.value:g})',
                )
                break
        total = counts.get(labels)
        top = ordered[-1]
        if total is not None and math.isinf(float(top.labels["le"])) and total != top.value:
            yield Problem(
                family.name,
                f'{short(where)}: {count_name} is {total:g} but the le="+Inf" bucket counts {top.value:g} '
                "(they must be equal)",
            )


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
        bound
        for s in chosen.samples
        if s.name.endswith("_bucket") and _FLOAT.fullmatch(s.labels.get("le", ""))
        for bound in (float(s.labels["le"]),)
        if math.isfinite(bound)
    }
    return Histogram(chosen.name, tuple(sorted(bounds)))


def unit_scale_ms(name: str) -> float:
    """Milliseconds per unit of a histogram, from its name (Prometheus base unit: seconds)."""
    if name.endswith(("_milliseconds", "_ms")):
        return 1.0
    if name.endswith(("_microseconds", "_us")):
        return 0.001
    return 1000.0


def _bound(sample: Sample) -> float:
    return float(sample.labels["le"])


def _series(sample: Sample) -> str:
    labels = ",".join(f'{k}="{v}"' for k, v in sorted(sample.labels.items()))
    return short(sample.name + (f"{{{labels}}}" if labels else ""))
