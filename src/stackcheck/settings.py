"""Everything a run takes from outside its profile: read once, by the CLI or the plugin, and handed down.

Nothing below the CLI and the plugin reads ``os.environ``: they build one :class:`Settings` and pass it on
(the suites get it as the ``settings`` fixture). The environment snapshot is kept for what genuinely
comes from it: ``${VAR}`` references in profiles, canary values, and the environment of child processes.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType

__all__ = ["Settings"]


def _default_tools_dir(environ: Mapping[str, str]) -> Path:
    cache = environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(cache) / "stackcheck" / "tools"


@dataclass(frozen=True)
class Settings:
    """The run's settings from the environment (and the options that override them)."""

    environ: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    tools_dir: Path = field(default_factory=lambda: _default_tools_dir({}))
    postgres_image: str | None = None
    redis_image: str | None = None

    @classmethod
    def from_environ(cls, environ: Mapping[str, str] | None = None) -> Settings:
        """Read the settings from ``environ`` (default: this process's environment), once."""
        env = dict(os.environ if environ is None else environ)
        explicit = env.get("STACKCHECK_TOOLS_DIR")
        return cls(
            environ=MappingProxyType(env),
            tools_dir=Path(explicit).expanduser() if explicit else _default_tools_dir(env),
            postgres_image=env.get("STACKCHECK_POSTGRES_IMAGE") or None,
            redis_image=env.get("STACKCHECK_REDIS_IMAGE") or None,
        )

    def tool_override(self, tool: str) -> Path | None:
        """``$STACKCHECK_<TOOL>``: an explicit path to a scanner's executable, if set."""
        value = self.environ.get("STACKCHECK_" + tool.upper().replace("-", "_"))
        return Path(value).expanduser() if value else None
