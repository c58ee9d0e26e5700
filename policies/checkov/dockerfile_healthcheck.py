"""CKV_SC_2: the final image stage has a HEALTHCHECK in effect (its own, or one inherited with
``FROM stage``) and it is not ``HEALTHCHECK NONE``.

Seed: Chimera "HEALTHCHECK --interval=30s --timeout=3s --start-period=60s CMD curl -f .../health/ready".
Only what checkov's built-in misses: CKV_DOCKER_2 passes a HEALTHCHECK in any stage, ``NONE`` included. A
Dockerfile with no HEALTHCHECK at all is CKV_DOCKER_2's to report: this policy says nothing then.
"""

from __future__ import annotations

from typing import Any

from stackcheck_stages import final_stage_instruction

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
        if not conf.get("HEALTHCHECK"):
            return CheckResult.UNKNOWN, None  # CKV_DOCKER_2 reports a Dockerfile without HEALTHCHECK
        check, last_from = final_stage_instruction(conf, "HEALTHCHECK")
        if check is None:
            return CheckResult.FAILED, [last_from] if last_from else None
        if str(check["value"]).strip().upper().startswith("NONE"):
            return CheckResult.FAILED, [check]
        return CheckResult.PASSED, [check]


check = FinalStageHasHealthcheck()
