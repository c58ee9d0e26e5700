"""Where the scanners come from: locate them, and install them into stackcheck's own tool cache.

Each scanner lives apart from stackcheck's own environment: checkov pins ``packaging<24`` and would break
pytest, so every Python scanner gets its own venv under the tool cache
(``$STACKCHECK_TOOLS_DIR``, default ``~/.cache/stackcheck/tools``); trivy is built from its Go module
(``tools/trivy/`` pins it with a ``go.sum``). Lookup order for each tool: ``$STACKCHECK_<TOOL>`` (a path
to the executable), the tool cache, then ``PATH``.

``python -m stackcheck.scan.tools install [TOOL ...]`` installs (idempotently: a stamp file records the
version) and ``python -m stackcheck.scan.tools status`` shows where each tool would come from.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from stackcheck._exceptions import CouldNotCheck, ErrorReason

__all__ = ["TOOLS", "ToolSpec", "install", "locate", "tools_dir"]

REPO_ROOT = Path(__file__).resolve().parents[3]
TRIVY_MODULE = "github.com/aquasecurity/trivy"


@dataclass(frozen=True)
class ToolSpec:
    """One external scanner: how to find it and how to install it."""

    name: str
    executable: str
    version: str
    pip: tuple[str, ...] = ()  # a venv of its own with these requirements
    go_package: str | None = None  # built with `go build` from tools/<name>/ (or `go install`)

    @property
    def env_var(self) -> str:
        """``STACKCHECK_CHECKOV``: an explicit path to the executable."""
        return "STACKCHECK_" + self.name.upper().replace("-", "_")

    @property
    def hint(self) -> str:
        """What a user runs to get the tool."""
        return (
            f"install it with `python -m stackcheck.scan.tools install {self.name}` "
            f"(or `stackcheck scan --install-tools ...`), or point ${self.env_var} at an executable"
        )


TOOLS: dict[str, ToolSpec] = {
    "checkov": ToolSpec("checkov", "checkov", "3.3.30", pip=("checkov==3.3.30",)),
    "bandit": ToolSpec("bandit", "bandit", "1.9.4", pip=("bandit[sarif]==1.9.4",)),
    "detect-secrets": ToolSpec("detect-secrets", "detect-secrets", "1.5.0", pip=("detect-secrets==1.5.0",)),
    "trivy": ToolSpec("trivy", "trivy", "0.74.0", go_package=f"{TRIVY_MODULE}/cmd/trivy"),
}


def tools_dir(environ: Mapping[str, str]) -> Path:
    """The tool cache: ``$STACKCHECK_TOOLS_DIR`` or ``~/.cache/stackcheck/tools``."""
    explicit = environ.get("STACKCHECK_TOOLS_DIR")
    if explicit:
        return Path(explicit).expanduser()
    cache = environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(cache) / "stackcheck" / "tools"


def _cached(spec: ToolSpec, root: Path) -> Path:
    if spec.go_package:
        return root / "bin" / spec.executable
    return root / spec.name / "bin" / spec.executable


def locate(spec: ToolSpec, environ: Mapping[str, str]) -> Path:
    """The executable of ``spec``; :class:`CouldNotCheck` with the install hint when there is none."""
    explicit = environ.get(spec.env_var)
    if explicit:
        path = Path(explicit).expanduser()
        if path.is_file() and os.access(path, os.X_OK):
            return path
        raise CouldNotCheck(f"${spec.env_var}={explicit} is not an executable file", ErrorReason.TOOL_MISSING)
    cached = _cached(spec, tools_dir(environ))
    if cached.is_file() and os.access(cached, os.X_OK):
        return cached
    found = shutil.which(spec.executable, path=environ.get("PATH"))
    if found:
        return Path(found)
    raise CouldNotCheck(f"{spec.name} {spec.version} is not installed: {spec.hint}", ErrorReason.TOOL_MISSING)


def _stamp(root: Path, spec: ToolSpec) -> Path:
    return root / f".{spec.name}.installed"


def install(spec: ToolSpec, environ: Mapping[str, str], *, quiet: bool = True) -> Path:
    """Install ``spec`` into the tool cache unless the stamped version is already there; return its path."""
    root = tools_dir(environ)
    root.mkdir(parents=True, exist_ok=True)
    target = _cached(spec, root)
    stamp = _stamp(root, spec)
    if target.is_file() and stamp.is_file() and stamp.read_text().strip() == spec.version:
        return target
    env = dict(environ)
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
    # trivy v0.74 uses encoding/json/v2, which Go 1.26 only builds with this experiment switched on.
    env["GOEXPERIMENT"] = ",".join(filter(None, [env.get("GOEXPERIMENT"), "jsonv2"]))
    go = shutil.which("go", path=env.get("PATH")) or "/usr/local/go/bin/go"
    if not Path(go).exists():
        raise CouldNotCheck(f"building {spec.name} needs Go >= 1.26 on PATH", ErrorReason.TOOL_MISSING)
    ldflags = f"-s -w -X {TRIVY_MODULE}/pkg/version/app.ver={spec.version}"
    module_dir = REPO_ROOT / "tools" / spec.name
    assert spec.go_package is not None
    if (module_dir / "go.mod").is_file():
        # The pinned module (go.mod + go.sum): no version listing at the module proxy, reproducible.
        cmd = [go, "build", "-trimpath", "-ldflags", ldflags, "-o", str(target), spec.go_package]
        subprocess.run(cmd, check=True, cwd=module_dir, env=env)
    else:
        env["GOBIN"] = str(target.parent)
        cmd = [go, "install", "-trimpath", "-ldflags", ldflags, f"{spec.go_package}@v{spec.version}"]
        subprocess.run(cmd, check=True, env=env)


def main(argv: list[str] | None = None) -> int:
    """``python -m stackcheck.scan.tools install|status [TOOL ...]``."""
    parser = argparse.ArgumentParser(prog="python -m stackcheck.scan.tools", description=__doc__)
    parser.add_argument("action", choices=("install", "status"))
    parser.add_argument("tools", nargs="*", metavar="TOOL", help=f"default: all ({', '.join(TOOLS)})")
    args = parser.parse_args(argv)
    unknown = [t for t in args.tools if t not in TOOLS]
    if unknown:
        parser.error(f"unknown tool {unknown[0]!r} (known: {', '.join(TOOLS)})")
    code = 0
    for name in args.tools or list(TOOLS):
        spec = TOOLS[name]
        try:
            path = install(spec, os.environ) if args.action == "install" else locate(spec, os.environ)
            print(f"{name:<15} {spec.version:<8} {path}")
        except (CouldNotCheck, subprocess.CalledProcessError) as exc:
            print(f"{name:<15} {spec.version:<8} MISSING: {exc}", file=sys.stderr)
            code = 3
    return code


if __name__ == "__main__":
    sys.exit(main())
