"""CKV_SC_7: no credential is written literally in an environment block of a YAML file.

Covers compose ``environment:`` (map or list), Kubernetes ``env: [{name, value}]`` and GitHub Actions
``env:``. Seeds: Chimera "No secrets in code or configuration files"; Monte Carlo "Never in Code:
API_KEY = "abc123""; AI platform "Store API keys, DB credentials ... in AWS Secrets Manager".
A value is a reference, not a literal, when it is ``${VAR}``, ``${{ secrets.X }}`` or ``valueFrom``.
"""

from __future__ import annotations

from typing import Any

from stackcheck_params import is_secret_literal

from checkov.common.models.enums import CheckCategories, CheckResult
from checkov.github_actions.checks.base_github_action_check import BaseGithubActionsCheck
from checkov.yaml_doc.base_yaml_check import BaseYamlCheck
from checkov.yaml_doc.enums import BlockType

ENV_KEYS = {"environment", "env"}


def _pairs(block: Any, parent: dict[str, Any]) -> list[tuple[str, Any, Any]]:
    """(name, value, node for line numbers) of an environment block in any of its YAML shapes.

    checkov's YAML loader gives line numbers to mappings only: a ``- NAME=value`` list item is located by
    the mapping that holds the ``environment:`` key (the service), never by line 1 of the file.
    """
    out: list[tuple[str, Any, Any]] = []
    if isinstance(block, dict):
        out += [(str(k), v, block) for k, v in block.items() if not str(k).startswith("__")]
    elif isinstance(block, list):
        for item in block:
            if isinstance(item, dict) and "name" in item:
                out.append((str(item["name"]), item.get("value"), item))
            elif isinstance(item, str) and "=" in item:
                name, _, value = item.partition("=")
                out.append((name, value, parent))
    return out


def _find(node: Any, hits: list[Any]) -> None:
    if isinstance(node, dict):
        for key, value in node.items():
            if key in ENV_KEYS:
                hits += [where for name, val, where in _pairs(value, node) if is_secret_literal(name, val)]
            _find(value, hits)
    elif isinstance(node, list):
        for item in node:
            _find(item, hits)


class NoSecretLiteralsInYamlEnvironment(BaseYamlCheck):
    def __init__(self) -> None:
        super().__init__(
            name="Ensure no credential is written literally in an environment block",
            id="CKV_SC_7",
            categories=(CheckCategories.SECRETS,),
            supported_entities=("*",),
            block_type=BlockType.DOCUMENT,
        )

    def scan_entity_conf(self, conf: Any, entity_type: str) -> tuple[CheckResult, Any]:  # type: ignore[override]
        hits: list[Any] = []
        _find(conf, hits)
        if hits:
            return CheckResult.FAILED, hits[0] if isinstance(hits[0], dict) else conf
        return CheckResult.PASSED, conf


class NoSecretLiteralsInWorkflowEnvironment(BaseGithubActionsCheck):
    """The same policy for GitHub Actions workflows (checkov's yaml runner does not read .github/)."""

    def __init__(self) -> None:
        super().__init__(
            name="Ensure no credential is written literally in an environment block",
            id="CKV_SC_7",
            supported_entities=("*",),
            block_type=BlockType.DOCUMENT,
        )

    def scan_conf(self, conf: Any) -> tuple[CheckResult, Any]:  # type: ignore[override]
        hits: list[Any] = []
        _find(conf, hits)
        if hits:
            return CheckResult.FAILED, hits[0] if isinstance(hits[0], dict) else conf
        return CheckResult.PASSED, conf


check = NoSecretLiteralsInYamlEnvironment()
workflow_check = NoSecretLiteralsInWorkflowEnvironment()
