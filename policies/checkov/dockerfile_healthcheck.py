"""CKV_SC_2: the final image stage declares a HEALTHCHECK (and does not switch it off with NONE).

Seed: Chimera "HEALTHCHECK --interval=30s --timeout=3s --start-period=60s CMD curl -f .../health/ready".
checkov's CKV_DOCKER_2 accepts a HEALTHCHECK in any stage, including ``HEALTHCHECK NONE``.
"""

from __future__ import annotations

from typing import Any

from checkov.common.models.enums import CheckCategories, CheckResult
from checkov.dockerfile.base_dockerfile_check import BaseDockerfileCheck


class FinalStageHasHealthcheck(BaseDockerfileCheck):
    def __init__(self) -> None:
        super().__init__(
            name="Ensure the final image stage declares a HEALTHCHECK other than NONE",
            id="CKV_SC_2",
            categories=(CheckCategories.GENERAL_SECURITY,),
            supported_instructions=("*",),
        )

    def scan_resource_conf(self, conf: dict[str, list[Any]]) -> tuple[CheckResult, list[Any] | None]:  # type: ignore[override]
        froms = conf.get("FROM", [])
        last_from = max((i["startline"] for i in froms), default=-1)
        checks = [h for h in conf.get("HEALTHCHECK", []) if h["startline"] > last_from]
        if not checks:
            return CheckResult.FAILED, froms[-1:] or None
        last = checks[-1]
        if str(last["value"]).strip().upper().startswith("NONE"):
            return CheckResult.FAILED, [last]
        return CheckResult.PASSED, [last]


check = FinalStageHasHealthcheck()
