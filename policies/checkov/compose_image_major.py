"""CKV_SC_4: compose's Postgres and Redis images are pinned to a major version the profile promises.

Seeds: Chimera "PostgreSQL 16", "Redis 7"; Djinn compose "postgres:16-alpine", "redis:7-alpine".
``latest`` or no tag is never pinned. The promised majors come from the profile's ``postgres.version`` and
``redis.version``; without them any numeric major passes.
"""

from __future__ import annotations

from typing import Any

from stackcheck_params import image_major, image_name, params

from checkov.common.models.enums import CheckCategories, CheckResult
from checkov.yaml_doc.base_yaml_check import BaseYamlCheck
from checkov.yaml_doc.enums import BlockType

KINDS = {"postgres": "postgres_majors", "postgis": "postgres_majors", "redis": "redis_majors"}


class ComposeImagesPinnedToPromisedMajor(BaseYamlCheck):
    def __init__(self) -> None:
        super().__init__(
            name="Ensure compose's Postgres/Redis images are pinned to a major version the profile promises",
            id="CKV_SC_4",
            categories=(CheckCategories.SUPPLY_CHAIN,),
            supported_entities=("services",),
            block_type=BlockType.OBJECT,
        )

    def scan_entity_conf(self, conf: dict[str, Any], entity_type: str) -> tuple[CheckResult, Any]:  # type: ignore[override]
        if not isinstance(conf, dict):
            return CheckResult.PASSED, conf
        p = params()
        for service in conf.values():
            if not isinstance(service, dict) or not isinstance(service.get("image"), str):
                continue
            key = KINDS.get(image_name(service["image"]))
            if key is None:
                continue
            major = image_major(service["image"])
            allowed = p[key]
            if major is None or (allowed and major not in allowed):
                return CheckResult.FAILED, service
        return CheckResult.PASSED, conf


check = ComposeImagesPinnedToPromisedMajor()
