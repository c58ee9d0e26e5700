"""Where a scanner's executable comes from: locate it, or install it into stackcheck's own tool cache.

Each scanner lives apart from stackcheck's own environment: checkov pins ``packaging<24`` and would break
pytest, so every Python scanner gets its own venv under the tool cache (:attr:`Settings.tools_dir
<stackcheck.settings.Settings.tools_dir>`, default ``~/.cache/stackcheck/tools``); Go scanners are built from
a module pinned with a ``go.sum`` under ``tools/<name>/``. Lookup order for each tool: ``$STACKCHECK_<TOOL>``
(a path to the executable), the tool cache, then ``PATH``.

The command line over every registered scanner is :mod:`stackcheck.scan.tools`.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from stackcheck._exceptions import CouldNotCheck, ErrorReason
from stackcheck.resources import data_path
from stackcheck.settings import Settings

__all__ = ["ToolSpec", "cached_path", "install", "is_pinned", "locate"]

GO_FALLBACK = Path("/usr/local/go/bin/go")


@dataclass(frozen=True)
class ToolSpec:
    """One external program: how to find it and how to install it."""

    name: str
    executable: str
    version: str
    pip: tuple[str, ...] = ()  # a venv of its own with these requirements
    go_package: str | None = None  # built with `go build` from tools/<name>/ (or `go install`)
    go_version_var: str | None = None  # set to `version` at link time (what `TOOL --version` prints)
    go_experiments: tuple[str, ...] = ()  # GOEXPERIMENT switches the build needs
    scanner: bool = True  # `stackcheck scan --install-tools` installs it too (the drills' tools: no)

    @property
    def env_var(self) -> str:
        """``STACKCHECK_CHECKOV``: an explicit path to the executable."""
        return "STACKCHECK_" + self.name.upper().replace("-", "_")

    @property
    def hint(self) -> str:
        """What a user runs to get the tool."""
        also = " (or `stackcheck scan --install-tools ...`)" if self.scanner else ""
        return (
            f"install it with `python -m stackcheck.scan.tools install {self.name}`{also}, "
            f"or point ${self.env_var} at an executable"
        )


def cached_path(spec: ToolSpec, root: Path) -> Path:
    """Where the tool cache ``root`` keeps ``spec``'s executable."""
    if spec.go_package:
        return root / "bin" / spec.executable
    return root / spec.name / "bin" / spec.executable


def _executable(path: Path) -> bool:
    return path.is_file() and os.access(path, os.X_OK)


def locate(spec: ToolSpec, settings: Settings) -> Path:
    """The executable of ``spec``; :class:`CouldNotCheck` with the install hint when there is none."""
    explicit = settings.tool_override(spec.name)
    if explicit is not None:
        if _executable(explicit):
            return explicit
        raise CouldNotCheck(
            f"${spec.env_var}={explicit} is not an executable file", reason=ErrorReason.TOOL_MISSING
        )
    cached = cached_path(spec, settings.tools_dir)
    if _executable(cached):
        return cached
    found = shutil.which(spec.executable, path=settings.environ.get("PATH"))
    if found:
        return Path(found)
    raise CouldNotCheck(
        f"{spec.name} {spec.version} is not installed: {spec.hint}", reason=ErrorReason.TOOL_MISSING
    )


def is_pinned(executable: Path, settings: Settings) -> bool:
    """Whether ``executable`` is the tool cache's copy (whose version stackcheck knows)."""
    return executable.resolve().is_relative_to(settings.tools_dir.resolve())


def _stamp(root: Path, spec: ToolSpec) -> Path:
    return root / f".{spec.name}.installed"


def install(spec: ToolSpec, settings: Settings, *, quiet: bool = True) -> Path:
    """Install ``spec`` into the tool cache unless the stamped version is already there; return its path."""
    root = settings.tools_dir
    root.mkdir(parents=True, exist_ok=True)
    target = cached_path(spec, root)
    stamp = _stamp(root, spec)
    if target.is_file() and stamp.is_file() and stamp.read_text().strip() == spec.version:
        return target
    env = dict(settings.environ)
    if spec.pip:
        venv = root / spec.name
        subprocess.run([sys.executable, "-m", "venv", "--clear", str(venv)], check=True, env=env)
        pip = [str(venv / "bin" / "python"), "-m", "pip", "install", "--disable-pip-version-check"]
        subprocess.run([*pip, *(["--quiet"] if quiet else []), *spec.pip], check=True, env=env)
    elif spec.go_package:
        _build_go_tool(spec, target, env)
    stamp.write_text(spec.version + "\n")
    return target


def _build_go_tool(spec: ToolSpec, target: Path, env: dict[str, str]) -> None:
    assert spec.go_package is not None
    if spec.go_experiments:
        env["GOEXPERIMENT"] = ",".join(filter(None, [env.get("GOEXPERIMENT"), *spec.go_experiments]))
    go = shutil.which("go", path=env.get("PATH")) or str(GO_FALLBACK)
    if not Path(go).exists():
        raise CouldNotCheck(
            f"building {spec.name} needs Go on PATH (or {GO_FALLBACK})", reason=ErrorReason.TOOL_MISSING
        )
    ldflags = "-s -w" + (f" -X {spec.go_version_var}={spec.version}" if spec.go_version_var else "")
    module_dir = data_path(f"tools/{spec.name}")
    if (module_dir / "go.mod").is_file():
        # The pinned module (go.mod + go.sum): no version listing at the module proxy, reproducible.
        cmd = [go, "build", "-trimpath", "-ldflags", ldflags, "-o", str(target), spec.go_package]
        subprocess.run(cmd, check=True, cwd=module_dir, env=env)
    else:
        env["GOBIN"] = str(target.parent)
        cmd = [go, "install", "-trimpath", "-ldflags", ldflags, f"{spec.go_package}@v{spec.version}"]
        subprocess.run(cmd, check=True, env=env)
