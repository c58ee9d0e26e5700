"""Everything a run takes from outside its profile: read once, by the CLI or the plugin, and handed down.

Nothing below the CLI and the plugin reads ``os.environ``: they build one :class:`Settings` from their
options and the environment and pass it on (the suites get it as the ``settings`` fixture). The environment
snapshot is kept for what genuinely comes from it: ``${VAR}`` references in profiles, canary values, and the
environment of child processes. Every setting, its variable and its option are listed in
``docs/settings.md``.

The ``verify`` options are declared once, in :data:`VERIFY_OPTIONS`; the CLI adds them to argparse and the
plugin to pytest's parser with :func:`add_options`, so both spell them, default them and explain them alike.
"""

from __future__ import annotations

import ipaddress
import os
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import urlsplit

from stackcheck._exceptions import UsageError

if TYPE_CHECKING:
    from stackcheck.profile.models import Profile

__all__ = [
    "ENV_POSTGRES_IMAGE",
    "ENV_REDIS_IMAGE",
    "ENV_TOOLS_DIR",
    "FRAMEWORK_OPTION",
    "HISTORY_OPTION",
    "INFRA_CHOICES",
    "VERIFY_OPTIONS",
    "InfraChoice",
    "OptionSpec",
    "Settings",
    "add_option",
    "add_options",
    "add_set_option",
    "resolve_target",
]

InfraChoice = Literal["auto", "docker", "local", "external"]
INFRA_CHOICES: tuple[InfraChoice, ...] = ("auto", "docker", "local", "external")

ENV_POSTGRES_IMAGE = "STACKCHECK_POSTGRES_IMAGE"
ENV_REDIS_IMAGE = "STACKCHECK_REDIS_IMAGE"
ENV_TOOLS_DIR = "STACKCHECK_TOOLS_DIR"


def _default_tools_dir(environ: Mapping[str, str]) -> Path:
    cache = environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(cache) / "stackcheck" / "tools"


@dataclass(frozen=True)
class Settings:
    """The run's settings: the options that shape a run, and what the environment provides."""

    environ: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    tools_dir: Path = field(default_factory=lambda: _default_tools_dir({}))
    postgres_image: str | None = None
    redis_image: str | None = None
    infra: InfraChoice = "auto"
    allow_remote: bool = False
    allow_destructive: bool = False  # --allow-destructive: drills may act on a profile-marked drill target
    target: str | None = None  # the --target option; resolve_target() adds the profile's target.base_url
    frameworks: tuple[str, ...] = ()  # --framework: the control frameworks a report shows (empty: default)

    @classmethod
    def from_environ(
        cls,
        environ: Mapping[str, str] | None = None,
        *,
        infra: str = "auto",
        allow_remote: bool = False,
        target: str | None = None,
        frameworks: Sequence[str] = (),
        allow_destructive: bool = False,
    ) -> Settings:
        """Read the settings from ``environ`` (default: this process's environment), once.

        ``infra``, ``allow_remote``, ``target`` and ``frameworks`` are the ``--infra``, ``--allow-remote``,
        ``--target`` and ``--framework`` options (an unknown framework is a usage error here, before any
        check runs); ``allow_destructive`` is ``--allow-destructive``.
        """
        from stackcheck.controls import check_frameworks  # the catalog is read only when asked (no cycle)

        env = dict(os.environ if environ is None else environ)
        explicit = env.get(ENV_TOOLS_DIR)
        return cls(
            environ=MappingProxyType(env),
            tools_dir=Path(explicit).expanduser() if explicit else _default_tools_dir(env),
            postgres_image=env.get(ENV_POSTGRES_IMAGE) or None,
            redis_image=env.get(ENV_REDIS_IMAGE) or None,
            infra=_infra(infra),
            allow_remote=allow_remote,
            allow_destructive=allow_destructive,
            target=target or None,
            frameworks=check_frameworks(frameworks),
        )

    def tool_override(self, tool: str) -> Path | None:
        """``$STACKCHECK_<TOOL>``: an explicit path to a scanner's executable, if set."""
        value = self.environ.get("STACKCHECK_" + tool.upper().replace("-", "_"))
        return Path(value).expanduser() if value else None


