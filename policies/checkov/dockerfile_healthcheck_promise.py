"""CKV_SC_12: the final stage's HEALTHCHECK requests the promised path with the promised timings.

Seed: Chimera "HEALTHCHECK --interval=30s --timeout=3s --start-period=60s CMD curl -f
http://localhost:8080/health/ready || exit 1". The promise is ``scan.build.healthcheck`` (path, interval,
timeout, start_period); an option the Dockerfile leaves out has Docker's default (30s, 30s, 0s). A
Dockerfile with no HEALTHCHECK in effect, or ``HEALTHCHECK NONE``, is CKV_DOCKER_2's and CKV_SC_2's to
report: this policy says nothing then. Durations compare by value (``1m`` is ``60s``).
"""

from __future__ import annotations

import re
from typing import Any

from stackcheck_params import build_promise, seconds
from stackcheck_stages import final_stage_instruction

from checkov.common.models.enums import CheckCategories, CheckResult
from checkov.dockerfile.base_dockerfile_check import BaseDockerfileCheck

DOCKER_DEFAULTS = {"interval": "30s", "timeout": "30s", "start_period": "0s"}
OPTION = re.compile(r"--(interval|timeout|start-period|start-interval|retries)[=\s]+(\S+)", re.I)
SPLIT = re.compile(r"[\s\"',\[\]]+")


def _paths(command: str) -> set[str]:
    """The URL paths a health command names: ``http://localhost:8080/health/ready?x`` → /health/ready."""
    found = set()
    for word in SPLIT.split(command):
        word = re.sub(r"^[a-z][a-z0-9+.-]*://[^/]*", "", word, flags=re.I)
        word = re.sub(r"^[\w.-]+:\d+", "", word)
        if word.startswith("/"):
            found.add(re.split(r"[?#]", word, maxsplit=1)[0])
    return found


class HealthcheckAsPromised(BaseDockerfileCheck):
    def __init__(self) -> None:
        super().__init__(
            name="Ensure the final stage's HEALTHCHECK requests the promised path with the promised timings",
            id="CKV_SC_12",
            categories=(CheckCategories.GENERAL_SECURITY,),
            supported_instructions=("*",),
        )

    def scan_resource_conf(self, conf: dict[str, list[Any]]) -> tuple[CheckResult, list[Any] | None]:  # type: ignore[override]
        promised = build_promise("healthcheck")
        check, _ = final_stage_instruction(conf, "HEALTHCHECK")
        if promised is None or check is None:
            return CheckResult.UNKNOWN, None
        value = str(check["value"]).strip()
        if value.upper().startswith("NONE"):
            return CheckResult.UNKNOWN, None  # CKV_SC_2 reports HEALTHCHECK NONE
        parts = re.split(r"\bCMD\b", value, maxsplit=1, flags=re.I)
        head, command = parts[0], (parts[1] if len(parts) > 1 else "")
        options = {k.lower().replace("-", "_"): v for k, v in OPTION.findall(head)}
        for key in ("interval", "timeout", "start_period"):
            if key not in promised:
                continue
            actual = seconds(options.get(key, DOCKER_DEFAULTS[key]))
            if actual is None or actual != seconds(promised[key]):
                return CheckResult.FAILED, [check]
        if "path" in promised and promised["path"] not in _paths(command):
            return CheckResult.FAILED, [check]
        return CheckResult.PASSED, [check]


check = HealthcheckAsPromised()
