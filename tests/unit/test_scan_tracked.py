"""What a repository tracks (``git ls-files``): the file set the scanners read inside a git work tree."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

from stackcheck.scan.tracked import find_tracked, skip_regex

ENV = dict(os.environ)


def _repo(root: Path) -> None:
    (root / "src").mkdir(parents=True)
    (root / "src" / "app.py").write_text("x = 1\n")
    (root / "node_modules" / "pkg").mkdir(parents=True)
    (root / "node_modules" / "pkg" / "key.py").write_text('password = "fake-ignored"\n')
    (root / "debug.log").write_text("noise\n")
    (root / ".gitignore").write_text("node_modules/\n*.log\n")
    subprocess.run(["git", "init", "-q"], cwd=root, check=True)
    subprocess.run(["git", "add", "-A"], cwd=root, check=True)
    (root / "src" / "new.py").write_text("y = 2\n")  # untracked, not ignored: read (the next commit)


def test_a_work_tree_lists_tracked_and_new_files_but_not_ignored_ones(tmp_path: Path) -> None:
    _repo(tmp_path)
    tracked = find_tracked([tmp_path], ENV)
    files = tracked.files_under(tmp_path)
    assert files is not None
    names = {f.relative_to(tmp_path.resolve()).as_posix() for f in files}
    assert names == {".gitignore", "src/app.py", "src/new.py"}
    assert tracked.files_under(tmp_path / "src") == sorted(
        [(tmp_path / "src" / "app.py").resolve(), (tmp_path / "src" / "new.py").resolve()]
    )
    ignored = {p.relative_to(tmp_path.resolve()).as_posix() for p in tracked.ignored_under(tmp_path)}
    assert ignored == {"node_modules", "debug.log"}
    assert not tracked.keeps(tmp_path / "node_modules" / "pkg" / "key.py")
    assert tracked.keeps(tmp_path / "src" / "app.py")


def test_an_explicit_file_is_read_whatever_git_says(tmp_path: Path) -> None:
    _repo(tmp_path)
    junk = tmp_path / "node_modules" / "pkg" / "key.py"
    assert find_tracked([junk], ENV).files_under(junk) == [junk.resolve()]


def test_outside_git_nothing_is_filtered(tmp_path: Path) -> None:
    (tmp_path / "a.py").write_text("x = 1\n")
    env = {**ENV, "GIT_CEILING_DIRECTORIES": str(tmp_path.parent)}
    tracked = find_tracked([tmp_path], env)
    assert tracked.files_under(tmp_path) is None
    assert tracked.keeps(tmp_path / "a.py")
    assert not tracked.in_git([tmp_path])


def test_the_skip_regex_matches_ignored_paths_and_what_lies_below_them() -> None:
    pattern = skip_regex([Path("/r/node_modules"), Path("/r/debug.log")])
    assert pattern is not None
    assert re.search(pattern, "/r/node_modules/pkg/key.py") and re.search(pattern, "/r/debug.log")
    assert not re.search(pattern, "/r/node_modules2/x.py") and not re.search(pattern, "/r/src/debug.log")
    assert skip_regex([]) is None


def test_the_scanned_repositorys_own_git_config_runs_no_program(tmp_path: Path) -> None:
    # core.fsmonitor names a program git runs while reading the index; the tree (and its .git/config)
    # is the scan's untrusted input, so stackcheck's git calls switch it off.
    _repo(tmp_path / "r")
    marker = tmp_path / "ran"
    hook = tmp_path / "hook.sh"
    hook.write_text(f"#!/bin/sh\ntouch {marker}\n")
    hook.chmod(0o755)
    subprocess.run(["git", "config", "core.fsmonitor", str(hook)], cwd=tmp_path / "r", check=True)
    subprocess.run(["git", "ls-files"], cwd=tmp_path / "r", check=True, capture_output=True)
    assert marker.exists()  # plain git runs it: the hazard is real
    marker.unlink()
    files = find_tracked([tmp_path / "r"], ENV).files_under(tmp_path / "r")
    assert files is not None and (tmp_path / "r" / "src" / "app.py").resolve() in files
    assert not marker.exists()
