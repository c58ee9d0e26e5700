"""Plain words for prometheus_client's OpenMetrics parser errors (pure helpers of :mod:`.metrics`).

The parser says *where* it stopped, tersely: "Clashing name: app_requests" is what an OpenMetrics counter
whose sample lacks ``_total`` gives (the sample starts a second family of the same name). These helpers
read the exposition again to say *what is wrong*.
"""

from __future__ import annotations

import re

__all__ = ["explain_openmetrics_error", "short"]

SHOWN = 60  # characters of a target's name or value quoted in a message
# The sample names each OpenMetrics type allows for a family NAME (besides NAME itself for some).
SAMPLE_SUFFIXES = {
    "counter": ("_total", "_created"),
    "info": ("_info",),
    "histogram": ("_bucket", "_count", "_sum", "_created"),
    "gaugehistogram": ("_bucket", "_gcount", "_gsum"),
    "summary": ("", "_count", "_sum", "_created"),
}
_TYPE_LINE = re.compile(r"# TYPE (\S+) (\S+)")
_PLAIN = {
    "+Inf bucket missing": 'the histogram {} has no le="+Inf" bucket',
    "Count does not match +Inf value": 'the histogram {}: _count differs from its le="+Inf" bucket',
    "Bucket values out of order": "the histogram {} is not cumulative (a bucket counts fewer than one below)",
    "Buckets out of order": "the histogram {} lists its buckets out of increasing le order",
    "_count must be present if _sum is present": "the histogram {} has a _sum but no _count",
    "_sum/_gsum must be present if _count is present": "the histogram {} has a _count but no _sum",
    "More than one TYPE for metric": "a second TYPE line: {}",
    "More than one HELP for metric": "a second HELP line: {}",
    "More than one UNIT for metric": "a second UNIT line: {}",
    "Received metadata after samples": "a TYPE/HELP/UNIT line after the metric's samples: {}",
    "Invalid TYPE for metric": "a TYPE OpenMetrics does not have: {}",
    "Invalid le label": "a bucket le that is not a number in canonical form: {}",
    "Invalid quantile label": "a quantile that is not a number: {}",
    "Bucket value must be an integer": "a bucket count that is not an integer: {}",
    "Count value must be an integer": "a _count that is not an integer: {}",
    "Stateset missing label": "a stateset sample without the label named after its metric: {}",
    "Stateset samples can only have values zero and one": "a stateset sample other than 0 or 1: {}",
    "Info samples can only have value one": "an info sample other than 1: {}",
    "Counter-like samples cannot be negative": "a negative counter, bucket or count: {}",
    "Counter-like samples cannot be NaN": "a counter, bucket or count that is NaN: {}",
    "Unit does not match metric name": "a UNIT the metric name does not end in: {}",
    "Received line after # EOF": "a line after # EOF: {}",
    "Invalid line": "a line does not parse: {}",
}


def short(text: str) -> str:
    """``text`` cut to :data:`SHOWN` characters (a target's names and values quoted in messages)."""
    return text if len(text) <= SHOWN else text[: SHOWN - 1] + "…"


def explain_openmetrics_error(reason: str, text: str) -> str:
    """What the OpenMetrics parser's ``reason`` means for this exposition, in plain words."""
    head, _, subject = reason.partition(": ")
    subject = short(subject.strip())
    if head == "Clashing name" and subject:
        return _clash(subject, text)
    if reason == "Missing # EOF at end":
        return (
            "the OpenMetrics exposition does not end with the line `# EOF` (a text-format body served as "
            "application/openmetrics-text, or an answer cut short)"
        )
    if reason == "Received blank line":
        return "a blank line, which OpenMetrics does not allow"
    if reason.startswith("could not convert string to float"):
        value = reason.rpartition(": ")[2]
        return f"a value or bound that must be a number is {short(value)}"
    if head in _PLAIN and subject:
        return _PLAIN[head].format(subject)
    return f"the OpenMetrics parser rejects it: {short(reason.strip()) or 'a line does not parse'}"


def _clash(name: str, text: str) -> str:
    """A sample that does not belong to the family its TYPE declared starts a second family of its own
    name: say which sample names that type allows."""
    types = {m.group(1): m.group(2) for m in _TYPE_LINE.finditer(text)}
    kind = types.get(name)
    if kind == "counter":
        return (
            f"the counter {name} has a sample named {name}: OpenMetrics counter samples end in _total "
            f"({name}_total; the TYPE line names the family without the suffix)"
        )
    if kind in SAMPLE_SUFFIXES:
        allowed = ", ".join(name + suffix for suffix in SAMPLE_SUFFIXES[kind])
        return f"the {kind} {name} has a sample named {name}, which OpenMetrics does not allow ({allowed})"
    return (
        f"two metric families claim the name {name} (in OpenMetrics a sample belongs to the family its TYPE "
        "line declared, with that type's suffixes)"
    )
