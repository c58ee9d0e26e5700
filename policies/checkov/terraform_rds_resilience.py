"""CKV_SC_22: the database the Terraform defines is deployed across zones and keeps its backups as promised.

Seed: the AI Community Platform "Database: RDS automated daily snapshots, 7-day retention. PITR enabled" and
"Multi-AZ / Multi-Region: Deploy critical services across multiple Availability Zones". The promise is
``scan.build.rds`` (``multi_az``, ``backup_retention_days``; a key left out is not judged): each
``aws_db_instance`` must set ``multi_az = true`` and ``backup_retention_period`` at least the promised days
(which also turns PITR on), each ``aws_rds_cluster`` the retention (a cluster spans zones by design). A
value that is still a variable cannot be judged (UNKNOWN). Without the promise the policy says nothing.
"""

from __future__ import annotations

from typing import Any

from stackcheck_params import build_promise, first, unresolved

from checkov.common.models.enums import CheckCategories, CheckResult
from checkov.terraform.checks.resource.base_resource_check import BaseResourceCheck


class RdsResilience(BaseResourceCheck):
    def __init__(self) -> None:
        super().__init__(
            name="Ensure the RDS database spans zones and keeps the promised backups (when promised)",
            id="CKV_SC_22",
            categories=(CheckCategories.BACKUP_AND_RECOVERY,),
            supported_resources=("aws_db_instance", "aws_rds_cluster"),
        )

    def scan_resource_conf(self, conf: dict[str, Any]) -> CheckResult:
        promise = build_promise("rds")
        if not isinstance(promise, dict):
            return CheckResult.UNKNOWN
        verdict = CheckResult.PASSED
        if promise.get("multi_az") and self.entity_type == "aws_db_instance":
            multi_az = first(conf.get("multi_az"))
            if unresolved(multi_az):
                verdict = CheckResult.UNKNOWN
            elif multi_az is not True:
                return CheckResult.FAILED
        days = promise.get("backup_retention_days")
        if days is not None:
            retention = first(conf.get("backup_retention_period"))
            if unresolved(retention):
                verdict = CheckResult.UNKNOWN
            elif not isinstance(retention, (int, float)) or retention < days:
                return CheckResult.FAILED
        return verdict

    def get_evaluated_keys(self) -> list[str]:
        return ["multi_az", "backup_retention_period"]


check = RdsResilience()
