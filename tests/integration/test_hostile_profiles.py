"""Hostile and mistyped profiles: every one is a single line naming the file and exit 2, fast, no traceback.

The loader refuses what a YAML file can do to a reader (recursive aliases, alias bombs, nesting thousands
deep, devices and FIFOs, numbers Python will not convert, non-finite values) before it can hang the run or
exhaust memory. Through the real CLI as a subprocess; a property-based test generates hostile documents.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import REPO_ROOT, CliRun
from stackcheck.cli import main

pytestmark = pytest.mark.integration


def _laughs(levels: int) -> str:
    lines = ["name: x", 'a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    lines += [f"a{i}: &a{i} [" + ",".join([f"*a{i - 1}"] * 9) + "]" for i in range(1, levels + 1)]
    return "\n".join(lines) + "\n"


HOSTILE = {
    "recursive-alias": ("name: x\nhealth:\n  extra: &a [*a]\n", "recursive alias"),
    "deep-nesting": ("name: x\nx: " + "[" * 600 + "]" * 600 + "\n", "nested deeper than 64 levels"),
    "billion-laughs": (_laughs(9), "expands to more than 100,000 values"),
    "huge-integer": ("name: x\nslo: {p95_ms: " + "9" * 5000 + "}\n", "unreadable value"),
    "long-extends": ("name: x\nextends: " + "a" * 5000 + "\n", "extends: must be a file name"),
    "nul-extends": ('name: x\nextends: "a\\0b"\n', "extends: must be a file name"),
    "infinite-timeout": ("name: x\ntarget: {base_url: 'http://127.0.0.1:1', timeout_s: .inf}\n", "finite"),
    "too-large": ("name: x\n" + "# padding\n" * 120_000, "larger than 1,000,000 bytes"),
    "not-utf8": (b"name: \xff\xfe\n", "not UTF-8"),
}


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_hostile_profile_is_one_line_and_exit_2(
    tmp_path: Path, run_cli: Callable[..., CliRun], case: str
) -> None:
    text, needle = HOSTILE[case]
    path = tmp_path / f"{case}.yaml"
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text)
    run = run_cli("profile", "validate", str(path), timeout=60)
    assert run.code == 2, run.stdout + run.stderr
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in run.stderr, run.stderr
    assert needle in lines[0] and f"{case}.yaml" in lines[0], lines[0]


@pytest.mark.parametrize("special", ["/dev/zero", "fifo"])
def test_devices_and_fifos_are_refused_without_reading(
    tmp_path: Path, run_cli: Callable[..., CliRun], special: str
) -> None:
    path = special
    if special == "fifo":
        os.mkfifo(tmp_path / "p.yaml")
        path = str(tmp_path / "p.yaml")
    run = run_cli("profile", "validate", path, timeout=30)
    assert run.code == 2 and "is not a regular file" in run.stderr, run.stderr


@pytest.mark.parametrize("option", ["target.timeout_s=.inf", "slo.p95_ms=1e999", "slo.error_ratio=.nan"])
def test_non_finite_overrides_are_refused(
    tmp_path: Path, run_cli: Callable[..., CliRun], option: str
) -> None:
    path = tmp_path / "p.yaml"
    path.write_text("name: x\ntarget: {base_url: 'http://127.0.0.1:1'}\n")
    run = run_cli("profile", "validate", str(path), "--set", option, timeout=60)
    assert run.code == 2 and "finite" in run.stderr and "Traceback" not in run.stderr, run.stderr


_scalar = st.one_of(
    st.integers(),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.text(max_size=30),
    st.sampled_from(["*a", "&a", "!!python/object:os.system", "~", ".inf", "-.nan", "0x1F", "1e999"]),
)
_KEYS = st.sampled_from(["name", "health", "extends", "a", "&a b", "*a"])
_SECTIONS = st.sampled_from(["health", "slo", "target", "extends", "x"])
_fragment = st.recursive(
    _scalar.map(str),
    lambda inner: st.one_of(
        st.lists(inner, max_size=4).map(lambda xs: "[" + ", ".join(xs) + "]"),
        st.dictionaries(
            st.sampled_from(["name", "health", "extends", "a", "&a b", "*a"]), inner, max_size=3
        ).map(lambda d: "{" + ", ".join(f"{k}: {v}" for k, v in d.items()) + "}"),
    ),
    max_leaves=12,
)
_document = st.builds(
    lambda head, body: f"{head}\n{body}\n",
    st.sampled_from(["name: x", "name: &a x", "", "%YAML 1.1\n---\nname: x", "---"]),
    st.lists(
        st.tuples(st.sampled_from(["health", "slo", "target", "extends", "x"]), _fragment), max_size=4
    ).map(lambda items: "\n".join(f"{k}: {v}" for k, v in items)),
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(document=_document)
def test_generated_hostile_documents_never_crash_the_validator(
    tmp_path: Path, document: str, capsys: pytest.CaptureFixture[str]
) -> None:
    # In-process (the same main() the console script calls): 300 subprocesses would take minutes.
    path = tmp_path / "gen.yaml"
    path.write_text(document)
    code = main(["profile", "validate", str(path)])
    captured = capsys.readouterr()
    assert code in (0, 2), (document, captured.err)
    assert "Traceback" not in captured.err
    if code == 2:
        assert len(captured.err.strip().splitlines()) == 1, captured.err


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(document=_document)
def test_generated_documents_through_the_real_subprocess(tmp_path: Path, document: str) -> None:
    path = tmp_path / "gen.yaml"
    path.write_text(document)
    proc = subprocess.run(
        [sys.executable, "-m", "stackcheck", "profile", "validate", str(path)],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode in (0, 2) and "Traceback" not in proc.stderr, (document, proc.stderr)
