"""CKV_SC_1: the final image stage runs as a non-root USER (its own, or one inherited with ``FROM stage``).

Seeds: Djinn "Security: Run as non-root ... USER appuser"; Monte Carlo "User: appuser (UID 1000, non-root)".
Only what checkov's built-ins miss: CKV_DOCKER_3 passes when *any* stage has a USER (a builder stage
counts) and CKV_DOCKER_8 only rejects a last USER written ``root``. A Dockerfile with no USER at all, or
whose last USER is ``root``, is theirs to report: this policy says nothing then (no duplicate finding).
It fails a final stage that has no USER in effect (e.g. only a builder stage has one) or runs as 0 / 0:0.
"""

from __future__ import annotations

from typing import Any

from stackcheck_stages import final_stage_instruction

from checkov.common.models.enums import CheckCategories, CheckResult
from checkov.dockerfile.base_dockerfile_check import BaseDockerfileCheck

ROOT_USERS = {"root", "0"}


class FinalStageRunsAsNonRoot(BaseDockerfileCheck):
    def __init__(self) -> None:
        super().__init__(
            name="Ensure the final image stage runs as a non-root USER",
            id="CKV_SC_1",
            categories=(CheckCategories.IAM,),
            supported_instructions=("*",),
        )

    def scan_resource_conf(self, conf: dict[str, list[Any]]) -> tuple[CheckResult, list[Any] | None]:  # type: ignore[override]
        users = sorted(conf.get("USER", []), key=lambda u: u["startline"])
        if not users or users[-1]["value"] == "root":
            return CheckResult.UNKNOWN, None  # CKV_DOCKER_3 / CKV_DOCKER_8 report these
        user, last_from = final_stage_instruction(conf, "USER")
        if user is None:
            return CheckResult.FAILED, [last_from] if last_from else None
        if str(user["value"]).strip().split(":", 1)[0] in ROOT_USERS:
            return CheckResult.FAILED, [user]
        return CheckResult.PASSED, [user]


check = FinalStageRunsAsNonRoot()
