"""A test server whose latency distribution is known: the yardstick for the load stage's numbers.

Each route draws its delay from a distribution given on the command line; the server can also stall
globally ("stop the world" for S ms every P ms, like a GC pause) to expose coordinated omission; and
it records every delay it applied, so a benchmark compares what the load stage reports with what the
server really did (``GET /_latency/stats``).

    python -m loadtests.latency_server --port 0 \\
        --route '/api=mix:20*90+150*10' --route '/err=fixed:5,fail:0.1' --stall 1000/10000

Route specs (comma-separated parts): ``fixed:MS``, ``mix:MS*WEIGHT+MS*WEIGHT...``, ``uniform:LO-HI``,
``fail:RATIO`` (answer 500 for that share, drawn at random). ``/`` answers at once unless routed.
``--capacity N`` handles at most N requests at once and queues the rest (an overloaded server).

The server is a thread per connection (HTTP/1.1 keep-alive) with Nagle's algorithm off: without that,
a keep-alive response waits for the client's delayed ACK (~40 ms) and every latency would be wrong.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import IO, Self

from stackcheck.infra.processes import stop_process

__all__ = ["LatencyServer", "Route", "parse_route", "true_percentile"]

STATS_PATH = "/_latency/stats"


@dataclass
class Route:
    """A path's delay distribution and failure share."""

    path: str
    draw: Callable[[random.Random], float]  # delay in ms
    fail: float = 0.0
    spec: str = ""
    delays: list[float] = field(default_factory=list)


def _mix(text: str) -> Callable[[random.Random], float]:
    parts = [p.split("*") for p in text.split("+")]
    values = [float(v) for v, _ in parts]
    weights = [float(w) for _, w in parts]
    return lambda rng: rng.choices(values, weights)[0]


def _fixed(ms: float) -> Callable[[random.Random], float]:
    return lambda _rng: ms


def _uniform(low: float, high: float) -> Callable[[random.Random], float]:
    return lambda rng: rng.uniform(low, high)


def parse_route(text: str) -> Route:
    """``/api=mix:20*90+150*10,fail:0.01`` → :class:`Route`."""
    path, _, spec = text.partition("=")
    if not path.startswith("/") or not spec:
        raise argparse.ArgumentTypeError(f"route {text!r}: write PATH=SPEC, e.g. /api=fixed:20")
    route = Route(path=path, draw=lambda _rng: 0.0, spec=spec)
    for part in spec.split(","):
        kind, _, arg = part.partition(":")
        if kind == "fixed":
            route.draw = _fixed(float(arg))
        elif kind == "mix":
            route.draw = _mix(arg)
        elif kind == "uniform":
            low, high = (float(x) for x in arg.split("-"))
            route.draw = _uniform(low, high)
        elif kind == "fail":
            route.fail = float(arg)
        else:
            raise argparse.ArgumentTypeError(f"route {text!r}: unknown part {kind!r}")
    return route


def true_percentile(spec: str, pct: float) -> float:
    """The exact ``pct``-th percentile of a route spec's delay distribution (ms)."""
    for part in spec.split(","):
        kind, _, arg = part.partition(":")
        if kind == "fixed":
            return float(arg)
        if kind == "uniform":
            low, high = (float(x) for x in arg.split("-"))
            return low + (high - low) * pct / 100
        if kind == "mix":
            pairs = sorted((float(v), float(w)) for v, w in (p.split("*") for p in arg.split("+")))
            total, seen = sum(w for _, w in pairs), 0.0
            for value, weight in pairs:
                seen += weight
                if seen / total >= pct / 100 - 1e-12:
                    return value
    raise ValueError(f"no delay distribution in {spec!r}")


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # see the module docstring
    server: _Server

    def log_message(self, format: str, *args: object) -> None:
        pass

    def _answer(self, status: int, body: bytes, content_type: str = "application/json") -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def do_GET(self) -> None:
        srv = self.server
        path = self.path.split("?")[0]
        if path == STATS_PATH:
            self._answer(200, json.dumps(srv.snapshot()).encode())
            return
        route = srv.routes.get(path)
        if route is None and path != "/":
            self._answer(404, b'{"detail": "Not Found"}')
            return
        started = time.monotonic()
        with srv.capacity:  # a server that handles at most N requests at once queues the rest
            stall = srv.stall_wait()
            with srv.lock:
                delay = route.draw(srv.rng) if route else 0.0
                failing = route is not None and srv.rng.random() < route.fail
            if stall + delay > 0:
                time.sleep((stall + delay) / 1000)
        elapsed_ms = (time.monotonic() - started) * 1000  # queue + stall + delay, as the server saw it
        with srv.lock:
            srv.requests += 1
            if route is not None:
                route.delays.append(elapsed_ms)
        if failing:
            self._answer(500, b'{"status": "ERROR"}')
        else:
            self._answer(200, b'{"status": "OK"}')

    do_HEAD = do_GET


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 1024  # the default (5) drops SYNs when 50 users connect at once

    def __init__(
        self, port: int, routes: Sequence[Route], stall: tuple[float, float] | None, seed: int, capacity: int
    ) -> None:
        super().__init__(("127.0.0.1", port), _Handler)
        self.capacity = threading.BoundedSemaphore(capacity)
        self.routes = {r.path: r for r in routes}
        self.stall = stall
        self.rng = random.Random(seed)
        self.lock = threading.Lock()
        self.requests = 0
        self.t0 = time.monotonic()

    def stall_wait(self) -> float:
        """Milliseconds this request waits because the server is in a stall window."""
        if self.stall is None:
            return 0.0
        length, period = self.stall
        phase = ((time.monotonic() - self.t0) * 1000) % period
        return length - phase if phase < length else 0.0

    def snapshot(self) -> dict[str, object]:
        with self.lock:
            return {
                "requests": self.requests,
                "routes": {
                    r.path: {"spec": r.spec, "count": len(r.delays), "delays_ms": list(r.delays)}
                    for r in self.routes.values()
                },
            }


