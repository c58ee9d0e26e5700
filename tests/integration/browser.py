"""A report page in a real browser: Debian's headless Chromium loads ``index.html`` (console messages on
stderr), takes a screenshot and prints it to PDF; ``pdftotext`` (poppler-utils) reads the PDF back.

The page runs no script and loads nothing, so a clean load logs nothing on the console: any ``CONSOLE``
line (a Content-Security-Policy refusal, a script error) is a defect. Needs ``chromium`` and
``pdftotext``; the test skips without them (``.ci/run`` installs both).
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

__all__ = ["PageInBrowser", "open_in_browser"]

_TIMEOUT_S = 120
_CONSOLE = re.compile(r":CONSOLE[:(]")


@dataclass(frozen=True)
class PageInBrowser:
    """What the browser made of the page."""

    console: list[str]
    screenshot: Path
    pdf: Path
    pdf_text: str

    def text_without_breaks(self) -> str:
        """The PDF's text with line breaks and hyphen-less wraps joined: an id that a table cell wrapped
        still reads as one word."""
        return re.sub(r"\s+", "", self.pdf_text)


def _binary(name: str, package: str) -> str:
    found = shutil.which(name)
    if found is None:
        pytest.skip(f"{name} is not installed (apt-get install {package})")
    return found


def _chromium(args: list[str], profile: Path) -> str:
    """Run headless Chromium once (its own process group, killed on timeout); return its stderr."""
    cmd = [
        _binary("chromium", "chromium"),
        "--headless",
        "--no-sandbox",  # the tests run as root in CI
        "--disable-gpu",
        "--no-first-run",
        "--disable-background-networking",  # the page must not need the network; nor does the browser
        "--disable-component-update",
        "--disable-sync",
        "--enable-logging=stderr",
        "--v=0",
        f"--user-data-dir={profile}",
        *args,
    ]
    proc = subprocess.Popen(
        cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True
    )
    try:
        _, err = proc.communicate(timeout=_TIMEOUT_S)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        raise AssertionError(f"chromium did not finish within {_TIMEOUT_S} s: {' '.join(cmd)}") from None
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    assert proc.returncode == 0, f"chromium exited {proc.returncode}: {err[-2000:]}"
    return err


def open_in_browser(page: Path, out: Path, *, width: int = 1280, height: int = 2400) -> PageInBrowser:
    """Load ``page`` (a file), screenshot it to ``out/page.png`` and print it to ``out/page.pdf``."""
    pdftotext = _binary("pdftotext", "poppler-utils")
    out.mkdir(parents=True, exist_ok=True)
    url = page.resolve().as_uri()
    shot, pdf = out / "page.png", out / "page.pdf"
    logs = _chromium(
        [f"--window-size={width},{height}", "--hide-scrollbars", f"--screenshot={shot}", url],
        out / "chromium-profile",
    )
    logs += _chromium(["--no-pdf-header-footer", f"--print-to-pdf={pdf}", url], out / "chromium-profile")
    assert shot.is_file() and shot.stat().st_size > 0, "no screenshot written"
    assert pdf.is_file() and pdf.read_bytes().startswith(b"%PDF"), "no PDF written"
    text = subprocess.run(
        [pdftotext, "-enc", "UTF-8", str(pdf), "-"], capture_output=True, text=True, timeout=60, check=True
    ).stdout
    console = [line for line in logs.splitlines() if _CONSOLE.search(line)]
    return PageInBrowser(console=console, screenshot=shot, pdf=pdf, pdf_text=text)
