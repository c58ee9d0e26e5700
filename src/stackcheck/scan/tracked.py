"""What a repository tracks: the files the scanners read when a scan path lies in a git work tree.

A scan of a folder in a git work tree reads the files ``git ls-files --cached --others --exclude-standard``
lists: every tracked file and every new file not yet added, but nothing ``.gitignore`` (or
``.git/info/exclude``, or the global excludes file) hides — ``node_modules/``, ``build/``, virtualenvs,
generated code. Untracked-but-not-ignored files are in because they are what the next commit holds: a
secret in a file not yet added is found before it is committed, and in CI (a clean checkout) the set is
exactly what the repository tracks. A tracked file deleted from the work tree is not read. A path given
explicitly as a file is read whatever git says (it was asked for). Outside a git work tree (or without
git), every file below the paths is read, as before. Files inside a submodule are not listed by the outer
repository's ``git ls-files``; scan the submodule's own folder to cover it.
"""

from __future__ import annotations

import re
import subprocess
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

__all__ = ["MAX_ARGV_CHARS", "TrackedFiles", "find_tracked", "skip_regex"]

GIT_TIMEOUT_S = 60.0
# File lists go on the tool's command line; past this many characters (Linux allows ~2 MB in all) the
# tool walks the folders instead, told to skip what git ignores.
MAX_ARGV_CHARS = 500_000


def skip_regex(ignored: Sequence[Path], relative_to: Path | None = None) -> str | None:
    """One regular expression matching the ignored files and folders (and everything below them), as
    absolute paths or relative to ``relative_to``; None when nothing is ignored."""
    if not ignored:
        return None
    names = sorted(str(p.relative_to(relative_to) if relative_to else p).rstrip("/") for p in ignored)
    return "^(?:" + "|".join(re.escape(n) for n in names) + ")(?:/|$)"


# The scanned tree is untrusted, its .git/config too: `core.fsmonitor` names a program git runs while it
# reads the index (`ls-files` included). Switched off on the command line, which beats any config file.
GIT_SAFE = ("-c", "core.fsmonitor=false")


def _git(args: Sequence[str], cwd: Path, environ: Mapping[str, str]) -> bytes | None:
    try:
        proc = subprocess.run(
            ["git", *GIT_SAFE, *args],
            cwd=cwd,
            env=dict(environ),
            capture_output=True,
            check=False,
            timeout=GIT_TIMEOUT_S,
            stdin=subprocess.DEVNULL,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    return proc.stdout if proc.returncode == 0 else None


def _listed(raw: bytes, top: Path) -> list[Path]:
    return [top / name for name in raw.decode("utf-8", "surrogateescape").split("\0") if name]


@dataclass(frozen=True)
class _Repo:
    top: Path
    files: frozenset[Path]  # tracked + untracked-not-ignored, existing regular files
    ignored: tuple[Path, ...]  # ignored files and wholly ignored folders (``--directory``)


@dataclass
class TrackedFiles:
    """The git view of a scan: per work tree, the files it tracks and what it ignores."""

    repos: dict[Path, _Repo] = field(default_factory=dict)
    outside: set[Path] = field(default_factory=set)  # scan paths in no work tree

    def repo_of(self, path: Path) -> _Repo | None:
        """The work tree ``path`` lies in, or None."""
        resolved = path.resolve()
        for top, repo in self.repos.items():
            if resolved == top or resolved.is_relative_to(top):
                return repo
        return None

    def in_git(self, paths: Iterable[Path]) -> bool:
        """Whether every one of ``paths`` lies in a git work tree."""
        return all(self.repo_of(p) is not None for p in paths)

    def files_under(self, path: Path) -> list[Path] | None:
        """The files a scan of ``path`` reads (sorted; a file path: itself), or None outside git."""
        resolved = path.resolve()
        if resolved.is_file():
            return [resolved]
        repo = self.repo_of(resolved)
        if repo is None:
            return None
        return sorted(f for f in repo.files if f.is_relative_to(resolved))

    def ignored_under(self, path: Path) -> list[Path]:
        """Ignored files and folders below ``path`` (what a tool walking the folder must skip)."""
        resolved = path.resolve()
        repo = self.repo_of(resolved)
        if repo is None or resolved.is_file():
            return []
        return [p for p in repo.ignored if p.is_relative_to(resolved) and p != resolved]

    def keeps(self, path: Path) -> bool:
        """Whether a file found by walking a folder is one the scan reads (always, outside git)."""
        repo = self.repo_of(path)
        return repo is None or path.resolve() in repo.files


def find_tracked(paths: Iterable[Path], environ: Mapping[str, str]) -> TrackedFiles:
    """Ask git, once per work tree, what the scan paths' repositories track (``environ``: the run's)."""
    tracked = TrackedFiles()
    for path in dict.fromkeys(p.resolve() for p in paths):
        if not path.exists() or tracked.repo_of(path) is not None:
            continue
        folder = path if path.is_dir() else path.parent
        top_raw = _git(["rev-parse", "--show-toplevel"], folder, environ)
        if top_raw is None:
            tracked.outside.add(path)
            continue
        top = Path(top_raw.decode("utf-8", "surrogateescape").strip()).resolve()
        listed = _git(["ls-files", "-z", "--cached", "--others", "--exclude-standard"], top, environ)
        ignored = _git(
            ["ls-files", "-z", "--others", "--ignored", "--exclude-standard", "--directory"], top, environ
        )
        if listed is None or ignored is None:
            tracked.outside.add(path)
            continue
        files = frozenset(p for p in _listed(listed, top) if p.is_file() and not p.is_symlink())
        gone = tuple(p.resolve() for p in _listed(ignored, top))
        tracked.repos[top] = _Repo(top, files, gone)
    return tracked
