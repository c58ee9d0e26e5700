"""CKV_SC_5: every region a Terraform provider or resource names is in the profile's allowed list.

Seed: Chimera "Data Residency: Primary: ap-south-1 (Mumbai) ... User data: Keep within India/APAC" (DPDP).
The allowed list is the profile's ``scan.allowed_regions``; without it (or run directly with checkov) any
region passes. A region that is still an unresolved variable cannot be judged: the result is UNKNOWN.
"""

from __future__ import annotations

from typing import Any

from stackcheck_params import params

from checkov.common.models.enums import CheckCategories, CheckResult
from checkov.terraform.checks.provider.base_check import BaseProviderCheck
from checkov.terraform.checks.resource.base_resource_check import BaseResourceCheck

NAME = "Ensure every Terraform region is in the profile's allowed list (data residency)"
REGION_KEYS = ("region", "location")


def _judge(conf: dict[str, Any]) -> CheckResult:
    allowed = params()["allowed_regions"]
    verdict = CheckResult.PASSED
    for key in REGION_KEYS:
        raw = conf.get(key)
        value = raw[0] if isinstance(raw, list) and raw else raw
        if not isinstance(value, str) or not allowed:
            continue
        if "${" in value or value.startswith(("var.", "local.")):
            verdict = CheckResult.UNKNOWN
        elif value not in allowed:
            return CheckResult.FAILED
    return verdict


class ResourceRegionAllowed(BaseResourceCheck):
    def __init__(self) -> None:
        super().__init__(
            name=NAME,
            id="CKV_SC_5",
            categories=(CheckCategories.GENERAL_SECURITY,),
            supported_resources=("*",),
        )

    def scan_resource_conf(self, conf: dict[str, Any]) -> CheckResult:
        return _judge(conf)

    def get_evaluated_keys(self) -> list[str]:
        return list(REGION_KEYS)


class ProviderRegionAllowed(BaseProviderCheck):
    def __init__(self) -> None:
        super().__init__(
            name=NAME,
            id="CKV_SC_5",
            categories=(CheckCategories.GENERAL_SECURITY,),
            supported_provider=("aws", "google", "azurerm", "neon"),
        )

    def scan_provider_conf(self, conf: dict[str, Any]) -> CheckResult:
        return _judge(conf)


resource_check = ResourceRegionAllowed()
provider_check = ProviderRegionAllowed()
