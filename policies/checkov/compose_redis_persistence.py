"""CKV_SC_3: when the profile promises Redis persistence, compose's Redis service turns AOF on.

Seeds: Djinn compose "redis-server --appendonly yes"; blue-green platform "AOF in prod". The promise is the
profile's ``redis.appendonly``; without it (or run directly with checkov) the policy passes.
"""

from __future__ import annotations

import re
from typing import Any

from stackcheck_params import image_name, params

from checkov.common.models.enums import CheckCategories, CheckResult
from checkov.yaml_doc.base_yaml_check import BaseYamlCheck
from checkov.yaml_doc.enums import BlockType

AOF_ON = re.compile(r"--appendonly[\s=]+\"?yes\b", re.I)


def _command_text(service: dict[str, Any]) -> str:
    parts = []
    for key in ("command", "entrypoint"):
        value = service.get(key)
        if isinstance(value, list):
            parts.append(" ".join(str(v) for v in value))
        elif value is not None:
            parts.append(str(value))
    return " ".join(parts)


class ComposeRedisPersistence(BaseYamlCheck):
    def __init__(self) -> None:
        super().__init__(
            name="Ensure compose's Redis service runs with AOF persistence when the profile promises it",
            id="CKV_SC_3",
            categories=(CheckCategories.BACKUP_AND_RECOVERY,),
            supported_entities=("services",),
            block_type=BlockType.OBJECT,
        )

    def scan_entity_conf(self, conf: dict[str, Any], entity_type: str) -> tuple[CheckResult, Any]:  # type: ignore[override]
        if not isinstance(conf, dict) or params()["redis_appendonly"] is not True:
            return CheckResult.PASSED, conf
        for service in conf.values():
            if not isinstance(service, dict) or not isinstance(service.get("image"), str):
                continue
            is_redis = image_name(service["image"]) in {"redis", "redis-stack-server", "valkey"}
            if is_redis and not AOF_ON.search(_command_text(service)):
                return CheckResult.FAILED, service
        return CheckResult.PASSED, conf


check = ComposeRedisPersistence()
