"""CKV_SC_16: compose's Postgres services have a healthcheck that runs ``pg_isready`` (when promised).

Seed: Djinn compose ``healthcheck: test: ["CMD-SHELL", "pg_isready -U djinn"]`` (and ``depends_on:
condition: service_healthy``, which needs it). The promise is ``scan.build.compose_pg_isready``; without it
the policy says nothing. A Postgres service with no healthcheck, ``disable: true``, or a test that does not
run ``pg_isready`` fails, at that service.
"""

from __future__ import annotations

from typing import Any

from stackcheck_params import build_promise, image_name

from checkov.common.models.enums import CheckCategories, CheckResult
from checkov.yaml_doc.base_yaml_check import BaseYamlCheck
from checkov.yaml_doc.enums import BlockType

POSTGRES_IMAGES = {"postgres", "postgis", "timescaledb", "timescaledb-ha"}


def _runs_pg_isready(service: dict[str, Any]) -> bool:
    check = service.get("healthcheck")
    if not isinstance(check, dict) or check.get("disable") is True:
        return False
    test = check.get("test")
    text = " ".join(str(t) for t in test) if isinstance(test, list) else str(test or "")
    return "pg_isready" in text and not text.strip().upper().startswith("NONE")


class ComposePostgresHealthcheck(BaseYamlCheck):
    def __init__(self) -> None:
        super().__init__(
            name="Ensure compose's Postgres services have a pg_isready healthcheck (when promised)",
            id="CKV_SC_16",
            categories=(CheckCategories.GENERAL_SECURITY,),
            supported_entities=("services",),
            block_type=BlockType.OBJECT,
        )

    def scan_entity_conf(self, conf: dict[str, Any], entity_type: str) -> tuple[CheckResult, Any]:  # type: ignore[override]
        if not isinstance(conf, dict) or build_promise("compose_pg_isready") is not True:
            return CheckResult.UNKNOWN, conf
        verdict = CheckResult.UNKNOWN
        for service in conf.values():
            if not isinstance(service, dict) or not isinstance(service.get("image"), str):
                continue
            if image_name(service["image"]) not in POSTGRES_IMAGES:
                continue
            if not _runs_pg_isready(service):
                return CheckResult.FAILED, service
            verdict = CheckResult.PASSED
        return verdict, conf


check = ComposePostgresHealthcheck()
