"""CKV_SC_8: no credential is written literally in a Terraform resource's environment variables.

Covers ``environment_variables = {...}`` (Railway, Vercel), ``environment { variables = {...} }`` (Lambda)
and the ``environment`` list inside ECS ``container_definitions``. Seeds: Chimera "No secrets in code or
configuration files"; AI platform "Store API keys, DB credentials ... in AWS Secrets Manager".
"""

from __future__ import annotations

import json
from typing import Any

from stackcheck_params import is_secret_literal

from checkov.common.models.enums import CheckCategories, CheckResult
from checkov.terraform.checks.resource.base_resource_check import BaseResourceCheck


def _unwrap(value: Any) -> Any:
    return value[0] if isinstance(value, list) and len(value) == 1 else value


def _env_pairs(conf: dict[str, Any]) -> list[tuple[str, Any]]:
    pairs: list[tuple[str, Any]] = []
    env_map = _unwrap(conf.get("environment_variables"))
    if isinstance(env_map, dict):
        pairs += list(env_map.items())
    env_block = _unwrap(conf.get("environment"))
    if isinstance(env_block, dict) and isinstance(_unwrap(env_block.get("variables")), dict):
        pairs += list(_unwrap(env_block["variables"]).items())
    definitions = _unwrap(conf.get("container_definitions"))
    if isinstance(definitions, str):
        try:
            definitions = json.loads(definitions)
        except ValueError:
            definitions = None
    if isinstance(definitions, list):
        for container in definitions:
            for item in container.get("environment", []) if isinstance(container, dict) else []:
                if isinstance(item, dict):
                    pairs.append((str(item.get("name", "")), item.get("value")))
    return [(str(k), _unwrap(v)) for k, v in pairs]


class NoSecretLiteralsInTerraformEnvironment(BaseResourceCheck):
    def __init__(self) -> None:
        super().__init__(
            name="Ensure no credential is written literally in a resource's environment variables",
            id="CKV_SC_8",
            categories=(CheckCategories.SECRETS,),
            supported_resources=("*",),
        )

    def scan_resource_conf(self, conf: dict[str, Any]) -> CheckResult:
        pairs = _env_pairs(conf)
        if not pairs:
            return CheckResult.UNKNOWN
        if any(is_secret_literal(name, value) for name, value in pairs):
            return CheckResult.FAILED
        return CheckResult.PASSED


check = NoSecretLiteralsInTerraformEnvironment()
