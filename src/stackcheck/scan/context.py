"""What one scan works on: the profile's scan section with paths resolved, the run's settings, a scratch
folder; and :class:`Planned`, what a scanner's ``plan`` hook returns for each check it decides."""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from stackcheck.catalog.spec import CheckSpec
from stackcheck.profile.models import Profile, ScanSection
from stackcheck.resources import data_path
from stackcheck.scan.findings import ToolOutcome
from stackcheck.scan.runner import Job
from stackcheck.scan.tracked import TrackedFiles, find_tracked
from stackcheck.settings import Settings

__all__ = ["Planned", "ScanContext", "display_path", "machine_cores"]


def machine_cores() -> int:
    """The cores this process may run on (its CPU affinity: a container's or taskset's limit)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):  # not Linux
        return max(1, os.cpu_count() or 1)


def display_path(path: str | Path, root: Path | None = None) -> str:
    """How reports name a file: relative to the scan root (default: the current directory) when it lies
    below it, else its absolute path. Every scanner's findings use this one convention (``ScanContext.root``),
    so waiver ``subject`` globs, SARIF locations and inline suppressions do not depend on where the scanner
    or stackcheck ran."""
    absolute = Path(path).resolve()  # a relative path is relative to the current directory, as given
    try:
        return absolute.relative_to((root or Path.cwd()).resolve()).as_posix()
    except ValueError:
        return absolute.as_posix()


@dataclass(frozen=True)
class ScanContext:
    """Inputs of one scan; ``base`` is the folder the profile's relative paths start from.

    ``root`` (``base`` resolved) is the scan root: every finding's ``file`` is relative to it.
    """

    profile: Profile
    section: ScanSection
    base: Path
    work: Path
    settings: Settings
    iac_paths: tuple[Path, ...] = ()
    code_paths: tuple[Path, ...] = ()
    secret_paths: tuple[Path, ...] = ()
    images: tuple[str, ...] = ()
    policies: Path | None = None
    cores: int = 1  # the scan's core budget: a parallel scanner gets all of them, the others one each
    budget: bool = True  # False: every tool with its own defaults (all cores each): the benchmark's "alone"
    # What git tracks below the paths (empty: not in git, every file is read).
    tracked: TrackedFiles = field(default_factory=TrackedFiles)

    def files(self, paths: Sequence[Path]) -> list[Path] | None:
        """The files a scan of ``paths`` reads when all lie in git work trees (``git ls-files``), or None:
        then the tools walk the paths themselves (outside git, as before)."""
        if not paths or not self.tracked.in_git(paths):
            return None
        found: list[Path] = []
        for path in paths:
            found += self.tracked.files_under(path) or []
        return list(dict.fromkeys(found))

    @property
    def root(self) -> Path:
        """The folder finding paths, waiver subjects and SARIF locations are relative to: the profile's."""
        return self.base.resolve()

    def show(self, path: str | Path) -> str:
        """``path`` as reports name it (:func:`display_path` under :attr:`root`)."""
        return display_path(path, self.root)

    @classmethod
    def build(
        cls,
        profile: Profile,
        base: Path,
        work: Path,
        settings: Settings,
        paths: Sequence[Path] = (),
        cores: int | None = None,
        budget: bool = True,
        use_git: bool = True,
    ) -> ScanContext:
        """Resolve the section's paths (``paths`` from the command line replace every path list).

        ``cores`` (default: :func:`machine_cores`) is the budget the scanners share; ``budget=False`` runs
        every tool with its own parallelism defaults instead (what a user running it by hand gets).
        ``use_git``: in a git work tree, read what the repository tracks (:mod:`stackcheck.scan.tracked`).
        """
        section = profile.scan or ScanSection()

        def resolve(items: Sequence[str]) -> tuple[Path, ...]:
            return tuple((base / item) if not Path(item).is_absolute() else Path(item) for item in items)

        if paths:
            iac = code = secrets = tuple(paths)
        else:
            iac, code = resolve(section.iac_paths), resolve(section.code_paths)
            secrets = resolve(section.secret_paths) if section.secret_paths is not None else iac + code
        images = tuple(
            str(base / i) if i.endswith((".tar", ".tar.gz")) and not Path(i).is_absolute() else i
            for i in section.images
        )
        if section.policies is not None:
            policies: Path | None = resolve([section.policies])[0]
        else:
            bundled = data_path("policies/checkov")
            policies = bundled if bundled.is_dir() else None
        return cls(
            profile=profile,
            section=section,
            base=base,
            work=work,
            settings=settings,
            iac_paths=iac,
            code_paths=code,
            secret_paths=tuple(dict.fromkeys(secrets)),
            images=images,
            policies=policies,
            cores=cores or machine_cores(),
            budget=budget,
            tracked=find_tracked([*iac, *code, *secrets], settings.environ) if use_git else TrackedFiles(),
        )


@dataclass(frozen=True)
class Planned:
    """A job to run for a check and subject — or, without a job, an outcome known before running."""

    check: CheckSpec
    subject: str | None
    job: Job | None = None
    outcome: ToolOutcome | None = None
