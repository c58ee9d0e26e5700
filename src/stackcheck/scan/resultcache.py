"""The scan's result cache: a scanner job whose inputs did not change is answered from its last run.

A CI re-run, or a second ``stackcheck scan`` on an unchanged tree, re-ran every scanner for the same
answer. The cache stores what a job's process produced (exit code, stdout, stderr, report file) under a
key of everything that decides it; stackcheck then reads that output exactly as if the tool had just
written it, so findings are the same with and without the cache by construction. The key (SHA-256) covers:

- the content of every input file (``Job.inputs``: in a git work tree the files it tracks, else every file
  below the folders), named by absolute path — findings name files, so a moved tree is a new key;
- the tool: its name, pinned version, executable path, size and modification time (a reinstall changes
  them) and, for the tool cache's copy, its install stamp;
- the whole command line and the job's own environment (frameworks, ``--skip-check``, core budget ...),
  the rendered custom policies with their parameters (the profile's promises), the environment variables
  that steer the tools (``CHECKOV_*``, ``BC_*``, ``TRIVY_*``, ``PYTHON*`` ...);
- stackcheck's version and this cache's format.

Change any of them and the job runs again. Only jobs that ran cleanly are stored (a crash or timeout is
never replayed), jobs without declared inputs (trivy reading images from the Docker engine) are never
cached, and ``stackcheck scan --no-cache`` bypasses it. It lives in ``$STACKCHECK_SCAN_CACHE``, default
``$XDG_CACHE_HOME/stackcheck/scan`` (``~/.cache/stackcheck/scan``), beside the tool cache; entries are
private to the user (0600: a tool's output can quote a secret it found, like the files it read).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import tempfile
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

from stackcheck import __version__
from stackcheck.scan.runner import Job, JobResult
from stackcheck.scan.tracked import TrackedFiles

__all__ = ["CACHE_FORMAT", "ENV_CACHE_DIR", "ResultCache", "default_cache_dir", "tool_identity"]

CACHE_FORMAT = 1
ENV_CACHE_DIR = "STACKCHECK_SCAN_CACHE"
# Bounds on the folder: the oldest entries go first beyond MAX_ENTRIES or MAX_TOTAL_BYTES, and a job's
# output larger than MAX_ENTRY_BYTES (checkov's stdout on a big tree can be tens of MB) is not stored.
MAX_ENTRIES = 500
MAX_ENTRY_BYTES = 64 * 1024 * 1024
MAX_TOTAL_BYTES = 1024 * 1024 * 1024
WORK = "\0stackcheck-work\0"  # the scan's scratch folder, which differs per run, in keys and outputs
# Environment variables that change what a scanner reports; the rest (CI run ids, ...) do not.
TOOL_ENV_PREFIXES = ("CHECKOV_", "BC_", "CKV_", "BANDIT", "DETECT_SECRETS", "TRIVY_", "GO", "PYTHON", "LOG_")


def default_cache_dir(environ: Mapping[str, str]) -> Path:
    """``$STACKCHECK_SCAN_CACHE``, else ``$XDG_CACHE_HOME/stackcheck/scan`` (``~/.cache/stackcheck/scan``)."""
    explicit = environ.get(ENV_CACHE_DIR)
    if explicit:
        return Path(explicit).expanduser()
    return Path(environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "stackcheck" / "scan"


def tool_identity(version: str, executable: Path, stamp: Path | None = None) -> str:
    """What identifies a tool build: its pinned version, where it is, its size and mtime, its stamp."""
    try:
        st = executable.resolve().stat()
        where = f"{executable.resolve()}:{st.st_size}:{st.st_mtime_ns}"
    except OSError:
        where = f"{executable}:missing"
    installed = ""
    if stamp is not None:
        with contextlib.suppress(OSError):
            installed = stamp.read_text(encoding="utf-8").strip()
    return f"{version}|{where}|{installed}"


def _file_hash(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


@dataclass
class ResultCache:
    """One scan's view of the cache: where it lives, the run's scratch folder, tools and tracked files."""

    folder: Path
    work: Path
    environ: Mapping[str, str]
    tools: Mapping[str, str]  # job tool name → tool_identity(...)
    tracked: TrackedFiles
    hits: int = 0

    def _files(self, path: Path) -> Iterable[Path]:
        listed = self.tracked.files_under(path)
        if listed is not None:
            return listed
        if path.is_file():
            return [path]
        found = []
        for folder, dirs, names in os.walk(path):
            dirs.sort()
            found += [Path(folder) / n for n in sorted(names)]
        return found

    def _show(self, text: str) -> str:
        return text.replace(str(self.work), WORK)

    def key(self, job: Job) -> str | None:
        """The job's key, or None when it cannot be cached (no declared inputs, an unknown tool)."""
        if not job.inputs or job.tool not in self.tools:
            return None
        inputs = []
        for path in job.inputs:
            for file in self._files(path):
                if file.is_file():
                    inputs.append((self._show(str(file)), _file_hash(file)))
        steering = sorted((k, v) for k, v in self.environ.items() if k.startswith(TOOL_ENV_PREFIXES))
        material = {
            "format": CACHE_FORMAT,
            "stackcheck": __version__,
            "tool": [job.tool, self.tools[job.tool]],
            "argv": [self._show(a) for a in job.argv],
            "env": sorted(job.env.items()),
            "steering_env": steering,
            "cwd": str(job.cwd) if job.cwd else None,
            "ok_codes": sorted(job.ok_codes),
            "output": self._show(str(job.output)) if job.output else None,
            "inputs": sorted(inputs),
        }
        return hashlib.sha256(json.dumps(material, sort_keys=True).encode()).hexdigest()

    def replay(self, job: Job) -> JobResult | None:
        """The stored result of ``job`` when its key has one (the process is then not run)."""
        key = self.key(job)
        if key is None:
            return None
        start = time.monotonic()
        try:
            data = json.loads((self.folder / f"{key}.json").read_text(encoding="utf-8"))
            stored = (int(data["returncode"]), data["stdout"], data["stderr"], data["output"])
        except (OSError, ValueError, KeyError, TypeError):  # gone, torn or not ours: run the tool
            return None
        if not all(isinstance(text, str) for text in stored[1:3]):
            return None
        back = str(self.work)

        def restore(text: str | None) -> str | None:
            return None if text is None else text.replace(WORK, back)

        self.hits += 1
        return JobResult(
            job,
            stored[0],
            restore(stored[1]) or "",
            restore(stored[2]) or "",
            time.monotonic() - start,
            restore(stored[3]) if isinstance(stored[3], str) else None,
            None,
            cached=True,
        )

    def store(self, result: JobResult) -> None:
        """Keep a job's result when it ran cleanly (never a failure, an interrupted or a replayed one)."""
        if result.failure is not None or result.cached or result.returncode is None:
            return
        key = self.key(result.job)
        if key is None:
            return
        data = {
            "returncode": result.returncode,
            "stdout": self._show(result.stdout),
            "stderr": self._show(result.stderr),
            "output": self._show(result.output) if result.output is not None else None,
            "duration_s": result.duration_s,
        }
        text = json.dumps(data)
        if len(text) > MAX_ENTRY_BYTES:  # characters, close enough: most of a scanner's output is ASCII
            return
        self.folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd, tmp = tempfile.mkstemp(dir=self.folder, suffix=".tmp")  # mode 0600
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.replace(tmp, self.folder / f"{key}.json")  # atomic: a concurrent scan reads old or new
        self._prune()

    def _prune(self) -> None:
        sized = []
        for entry in self.folder.glob("*.json"):
            with contextlib.suppress(OSError):
                st = entry.stat()
                sized.append((st.st_mtime, st.st_size, entry))
        sized.sort(reverse=True)  # newest first: they are kept
        total = 0
        for count, (_, size, entry) in enumerate(sized, start=1):
            total += size
            if count > MAX_ENTRIES or total > MAX_TOTAL_BYTES:
                with contextlib.suppress(OSError):
                    entry.unlink()
