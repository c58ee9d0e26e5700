"""Where load may be sent: loopback only, unless the user says ``--allow-remote``.

The rule is :mod:`stackcheck.probes.loopback`'s (one guard for every probe); this module words the refusal
for load.
"""

from __future__ import annotations

from stackcheck.probes.loopback import LOAD_REFUSAL, is_loopback_host
from stackcheck.probes.loopback import require_loopback as _require_loopback

__all__ = ["is_loopback_host", "require_loopback"]


def require_loopback(url: str, allow_remote: bool, what: str = "target") -> None:
    """Refuse (``UsageError``, exit 2) to send load to a non-loopback host unless ``allow_remote``."""
    _require_loopback(url, allow_remote, what, LOAD_REFUSAL)