def _infra(value: str) -> InfraChoice:
    for choice in INFRA_CHOICES:
        if value == choice:
            return choice
    raise UsageError(f"unknown --infra {value!r}", f"choose {', '.join(INFRA_CHOICES)}")


_HOST = re.compile(
    r"^(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\.?$"
)


def _shown(url: str) -> str:
    """``url`` for an error line: credentials masked by the one redaction layer, the text shortened."""
    from stackcheck.redact import redact_url  # the layer every artifact uses; imported late (no cycle)

    masked = redact_url(url)
    return masked if len(masked) <= 200 else masked[:200] + "..."


def check_url(url: str, key: str) -> str:
    """``url`` if it is a usable http(s) URL (scheme, host name or IP, port 1-65535); else a usage error
    naming ``key`` (``--target``, ``target.base_url``)."""
    example = "e.g. http://127.0.0.1:8080"
    try:
        parts = urlsplit(url)
        port = parts.port
        host = parts.hostname
    except ValueError as exc:
        raise UsageError(f"{key} {_shown(url)!r} is not a valid URL ({exc})", example) from None
    if parts.scheme not in ("http", "https") or not host:
        raise UsageError(f"{key} {_shown(url)!r} is not an http(s) URL", example)
    if port == 0:
        raise UsageError(f"{key} {_shown(url)!r}: port 0 is not a port to connect to", example)
    try:
        ipaddress.ip_address(host)
    except ValueError:
        if not _HOST.match(host):
            raise UsageError(
                f"{key} {_shown(url)!r}: {host!r} is not a host name or IP address", example
            ) from None
    return url


def resolve_target(option: str | None, profile: Profile) -> str | None:
    """The target URL of a run: ``--target``, else ``target.base_url``, else ``None``; checked by
    :func:`check_url` (a malformed URL or port is a usage error, exit 2).

    The one place the CLI's stages and the plugin resolve it (``service.command`` may still supply one later).
    """
    if option:
        return check_url(option, "--target")
    if profile.target and profile.target.base_url:
        return check_url(profile.target.base_url, "target.base_url")
    return None


@dataclass(frozen=True)
class OptionSpec:
    """One option shared by ``stackcheck verify`` (argparse) and the pytest plugin (pytest's parser)."""

    flag: str
    dest: str
    help: str
    metavar: str | None = None
    choices: tuple[str, ...] | None = None
    default: str | None = None
    repeatable: bool = False
    switch: bool = False

    def kwargs(self) -> dict[str, Any]:
        """Keyword arguments that ``ArgumentParser.add_argument`` and ``OptionGroup.addoption`` both take."""
        out: dict[str, Any] = {"dest": self.dest, "help": self.help}
        if self.switch:
            return {**out, "action": "store_true", "default": False}
        if self.repeatable:
            out.update(action="append", default=[])
        elif self.default is not None:
            out["default"] = self.default
        if self.metavar is not None:
            out["metavar"] = self.metavar
        if self.choices is not None:
            out["choices"] = self.choices
        return out


#: ``--framework``: on ``verify`` (through :data:`VERIFY_OPTIONS`, for the plugin too), ``scan`` and ``load``.
FRAMEWORK_OPTION = OptionSpec(
    "--framework",
    "framework",
    "show the controls of this framework in the report (repeatable; default: every framework a check "
    "that ran, not skipped, supports): soc2, asvs, cis-docker, pci-dss, gdpr, dpdp (policies/controls/)",
    metavar="NAME",
    repeatable=True,
)

