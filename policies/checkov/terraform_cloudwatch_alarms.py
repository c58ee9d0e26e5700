"""CKV_SC_23: the Terraform defines CloudWatch alarms, with an action, for each metric the profile promises.

Seed: the AI Community Platform "Alarms: CloudWatch Alarms → PagerDuty or Slack for: high CPU/memory, 5xx
surge from ALB, high DB connection count" and "Threshold-Based Alerts ... CPU > 80%". The promise is
``scan.build.cloudwatch_alarms`` (``cpu_percent``, ``memory``, ``alb_5xx``, ``db_connections``; a key left
out is not judged). Some ``aws_cloudwatch_metric_alarm`` must watch each promised metric (its own
``metric_name``/``namespace`` or a ``metric_query`` metric) and name an ``alarm_actions`` target (the SNS
topic PagerDuty or Slack subscribe to): ``CPUUtilization`` rising above at most ``cpu_percent``,
``MemoryUtilization``, ``HTTPCode_ELB_5XX_Count`` or ``HTTPCode_Target_5XX_Count`` in
``AWS/ApplicationELB``, ``DatabaseConnections`` in ``AWS/RDS``.

Whether an alarm exists is a property of the whole Terraform, not of one resource: the policy is judged on
each ``provider "aws"`` block and reads the other resources from checkov's graph of the same folder (as
checkov's own CKV_AWS_379 does). A Terraform with no ``provider "aws"`` block is not judged. A threshold
that is still a variable cannot be judged (UNKNOWN). Without the promise the policy says nothing.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from stackcheck_params import build_promise, first, unresolved

from checkov.common.models.enums import CheckCategories, CheckResult
from checkov.terraform.checks.provider.base_check import BaseProviderCheck

ALARM = "aws_cloudwatch_metric_alarm"
RISING = {"GreaterThanThreshold", "GreaterThanOrEqualToThreshold"}
# promise key -> (namespaces, metric names); None: any namespace (CPU and memory of ECS, EC2, RDS alike).
METRICS: dict[str, tuple[frozenset[str] | None, frozenset[str]]] = {
    "cpu_percent": (None, frozenset({"CPUUtilization"})),
    "memory": (None, frozenset({"MemoryUtilization"})),
    "alb_5xx": (
        frozenset({"AWS/ApplicationELB"}),
        frozenset({"HTTPCode_ELB_5XX_Count", "HTTPCode_Target_5XX_Count"}),
    ),
    "db_connections": (frozenset({"AWS/RDS"}), frozenset({"DatabaseConnections"})),
}


def watched(alarm: dict[str, Any]) -> Iterator[tuple[Any, Any]]:
    """(namespace, metric name) pairs the alarm watches: its own, and each ``metric_query`` metric's."""
    yield first(alarm.get("namespace")), first(alarm.get("metric_name"))
    queries = alarm.get("metric_query") or []
    for query in queries if isinstance(queries, list) else [queries]:
        metrics = query.get("metric") if isinstance(query, dict) else None
        for metric in metrics if isinstance(metrics, list) else [metrics]:
            if isinstance(metric, dict):
                yield first(metric.get("namespace")), first(metric.get("metric_name"))


def _action(alarm: dict[str, Any]) -> CheckResult:
    """PASSED: the alarm notifies someone; FAILED: nobody; UNKNOWN: the actions are still a variable."""
    actions = alarm.get("alarm_actions")
    if unresolved(first(actions)):
        return CheckResult.UNKNOWN
    named = isinstance(actions, list) and any(a not in (None, "", []) for a in actions)
    return CheckResult.PASSED if named else CheckResult.FAILED


def verdict(key: str, promised: Any, alarms: list[dict[str, Any]]) -> CheckResult:
    """Whether some alarm keeps the promise ``key``: PASSED, FAILED, or UNKNOWN (a variable in the way)."""
    namespaces, names = METRICS[key]
    found = CheckResult.FAILED
    for alarm in alarms:
        pairs = list(watched(alarm))
        action = _action(alarm)
        if action == CheckResult.FAILED or not any(
            n in names and (namespaces is None or ns in namespaces) for ns, n in pairs
        ):
            continue
        threshold = first(alarm.get("threshold"))
        if action == CheckResult.UNKNOWN or (key == "cpu_percent" and unresolved(threshold)):
            found = CheckResult.UNKNOWN
        elif key != "cpu_percent" or _rises_by(alarm, threshold, promised):
            return CheckResult.PASSED
    return found


def _rises_by(alarm: dict[str, Any], threshold: Any, percent: Any) -> bool:
    """Whether the alarm fires when the value rises above ``threshold``, at most ``percent``."""
    if not isinstance(threshold, (int, float)) or isinstance(threshold, bool):
        return False
    return threshold <= percent and first(alarm.get("comparison_operator")) in RISING


class CloudwatchAlarms(BaseProviderCheck):
    def __init__(self) -> None:
        super().__init__(
            name="Ensure the Terraform defines CloudWatch alarms with an action for each promised metric",
            id="CKV_SC_23",
            categories=(CheckCategories.LOGGING,),
            supported_provider=("aws",),
        )

    def scan_provider_conf(self, conf: dict[str, Any]) -> CheckResult:
        promise = build_promise("cloudwatch_alarms")
        if not isinstance(promise, dict) or self.graph is None:
            return CheckResult.UNKNOWN
        alarms = [attrs for _, attrs in self.graph.nodes() if attrs.get("resource_type") == ALARM]
        result = CheckResult.PASSED
        for key in METRICS:
            promised = promise.get(key)
            if promised in (None, False):
                continue
            found = verdict(key, promised, alarms)
            if found == CheckResult.FAILED:
                # Named in the finding: which promised alarm is missing.
                above = f" above at most {promised} %" if key == "cpu_percent" else ""
                self.details.append(
                    f"no alarm with alarm_actions on {' or '.join(sorted(METRICS[key][1]))}{above}"
                )
                result = CheckResult.FAILED
            elif found == CheckResult.UNKNOWN and result == CheckResult.PASSED:
                result = CheckResult.UNKNOWN
        return result


check = CloudwatchAlarms()
