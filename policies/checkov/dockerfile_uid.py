"""CKV_SC_15: the final stage's USER runs as the numeric UID the profile promises (``scan.build.uid``).

Seed: Monte Carlo "User: appuser (UID 1000, non-root)", "RUN useradd -m -u 1000 appuser". ``USER 1000`` or
``USER 1000:1000`` states the UID; ``USER appuser`` is resolved through the ``useradd``/``adduser`` line that
creates ``appuser`` in this Dockerfile (``-u``/``--uid``): created without a UID, the UID is the system's
choice and the claim fails. A user the base image defines, and a Dockerfile with no USER at all (CKV_DOCKER_3
and CKV_SC_1 report that), cannot be judged here: UNKNOWN. Without the promise the policy says nothing.
"""

from __future__ import annotations

import re
import shlex
from typing import Any

from stackcheck_params import build_promise
from stackcheck_stages import final_stage_instruction

from checkov.common.models.enums import CheckCategories, CheckResult
from checkov.dockerfile.base_dockerfile_check import BaseDockerfileCheck

CREATE = {"useradd", "adduser"}


def created_uid(conf: dict[str, list[Any]], user: str) -> tuple[bool, int | None]:
    """(whether a RUN in this Dockerfile creates ``user``; the UID it gives, or None)."""
    created, uid = False, None
    for item in sorted(conf.get("RUN", []), key=lambda i: i["startline"]):
        for segment in re.split(r"&&|;|\|\||\n", str(item["value"])):
            try:
                words = shlex.split(segment)
            except ValueError:
                words = segment.split()
            if not words or not CREATE & {w.rsplit("/", 1)[-1] for w in words[:2]} or user not in words:
                continue
            created = True
            for i, word in enumerate(words):
                if word in ("-u", "--uid") and i + 1 < len(words) and words[i + 1].isdigit():
                    uid = int(words[i + 1])
                elif word.startswith("--uid=") and word[6:].isdigit():
                    uid = int(word[6:])
    return created, uid


class FinalStageRunsAsPromisedUid(BaseDockerfileCheck):
    def __init__(self) -> None:
        super().__init__(
            name="Ensure the final image stage's USER runs as the UID the profile promises",
            id="CKV_SC_15",
            categories=(CheckCategories.IAM,),
            supported_instructions=("*",),
        )

    def scan_resource_conf(self, conf: dict[str, list[Any]]) -> tuple[CheckResult, list[Any] | None]:  # type: ignore[override]
        promised = build_promise("uid")
        user, _ = final_stage_instruction(conf, "USER")
        if promised is None or user is None:
            return CheckResult.UNKNOWN, None
        name = str(user["value"]).strip().split(":", 1)[0]
        if name.isdigit():
            return (CheckResult.PASSED if int(name) == promised else CheckResult.FAILED), [user]
        if "$" in name:
            return CheckResult.UNKNOWN, [user]
        created, uid = created_uid(conf, name)
        if not created:
            return CheckResult.UNKNOWN, [user]  # defined by the base image: not visible here
        return (CheckResult.PASSED if uid == promised else CheckResult.FAILED), [user]


check = FinalStageRunsAsPromisedUid()
