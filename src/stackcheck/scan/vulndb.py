"""A trivy vulnerability DB built offline from YAML advisories, for ``scan.vulnerability_db``.

trivy's DB cannot be downloaded here. ``tools/trivydb/`` (a small pinned Go program) builds one the way
trivy's own integration tests do: bolt-fixtures loads YAML buckets (``debian 13`` → source package →
advisory id → ``FixedVersion``, plus ``vulnerability`` details) into ``<cache-dir>/db/trivy.db`` and
trivy-db's metadata package writes ``metadata.json``. The program is built once into the tool cache, like
trivy; its stamp is a digest of its sources, so an edit rebuilds it. The DB build itself is idempotent
(unchanged fixtures return at once) and atomic.

``python -m stackcheck.scan.vulndb --cache-dir OUT [--fixtures DIR ...]`` builds a DB (default fixtures:
``fixtures/vulndb/advisories``, stackcheck's own test advisories — not real ones).
"""

from __future__ import annotations

import argparse
import hashlib
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

from stackcheck._exceptions import CouldNotCheck, ErrorReason
from stackcheck.resources import data_path
from stackcheck.scan.toolcache import ToolSpec, install, locate
from stackcheck.settings import Settings

__all__ = ["DEFAULT_FIXTURES", "TRIVYDB", "build_db"]

SOURCE_DIR = data_path("tools/trivydb")
DEFAULT_FIXTURES = data_path("fixtures/vulndb/advisories")


def _source_version() -> str:
    """``1+<digest of go.mod, go.sum and *.go>``: the tool-cache stamp changes whenever the sources do."""
    digest = hashlib.sha256()
    files = [*sorted(SOURCE_DIR.glob("*.go")), SOURCE_DIR / "go.mod", SOURCE_DIR / "go.sum"]
    for path in files:
        if path.is_file():
            digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return "1+" + digest.hexdigest()[:12]


TRIVYDB = ToolSpec("trivydb", "trivydb", _source_version(), go_package="stackcheck.local/tools/trivydb")


def _tool(settings: Settings, install_missing: bool) -> Path:
    """The built trivydb program: ``$STACKCHECK_TRIVYDB``, else the tool cache (built when stale)."""
    if settings.tool_override(TRIVYDB.name) is not None or not install_missing:
        try:
            return locate(TRIVYDB, settings)
        except CouldNotCheck as exc:
            # locate()'s hint names `stackcheck.scan.tools install`; trivydb is not a scanner there.
            raise CouldNotCheck(
                f"trivydb {TRIVYDB.version} is not built: build it with `python -m stackcheck.scan.vulndb "
                f"--cache-dir DIR` (needs Go >= 1.26) or point ${TRIVYDB.env_var} at a built tools/trivydb",
                ErrorReason.TOOL_MISSING,
            ) from exc
    try:
        return install(TRIVYDB, settings)
    except subprocess.CalledProcessError as exc:
        raise CouldNotCheck(
            f"building tools/trivydb failed (exit {exc.returncode}); `go build .` in tools/trivydb shows why",
            ErrorReason.TOOL_MISSING,
        ) from exc


def build_db(
    cache_dir: Path,
    settings: Settings,
    fixtures: Sequence[Path] = (DEFAULT_FIXTURES,),
    *,
    force: bool = False,
    install_missing: bool = True,
) -> str:
    """Build (or keep, when the fixtures are unchanged) a trivy DB in ``cache_dir``; return trivydb's line.

    ``fixtures`` are folders of ``*.yaml`` or single files, loaded in order (a later file overrides the
    same advisory key of an earlier one). Raises :class:`CouldNotCheck` with trivydb's stderr on failure.
    """
    exe = _tool(settings, install_missing)
    argv = [str(exe), "--cache-dir", str(cache_dir)]
    for source in fixtures:
        argv += ["--fixtures", str(source)]
    if force:
        argv.append("--force")
    env = dict(settings.environ)
    proc = subprocess.run(argv, capture_output=True, text=True, env=env, timeout=120, check=False)
    if proc.returncode != 0:
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-3:]
        raise CouldNotCheck(
            f"trivydb failed: {' | '.join(tail) or f'exit {proc.returncode}'}", ErrorReason.TOOL_FAILED
        )
    return proc.stdout.strip()


def main(argv: list[str] | None = None, settings: Settings | None = None) -> int:
    """``python -m stackcheck.scan.vulndb --cache-dir OUT [--fixtures PATH ...] [--force]``."""
    parser = argparse.ArgumentParser(prog="python -m stackcheck.scan.vulndb", description=__doc__)
    parser.add_argument("--cache-dir", required=True, type=Path, help="trivy cache folder to write")
    parser.add_argument(
        "--fixtures",
        action="append",
        type=Path,
        metavar="PATH",
        help=f"folder of *.yaml advisories or one file, repeatable (default: {DEFAULT_FIXTURES})",
    )
    parser.add_argument("--force", action="store_true", help="rebuild even when the fixtures are unchanged")
    args = parser.parse_args(argv)
    # A command line of its own: it reads the environment once, here.
    settings = settings or Settings.from_environ()
    try:
        print(build_db(args.cache_dir, settings, args.fixtures or [DEFAULT_FIXTURES], force=args.force))
    except CouldNotCheck as exc:
        print(f"stackcheck.scan.vulndb: {exc}", file=sys.stderr)
        return 3
    return 0


if __name__ == "__main__":
    sys.exit(main())
