"""CKV_SC_13: the final stage is built on the base image the profile promises (``scan.build.base_image``).

Seeds: Djinn "FROM scratch" (final stage); Monte Carlo "Base: python:3.12-slim (security-hardened)",
"FROM python:3.12-slim # Not python:3.12 (full)". ``FROM <stage>`` is followed to the image it names. A
patch of the promised line (``python:3.12.8-slim``) and a digest pin (``@sha256:...``) match;
``python:3.12``, ``python:3.11-slim`` or ``python:latest`` do not. An image given as ``$ARG`` cannot be
judged (UNKNOWN). Without the promise the policy says nothing.
"""

from __future__ import annotations

import re
from typing import Any

from stackcheck_params import build_promise
from stackcheck_stages import final_base_image

from checkov.common.models.enums import CheckCategories, CheckResult
from checkov.dockerfile.base_dockerfile_check import BaseDockerfileCheck

VERSION = re.compile(r"^(\d+(?:\.\d+)*)(.*)$")


def _split(image: str) -> tuple[str, str]:
    """``docker.io/library/python:3.12-slim@sha256:..`` → (``python``, ``3.12-slim``)."""
    ref = image.split("@", 1)[0].lower()
    name, _, tag = ref.rpartition(":") if ":" in ref.rsplit("/", 1)[-1] else (ref, "", "")
    for prefix in ("docker.io/", "index.docker.io/", "library/"):
        name = name.removeprefix(prefix)
    return name, tag


def matches(actual: str, promised: str) -> bool:
    """Whether image ``actual`` is the promised one or a patch release of the same line."""
    (name, tag), (want_name, want_tag) = _split(actual), _split(promised)
    if name != want_name:
        return False
    if not want_tag or tag == want_tag:
        return True
    have, want = VERSION.match(tag), VERSION.match(want_tag)
    if not have or not want or have.group(2) != want.group(2):
        return False
    return have.group(1).startswith(want.group(1) + ".")


class FinalStageBaseImage(BaseDockerfileCheck):
    def __init__(self) -> None:
        super().__init__(
            name="Ensure the final image stage is built on the base image the profile promises",
            id="CKV_SC_13",
            categories=(CheckCategories.SUPPLY_CHAIN,),
            supported_instructions=("*",),
        )

    def scan_resource_conf(self, conf: dict[str, list[Any]]) -> tuple[CheckResult, list[Any] | None]:  # type: ignore[override]
        promised = build_promise("base_image")
        image, line = final_base_image(conf)
        if promised is None or line is None:
            return CheckResult.UNKNOWN, None
        if "$" in image:
            return CheckResult.UNKNOWN, [line]
        return (CheckResult.PASSED if matches(image, promised) else CheckResult.FAILED), [line]


check = FinalStageBaseImage()