#: ``--history`` (docs/history.md): on ``verify``, ``scan``, ``load`` and ``run``, not in the plugin.
HISTORY_OPTION = OptionSpec(
    "--history",
    "history",
    "after the report is written, compare it with the last run of the same profile recorded in this JSON "
    "Lines file, show what changed and the trend in the report, and append this run's record "
    "(docs/history.md)",
    metavar="PATH",
)

VERIFY_OPTIONS: tuple[OptionSpec, ...] = (
    OptionSpec("--profile", "profile", "profile YAML to verify against", metavar="FILE"),
    OptionSpec("--target", "target", "base URL of the service (overrides target.base_url)", metavar="URL"),
    OptionSpec(
        "--infra",
        "infra",
        "where Postgres/Redis come from (default: auto)",
        choices=INFRA_CHOICES,
        default="auto",
    ),
    OptionSpec(
        "--set",
        "stackcheck_set",
        "override one profile key for this run, e.g. --set health.max_latency_ms=50 (repeatable)",
        metavar="KEY=VALUE",
        repeatable=True,
    ),
    OptionSpec(
        "--report-dir",
        "report_dir",
        "where to write the report (default: reports/out/<profile>-<UTC time>)",
        metavar="DIR",
    ),
    OptionSpec(
        "--allow-remote",
        "allow_remote",
        "allow load and rate-limit probes against non-loopback targets (refused otherwise)",
        switch=True,
    ),
    OptionSpec(
        "--allow-destructive",
        "allow_destructive",
        "let drills act on the drill target the profile marks (backup.drill.target: write to it, run its "
        "destroy and restore commands); servers stackcheck starts need no flag",
        switch=True,
    ),
    FRAMEWORK_OPTION,
)


def add_set_option(add: Callable[..., object], example: str) -> None:
    """``--set KEY=VALUE`` of ``scan`` and ``load`` (dest ``overrides``; ``verify`` has its own in
    :data:`VERIFY_OPTIONS`): ``example`` is the help's ``e.g.`` part."""
    add(
        "--set",
        dest="overrides",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help=f"override one profile key for this run, e.g. {example} (repeatable)",
    )


def add_option(add: Callable[..., object], option: OptionSpec) -> None:
    """Declare one option with ``add`` under its CLI spelling (``stackcheck scan``/``load`` take
    :data:`FRAMEWORK_OPTION` like ``verify`` does)."""
    add(option.flag, **option.kwargs())


def add_options(
    add: Callable[..., object], *, required: frozenset[str] = frozenset(), prefixed: bool = False
) -> None:
    """Declare :data:`VERIFY_OPTIONS` with ``add`` (``parser.add_argument`` or ``group.addoption``).

    ``required`` names the dests that must be given (the CLI requires ``--profile``). ``prefixed`` is the
    pytest plugin's spelling: ``--stackcheck-profile`` with dest ``stackcheck_profile`` (pytest's option
    namespace is shared by every plugin installed; the CLI keeps ``--profile``).
    """
    for option in VERIFY_OPTIONS:
        extra = {"required": True} if option.dest in required else {}
        kwargs = option.kwargs()
        flag = option.flag
        if prefixed:
            flag, kwargs["dest"] = plugin_flag(option), plugin_dest(option)
        add(flag, **kwargs, **extra)


def plugin_flag(option: OptionSpec) -> str:
    """``--profile`` → ``--stackcheck-profile`` (``--stackcheck-x`` stays as it is)."""
    bare = option.flag.removeprefix("--").removeprefix("stackcheck-")
    return f"--stackcheck-{bare}"


def plugin_dest(option: OptionSpec) -> str:
    """``profile`` → ``stackcheck_profile`` (``stackcheck_set`` stays as it is)."""
    return f"stackcheck_{option.dest.removeprefix('stackcheck_')}"


def plugin_option(dest: str) -> str:
    """The pytest flag of a :data:`VERIFY_OPTIONS` dest: ``plugin_option("profile")`` is
    ``--stackcheck-profile``."""
    for option in VERIFY_OPTIONS:
        if option.dest == dest:
            return plugin_flag(option)
    raise KeyError(dest)
