"""CKV_SC_14: the build sets the environment variables the profile promises (``scan.build.build_env``).

Seed: Djinn "RUN CGO_ENABLED=0 GOOS=linux go build ..." (a static binary, which the ``FROM scratch`` final
stage needs). Set by ``ENV NAME=value``, ``ARG NAME=value`` or ``NAME=value`` on a RUN line, in any stage.
A variable never set, or set to another value anywhere, fails (at that line, else the first FROM).
Without the promise the policy says nothing.
"""

from __future__ import annotations

import re
import shlex
from typing import Any

from stackcheck_params import build_promise

from checkov.common.models.enums import CheckCategories, CheckResult
from checkov.dockerfile.base_dockerfile_check import BaseDockerfileCheck


def _assignments(item: Any, kind: str) -> list[tuple[str, str]]:
    """(name, value) pairs an ENV, ARG or RUN instruction sets."""
    text = str(item["value"])
    try:
        words = shlex.split(text, posix=True)
    except ValueError:
        words = text.split()
    if kind == "ENV" and len(words) >= 2 and "=" not in words[0]:
        return [(words[0], " ".join(words[1:]))]  # legacy form: ENV NAME value
    if kind == "RUN":
        words = [w for part in words for w in re.split(r"(?:&&|;|\|\|)", part) if w]
    pairs = []
    for word in words:
        name, sep, value = word.partition("=")
        if sep and re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
            pairs.append((name, value))
    return pairs


class BuildSetsPromisedEnvironment(BaseDockerfileCheck):
    def __init__(self) -> None:
        super().__init__(
            name="Ensure the build sets the environment variables the profile promises (e.g. CGO_ENABLED=0)",
            id="CKV_SC_14",
            categories=(CheckCategories.SUPPLY_CHAIN,),
            supported_instructions=("*",),
        )

    def scan_resource_conf(self, conf: dict[str, list[Any]]) -> tuple[CheckResult, list[Any] | None]:  # type: ignore[override]
        promised = build_promise("build_env")
        froms = sorted(conf.get("FROM", []), key=lambda i: i["startline"])
        if promised is None or not froms:
            return CheckResult.UNKNOWN, None
        items = sorted(
            ((kind, i) for kind in ("ENV", "ARG", "RUN") for i in conf.get(kind, [])),
            key=lambda pair: pair[1]["startline"],
        )
        found: dict[str, Any] = {}
        for kind, item in items:
            for name, value in _assignments(item, kind):
                if name in promised and value != str(promised[name]):
                    return CheckResult.FAILED, [item]
                if name in promised:
                    found.setdefault(name, item)
        if set(promised) - set(found):
            return CheckResult.FAILED, [froms[0]]
        return CheckResult.PASSED, [next(iter(found.values()))]


check = BuildSetsPromisedEnvironment()
