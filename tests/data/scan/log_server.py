"""A minimal HTTP service that writes one JSON log line per request, for the secrets.logs tests.

``python log_server.py PORT LOGFILE [--leaky]``: answers every GET with 200 JSON. Compliant, it logs the
method, path and status and masks the Authorization header; ``--leaky`` logs the raw headers (the defect
``secrets.logs`` must catch). Stand-in until the reference service grows ``--log-file``/``leaky-logs``.
"""

from __future__ import annotations

import json
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


class Handler(BaseHTTPRequestHandler):
    disable_nagle_algorithm = True
    leaky = False
    log_path = ""

    def do_GET(self) -> None:
        body = json.dumps({"status": "UP", "path": self.path}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
        headers = dict(self.headers.items())
        if not self.leaky:
            headers = {
                k: ("****" if k.lower() in ("authorization", "x-api-key") else v) for k, v in headers.items()
            }
        with open(self.log_path, "a", encoding="utf-8") as log:
            log.write(
                json.dumps({"method": "GET", "path": self.path, "status": 200, "headers": headers}) + "\n"
            )

    def log_message(self, format: str, *args: object) -> None:
        pass


def main() -> None:
    port, log_path = int(sys.argv[1]), sys.argv[2]
    Handler.leaky = "--leaky" in sys.argv
    Handler.log_path = log_path
    open(log_path, "a").close()
    ThreadingHTTPServer(("127.0.0.1", port), Handler).serve_forever()


if __name__ == "__main__":
    main()
