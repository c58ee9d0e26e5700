"""CKV_SC_20 / CKV_SC_21: the repository's CI workflow runs the steps the ADR promises, with its coverage bar.

Seeds: Monte Carlo "Lint (flake8/black) · Type check (mypy) · Security scan (bandit) · pytest · Coverage >
80%"; Djinn "go test -v -race", "uses: securego/gosec@master", "sqlc generate / git diff --exit-code". The
promises are ``scan.build.ci_runs`` (command phrases: each must be run by some step of the workflow — a
``run:`` line holding the phrase's words in order, or a ``uses:`` action whose name holds its first word,
``gosec`` → ``securego/gosec@master``) and ``scan.build.ci_coverage_min`` (some step fails the build below
that coverage: ``--cov-fail-under=N``, ``coverage report --fail-under=N``; ``go tool cover`` is no bar).
Each workflow file is judged as a whole (its ``jobs``): one that runs none of the promised commands (a
deploy or release workflow), or measures no coverage, is not judged; one that runs some of them must run
all, so the promised steps are expected in one workflow. Without the promises the policies say nothing.
"""

from __future__ import annotations

import re
from typing import Any

from stackcheck_params import build_promise

from checkov.common.models.enums import CheckResult
from checkov.github_actions.checks.base_github_action_check import BaseGithubActionsCheck
from checkov.yaml_doc.enums import BlockType

_BAR = re.compile(r"--(?:cov-)?fail-under[= ](\d+(?:\.\d+)?)")


def steps(jobs: dict[str, Any]) -> list[dict[str, Any]]:
    """Every step of every job."""
    found = []
    for job in jobs.values():
        if isinstance(job, dict):
            found += [s for s in job.get("steps") or [] if isinstance(s, dict)]
    return found


def _run_lines(step: dict[str, Any]) -> list[list[str]]:
    return [line.split() for line in str(step.get("run") or "").splitlines()]


def _in_order(words: list[str], line: list[str]) -> bool:
    at = 0
    for token in line:
        if at < len(words) and (token == words[at] or (at == 0 and token.endswith("/" + words[0]))):
            at += 1
    return at == len(words)


def runs(phrase: str, all_steps: list[dict[str, Any]]) -> bool:
    """Whether some step runs ``phrase`` (``go test -race``; ``gosec``)."""
    words = phrase.split()
    for step in all_steps:
        uses = str(step.get("uses") or "").split("@", 1)[0].lower()
        if uses and words and words[0].lower() in uses.rsplit("/", 1)[-1]:
            return True
        if any(_in_order(words, line) for line in _run_lines(step)):
            return True
    return False


_COVERAGE = re.compile(r"(--cov\b|--cov=|coverage run|-coverprofile|--coverage)")


def measures_coverage(all_steps: list[dict[str, Any]]) -> bool:
    """Whether some step runs tests with coverage (whether or not it sets a bar)."""
    return any(_COVERAGE.search(str(s.get("run") or "")) for s in all_steps)


def coverage_bar(all_steps: list[dict[str, Any]]) -> float | None:
    """The highest coverage bar a step enforces, or None."""
    bars = [float(m) for s in all_steps for m in _BAR.findall(str(s.get("run") or ""))]
    return max(bars) if bars else None


class WorkflowRuns(BaseGithubActionsCheck):
    def __init__(self) -> None:
        super().__init__(
            name="Ensure the CI workflow runs every step the profile promises (when promised)",
            id="CKV_SC_20",
            block_type=BlockType.OBJECT,
            supported_entities=("jobs",),
        )

    def scan_conf(self, conf: dict[str, Any]) -> tuple[CheckResult, dict[str, Any]]:
        promised = build_promise("ci_runs")
        if not isinstance(conf, dict) or not isinstance(promised, list):
            return CheckResult.UNKNOWN, conf
        all_steps = steps(conf)
        ran = [p for p in promised if runs(str(p), all_steps)]
        if not ran:  # a workflow that runs none of them (deploy, release) is not the one promised
            return CheckResult.UNKNOWN, conf
        return (CheckResult.PASSED if len(ran) == len(promised) else CheckResult.FAILED), conf


class WorkflowCoverage(BaseGithubActionsCheck):
    def __init__(self) -> None:
        super().__init__(
            name="Ensure the CI workflow fails below the promised test coverage (when promised)",
            id="CKV_SC_21",
            block_type=BlockType.OBJECT,
            supported_entities=("jobs",),
        )

    def scan_conf(self, conf: dict[str, Any]) -> tuple[CheckResult, dict[str, Any]]:
        promised = build_promise("ci_coverage_min")
        if not isinstance(conf, dict) or not isinstance(promised, (int, float)):
            return CheckResult.UNKNOWN, conf
        all_steps = steps(conf)
        bar = coverage_bar(all_steps)
        if bar is None and not measures_coverage(all_steps):
            return CheckResult.UNKNOWN, conf  # a workflow that runs no tests with coverage is not judged
        return (CheckResult.PASSED if bar is not None and bar >= promised else CheckResult.FAILED), conf


workflow_runs = WorkflowRuns()
workflow_coverage = WorkflowCoverage()
