"""CKV_SC_24: the bucket the Terraform keeps its state in, when the Terraform defines it, is versioned.

Seed: the AI Community Platform "Store Terraform state in an S3 bucket with versioning enabled". The promise
is ``scan.build.state_bucket_versioned: true``. The state bucket is the one a ``terraform { backend "s3" {
bucket = "X" } }`` block names; the ``aws_s3_bucket`` with ``bucket = "X"`` must have versioning enabled:
an ``aws_s3_bucket_versioning`` for it (referencing ``aws_s3_bucket.<name>`` or naming ``X``) with status
``Enabled``, or the inline ``versioning { enabled = true }`` of provider v3. Other buckets, and a bucket
whose name is still a variable, are not judged (UNKNOWN); so when the state bucket lives outside this
Terraform (the usual bootstrap), nothing is judged and stackcheck reports the promise as not checked.
The backend block and the versioning resource are read from checkov's graph of the same folder.
"""

from __future__ import annotations

from typing import Any

from stackcheck_params import build_promise, first

from checkov.common.models.enums import CheckCategories, CheckResult
from checkov.terraform.checks.resource.base_resource_check import BaseResourceCheck


def backend_buckets(nodes: list[dict[str, Any]]) -> set[str]:
    """The buckets the ``backend "s3"`` blocks of the ``terraform`` blocks name."""
    names = set()
    for attrs in nodes:
        if attrs.get("block_type_") != "terraform":
            continue
        backend = attrs.get("backend")
        s3 = backend.get("s3") if isinstance(backend, dict) else None
        bucket = first(s3.get("bucket")) if isinstance(s3, dict) else None
        if isinstance(bucket, str) and bucket:
            names.add(bucket)
    return names


def versioned(conf: dict[str, Any], address: str, bucket: str, nodes: list[dict[str, Any]]) -> bool:
    """Whether the bucket ``address`` (named ``bucket``) has versioning enabled, inline or by resource."""
    inline = first(conf.get("versioning"))
    if isinstance(inline, dict) and first(inline.get("enabled")) is True:
        return True
    for attrs in nodes:
        if attrs.get("resource_type") != "aws_s3_bucket_versioning":
            continue
        target = first(attrs.get("bucket"))
        if not isinstance(target, str) or not (target == bucket or target.startswith(address + ".")):
            continue
        config = first(attrs.get("versioning_configuration"))
        if isinstance(config, dict) and first(config.get("status")) == "Enabled":
            return True
    return False


class StateBucketVersioned(BaseResourceCheck):
    def __init__(self) -> None:
        super().__init__(
            name="Ensure the S3 bucket holding the Terraform state has versioning enabled (when promised)",
            id="CKV_SC_24",
            categories=(CheckCategories.BACKUP_AND_RECOVERY,),
            supported_resources=("aws_s3_bucket",),
        )

    def scan_resource_conf(self, conf: dict[str, Any]) -> CheckResult:
        if build_promise("state_bucket_versioned") is not True or self.graph is None:
            return CheckResult.UNKNOWN
        nodes = [attrs for _, attrs in self.graph.nodes()]
        bucket = first(conf.get("bucket"))
        if not isinstance(bucket, str) or bucket not in backend_buckets(nodes):
            return CheckResult.UNKNOWN  # not the state bucket (or its name is not known here)
        address = str(conf.get("__address__") or f"aws_s3_bucket.{self.entity_path.rsplit(':', 1)[-1]}")
        return CheckResult.PASSED if versioned(conf, address, bucket, nodes) else CheckResult.FAILED

    def get_evaluated_keys(self) -> list[str]:
        return ["bucket", "versioning"]


check = StateBucketVersioned()