def main(argv: Sequence[str] | None = None) -> int:
    """Run the server until SIGTERM/SIGINT; print its URL first."""
    parser = argparse.ArgumentParser(
        prog="python -m loadtests.latency_server",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--port", type=int, default=0, help="TCP port on 127.0.0.1 (0: any free port)")
    parser.add_argument("--route", type=parse_route, action="append", default=[], metavar="PATH=SPEC")
    parser.add_argument(
        "--stall", metavar="MS/PERIOD_MS", help="stall every request for MS in each PERIOD_MS"
    )
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--capacity",
        type=int,
        default=10000,
        help="requests handled at once; the rest queue (default: no limit)",
    )
    args = parser.parse_args(argv)
    stall = None
    if args.stall:
        match = re.fullmatch(r"(\d+(?:\.\d+)?)/(\d+(?:\.\d+)?)", args.stall)
        if not match:
            parser.error("--stall: write MS/PERIOD_MS, e.g. 1000/10000")
        stall = (float(match[1]), float(match[2]))
    server = _Server(args.port, args.route, stall, args.seed, args.capacity)
    signal.signal(signal.SIGTERM, lambda *_: threading.Thread(target=server.shutdown).start())
    print(f"listening on http://127.0.0.1:{server.server_address[1]}", flush=True)
    with contextlib.suppress(KeyboardInterrupt):
        server.serve_forever(poll_interval=0.2)
    server.server_close()
    return 0


class LatencyServer:
    """``with LatencyServer(["/api=fixed:20"]) as srv: srv.url`` — the server as a real subprocess."""

    def __init__(
        self, routes: Sequence[str] = (), stall: str | None = None, seed: int = 1, capacity: int | None = None
    ) -> None:
        self.args = [arg for r in routes for arg in ("--route", r)] + (["--stall", stall] if stall else [])
        self.args += ["--seed", str(seed)] + (["--capacity", str(capacity)] if capacity else [])
        self.url = ""
        self.proc: subprocess.Popen[str] | None = None
        self._drainer: threading.Thread | None = None

    def start(self, timeout: float = 15.0) -> Self:
        """Start the process and read its URL; ``RuntimeError`` if it does not come up."""
        root = Path(__file__).resolve().parents[1]
        env = {
            **os.environ,
            "PYTHONPATH": os.pathsep.join(filter(None, [str(root), os.environ.get("PYTHONPATH")])),
        }
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "loadtests.latency_server", "--port", "0", *self.args],
            cwd=root,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        line = self._readline(self.proc.stdout, timeout)
        if not line.startswith("listening on "):
            self.stop()
            rest = self.proc.stdout.read() if self.proc.stdout else ""
            raise RuntimeError(f"latency server did not start: {(line + rest).strip()[-800:]}")
        self.url = line.split()[-1]
        # Keep reading: a server whose output pipe fills up would block in the middle of a request.
        self._drainer = threading.Thread(target=self._drain, daemon=True)
        self._drainer.start()
        return self

    def _drain(self) -> None:
        stream = self.proc.stdout if self.proc else None
        if stream is not None:
            for _ in stream:
                pass

    @staticmethod
    def _readline(stream: IO[str] | None, timeout: float) -> str:
        result: list[str] = []
        reader = threading.Thread(
            target=lambda: result.append(stream.readline() if stream else ""), daemon=True
        )
        reader.start()
        reader.join(timeout)
        return result[0] if result else ""

    @property
    def pid(self) -> int:
        """Process id of the server."""
        assert self.proc is not None
        return self.proc.pid

    def stats(self) -> dict[str, object]:
        """What the server did so far: requests and the delays it applied per route."""
        import urllib.request

        with urllib.request.urlopen(self.url + STATS_PATH, timeout=10) as resp:
            data: dict[str, object] = json.loads(resp.read())
            return data

    def stop(self) -> None:
        """Terminate the server (kill it if it lingers) and close its output pipe."""
        if self.proc is None:
            return
        stop_process(self.proc)
        if self._drainer is not None:
            self._drainer.join(timeout=5)
        if self.proc.stdout is not None:
            self.proc.stdout.close()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()


if __name__ == "__main__":
    sys.exit(main())
