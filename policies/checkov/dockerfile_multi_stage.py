"""CKV_SC_10: when the profile promises a multi-stage build, the Dockerfile has a builder stage and a final
stage that takes its artefacts from it (``COPY --from=<stage>`` or ``FROM <stage>``).

Seeds: Chimera "Build: Gradle with Docker multi-stage builds"; Djinn "Multi-stage build for minimal image
size"; Monte Carlo "Multi-Stage Build Strategy". The promise is ``scan.build.multi_stage``; without it the
policy says nothing. No built-in checks the number of stages.
"""

from __future__ import annotations

from typing import Any

from stackcheck_params import build_promise
from stackcheck_stages import final_chain, final_from, in_stage, stage_count

from checkov.common.models.enums import CheckCategories, CheckResult
from checkov.dockerfile.base_dockerfile_check import BaseDockerfileCheck


class MultiStageBuild(BaseDockerfileCheck):
    def __init__(self) -> None:
        super().__init__(
            name="Ensure the image is built in stages: the final stage copies from a builder stage",
            id="CKV_SC_10",
            categories=(CheckCategories.SUPPLY_CHAIN,),
            supported_instructions=("*",),
        )

    def scan_resource_conf(self, conf: dict[str, list[Any]]) -> tuple[CheckResult, list[Any] | None]:  # type: ignore[override]
        last = final_from(conf)
        if build_promise("multi_stage") is not True or last is None:
            return CheckResult.UNKNOWN, None
        if stage_count(conf) < 2:
            return CheckResult.FAILED, [last]
        chain = final_chain(conf)
        if len(chain) > 1:
            return CheckResult.PASSED, [last]
        copies = [c for c in in_stage(conf, "COPY", chain[0]) if "--from=" in str(c["value"]).lower()]
        return (CheckResult.PASSED, [copies[0]]) if copies else (CheckResult.FAILED, [last])


check = MultiStageBuild()
