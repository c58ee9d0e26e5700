"""Run a command and print, as the last line, JSON with its exit code, wall time and peak RSS (MiB).

    python measure.py -- COMMAND ...

The peak comes from ``getrusage(RUSAGE_CHILDREN)`` of this wrapper: the largest resident set of any child
it waited for (stackcheck and everything it started and waited for).
"""

from __future__ import annotations

import json
import resource
import subprocess
import sys
import time

argv = sys.argv[sys.argv.index("--") + 1 :]
start = time.monotonic()
proc = subprocess.run(argv, capture_output=True, text=True, check=False)
wall = time.monotonic() - start
peak_mib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
sys.stdout.write(proc.stdout)
sys.stderr.write(proc.stderr)
print(json.dumps({"code": proc.returncode, "wall_s": round(wall, 1), "peak_mib": round(peak_mib, 1)}))
