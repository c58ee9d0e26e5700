"""CKV_SC_1: the final image stage switches to a non-root USER.

Seeds: Djinn "Security: Run as non-root ... USER appuser"; Monte Carlo "User: appuser (UID 1000, non-root)".
checkov's CKV_DOCKER_3 passes when *any* stage has a USER (a builder stage counts) and CKV_DOCKER_8 only
rejects the literal name ``root``; this policy looks at the stage that ships and rejects root, 0 and 0:0.
"""

from __future__ import annotations

from typing import Any

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
        froms = conf.get("FROM", [])
        last_from = max((i["startline"] for i in froms), default=-1)
        users = [u for u in conf.get("USER", []) if u["startline"] > last_from]
        if not users:
            return CheckResult.FAILED, froms[-1:] or None
        last = users[-1]
        user = str(last["value"]).strip().split(":", 1)[0]
        if user in ROOT_USERS:
            return CheckResult.FAILED, [last]
        return CheckResult.PASSED, [last]


check = FinalStageRunsAsNonRoot()
