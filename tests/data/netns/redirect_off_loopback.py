"""Run inside ``unshare -n`` (a namespace with loopback alone): does any stage follow a redirect that
leads off loopback? Prints JSON: the kernel's OutNoRoutes before/after each stage and the stage's exit code.

A loopback target answers every request with ``302 Location: http://192.0.2.1/...`` (a documentation
address: unroutable here, so any attempt to reach it shows up as OutNoRoutes, and nothing leaves the host).
"""

from __future__ import annotations

import http.server
import json
import subprocess
import sys
import tempfile
import threading
from pathlib import Path
from typing import Any

REMOTE = "http://192.0.2.1/landed"


class _Redirect(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True

    def _answer(self) -> None:
        self.send_response(302)
        self.send_header("Location", REMOTE)
        self.send_header("Content-Length", "0")
        self.end_headers()

    do_GET = do_HEAD = do_OPTIONS = do_POST = _answer

    def log_message(self, format: str, *args: Any) -> None:
        pass


def out_no_routes() -> int:
    lines = [ln.split() for ln in Path("/proc/net/snmp").read_text().splitlines() if ln.startswith("Ip:")]
    return int(lines[1][lines[0].index("OutNoRoutes")])


def main() -> int:
    subprocess.run(["ip", "link", "set", "lo", "up"], check=True)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Redirect)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    target = f"http://127.0.0.1:{server.server_address[1]}"
    work = Path(tempfile.mkdtemp(prefix="stackcheck-netns-"))
    profile = work / "p.yaml"
    profile.write_text(
        "name: redirect\n"
        "health: {live: /health/live, ready: /health/ready}\n"
        "headers: {}\ncors: {allowed_origins: ['https://app.example.com']}\nexposure: {}\n"
        "metrics: {path: /metrics}\n"
        "slo: {p95_ms: 500}\n"
        "load: {users: 2, spawn_rate: 2, duration_s: 3, endpoints: [{path: /api, expect_status: [302]}]}\n"
    )
    stages = {
        "verify": [
            "verify",
            "--suite",
            "health",
            "--suite",
            "headers",
            "--suite",
            "cors",
            "--suite",
            "exposure",
            "--suite",
            "metrics",
        ],
        "load": ["load"],
    }
    out: dict[str, Any] = {}
    for name, args in stages.items():
        before = out_no_routes()
        proc = subprocess.run(
            [
                sys.executable,
                "-m",
                "stackcheck",
                *args,
                "--profile",
                str(profile),
                "--target",
                target,
                "--report-dir",
                str(work / name),
            ],
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        out[name] = {
            "code": proc.returncode,
            "no_routes": out_no_routes() - before,
            "stderr": proc.stderr[-500:],
        }
    # The probe itself: one deliberate connection attempt shows that the counter counts.
    before = out_no_routes()
    subprocess.run(
        [
            sys.executable,
            "-c",
            "import socket\ntry: socket.create_connection(('192.0.2.1', 80), 1)\nexcept OSError: pass",
        ],
        check=False,
    )
    out["control"] = {"no_routes": out_no_routes() - before}
    server.shutdown()
    print(json.dumps(out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
