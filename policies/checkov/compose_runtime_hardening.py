"""CKV_SC_17 / CKV_SC_18: compose runs the team's own services read-only and with every capability dropped.

Seed: Monte Carlo "docker run --read-only ..." and "docker run --cap-drop ALL ...". In a compose file these
are a service's ``read_only: true`` and ``cap_drop: [ALL]``. The services judged are the ones compose builds
(``build:``): the team's image, not the databases it pulls. The promises are ``scan.build.read_only`` and
``scan.build.cap_drop_all``; without them the policies say nothing, and a file with no built service is
UNKNOWN. Kubernetes manifests are judged by checkov's own CKV_K8S_22 (readOnlyRootFilesystem) and CKV_K8S_37
(capabilities drop ALL).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from stackcheck_params import build_promise

from checkov.common.models.enums import CheckCategories, CheckResult
from checkov.yaml_doc.base_yaml_check import BaseYamlCheck
from checkov.yaml_doc.enums import BlockType


def _built(conf: dict[str, Any]) -> list[dict[str, Any]]:
    return [s for s in conf.values() if isinstance(s, dict) and "build" in s]


def _drops_all(service: dict[str, Any]) -> bool:
    drops = service.get("cap_drop")
    return isinstance(drops, list) and any(str(d).upper() == "ALL" for d in drops)


def _read_only(service: dict[str, Any]) -> bool:
    return service.get("read_only") is True


class ComposeHardening(BaseYamlCheck):
    """One promise (``scan.build.<promise>``) that every service compose builds must keep."""

    def __init__(
        self, check_id: str, promise: str, name: str, holds: Callable[[dict[str, Any]], bool]
    ) -> None:
        self.promise, self.holds = promise, holds
        super().__init__(
            name=name,
            id=check_id,
            categories=(CheckCategories.GENERAL_SECURITY,),
            supported_entities=("services",),
            block_type=BlockType.OBJECT,
        )

    def scan_entity_conf(self, conf: dict[str, Any], entity_type: str) -> tuple[CheckResult, Any]:  # type: ignore[override]
        if not isinstance(conf, dict) or build_promise(self.promise) is not True:
            return CheckResult.UNKNOWN, conf
        built = _built(conf)
        for service in built:
            if not self.holds(service):
                return CheckResult.FAILED, service
        return (CheckResult.PASSED if built else CheckResult.UNKNOWN), conf


read_only = ComposeHardening(
    "CKV_SC_17",
    "read_only",
    "Ensure the services compose builds run with a read-only root filesystem (when promised)",
    _read_only,
)
cap_drop_all = ComposeHardening(
    "CKV_SC_18",
    "cap_drop_all",
    "Ensure compose drops every capability of the services it builds (when promised)",
    _drops_all,
)
