"""CKV_SC_19: a HorizontalPodAutoscaler scales between the promised replica counts at the promised targets.

Seed: Monte Carlo "Horizontal Pod Autoscaler (HPA): minReplicas: 3, maxReplicas: 10, targetCPUUtilization:
70%, targetMemoryUtilization: 80%". The promise is ``scan.build.hpa`` (``min_replicas``, ``max_replicas``,
``cpu_percent``, ``memory_percent``; a key left out is not judged). ``autoscaling/v2`` states the targets as
``spec.metrics[].resource`` with ``target.averageUtilization``; ``autoscaling/v1`` only CPU, as
``targetCPUUtilizationPercentage``. Each HPA in the manifests is judged; without the promise the policy says
nothing.
"""

from __future__ import annotations

from typing import Any

from stackcheck_params import build_promise

from checkov.common.models.enums import CheckCategories, CheckResult
from checkov.kubernetes.checks.resource.base_spec_check import BaseK8Check


def utilization(spec: dict[str, Any], resource: str) -> Any:
    """The average-utilization target of ``resource`` (cpu, memory), or None."""
    if resource == "cpu" and "targetCPUUtilizationPercentage" in spec:
        return spec["targetCPUUtilizationPercentage"]
    for metric in spec.get("metrics") or []:
        if not isinstance(metric, dict) or metric.get("type") != "Resource":
            continue
        source = metric.get("resource") or {}
        if source.get("name") == resource:
            target = source.get("target") or {}
            return target.get("averageUtilization", source.get("targetAverageUtilization"))
    return None


class KubernetesHpa(BaseK8Check):
    def __init__(self) -> None:
        super().__init__(
            name="Ensure the HorizontalPodAutoscaler has the promised replica range and targets",
            id="CKV_SC_19",
            categories=(CheckCategories.GENERAL_SECURITY,),
            supported_entities=("HorizontalPodAutoscaler",),
        )

    def scan_spec_conf(self, conf: dict[str, Any]) -> CheckResult:
        promise = build_promise("hpa")
        if not isinstance(promise, dict):
            return CheckResult.UNKNOWN
        spec = conf.get("spec") if isinstance(conf, dict) else None
        if not isinstance(spec, dict):
            return CheckResult.FAILED
        wanted = {
            "minReplicas": promise.get("min_replicas"),
            "maxReplicas": promise.get("max_replicas"),
        }
        for key, value in wanted.items():
            if value is not None and spec.get(key) != value:
                return CheckResult.FAILED
        for resource in ("cpu", "memory"):
            value = promise.get(f"{resource}_percent")
            if value is not None and utilization(spec, resource) != value:
                return CheckResult.FAILED
        return CheckResult.PASSED


check = KubernetesHpa()
