"""CKV_SC_11: the final stage EXPOSEs exactly the ports the profile promises (``scan.build.expose``).

Seeds: Chimera and Djinn ``EXPOSE 8080``; Monte Carlo "Ports: 8501 (Streamlit)", "Expose only necessary
ports". A promised port missing, or one more exposed, fails; a port written as a ``$VARIABLE`` cannot be
judged (UNKNOWN). CKV_DOCKER_1 only rejects port 22. Without the promise the policy says nothing.
"""

from __future__ import annotations

import re
from typing import Any

from stackcheck_params import build_promise
from stackcheck_stages import final_chain, final_from, in_stage

from checkov.common.models.enums import CheckCategories, CheckResult
from checkov.dockerfile.base_dockerfile_check import BaseDockerfileCheck

PORT = re.compile(r"^(\d+)(?:-(\d+))?(?:/(tcp|udp|sctp))?$", re.I)


class ExposesPromisedPorts(BaseDockerfileCheck):
    def __init__(self) -> None:
        super().__init__(
            name="Ensure the final image stage EXPOSEs exactly the ports the profile promises",
            id="CKV_SC_11",
            categories=(CheckCategories.NETWORKING,),
            supported_instructions=("*",),
        )

    def scan_resource_conf(self, conf: dict[str, list[Any]]) -> tuple[CheckResult, list[Any] | None]:  # type: ignore[override]
        promised = build_promise("expose")
        last = final_from(conf)
        if promised is None or last is None:
            return CheckResult.UNKNOWN, None
        exposes = [e for index in final_chain(conf) for e in in_stage(conf, "EXPOSE", index)]
        seen: set[int] = set()
        for item in exposes:
            for word in str(item["value"]).split():
                match = PORT.match(word)
                if match is None:
                    return CheckResult.UNKNOWN, [item]  # ${PORT}: not known before build
                low, high = int(match.group(1)), int(match.group(2) or match.group(1))
                ports = set(range(low, min(high, low + 1024) + 1))
                if ports - set(promised):
                    return CheckResult.FAILED, [item]
                seen |= ports
        if set(promised) - seen:
            return CheckResult.FAILED, [exposes[-1] if exposes else last]
        return CheckResult.PASSED, exposes[-1:]


check = ExposesPromisedPorts()
