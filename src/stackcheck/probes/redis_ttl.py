"""Sampling the keys of a pattern and reading their TTLs, bounded, without touching them.

``SCAN MATCH`` (never ``KEYS``: it blocks the server for the whole keyspace) is called at most
:data:`MAX_SCAN_CALLS` times and for at most :data:`SCAN_BUDGET_S` seconds per pattern; at most ``limit``
keys are read. ``PTTL`` and ``OBJECT IDLETIME`` do not update a key's access time (``LOOKUP_NOTOUCH``), so
reading them changes nothing a later read would see.

**What a remaining TTL proves.** A TTL counts down: a key set with a TTL of ``T`` seconds is seen, ``age``
seconds later, with ``T - age`` left. So a remaining TTL above ``max_s`` proves it was set above ``max_s``;
one below ``min_s`` proves nothing (an old key). ``OBJECT IDLETIME`` (seconds since the key was last
touched, which a write or ``EXPIRE`` does) is at most the key's age, so ``remaining + idle`` is a lower
bound of the TTL it was set with: above ``max_s`` (with :data:`CLOCK_SLACK_S` for Redis' one-second LRU
clock) it proves a TTL set too long even after it has counted below ``max_s``. It is never an upper bound,
so ``min_s`` stays unjudged.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from typing import Any

import redis

from stackcheck._exceptions import CouldNotCheck, ErrorReason
from stackcheck.redact import secret_tag

__all__ = [
    "CLOCK_SLACK_S",
    "MAX_SCAN_CALLS",
    "SCAN_BUDGET_S",
    "KeyTtl",
    "TtlSample",
    "key_label",
    "sample_ttls",
]

MAX_SCAN_CALLS = 200
SCAN_BUDGET_S = 5.0
SCAN_COUNT = 500  # SCAN's COUNT hint: buckets visited per call
CLOCK_SLACK_S = 2.0
KEY_LABEL_CHARS = 120
_GLOB = re.compile(r"[*?\[\\]")


def key_label(key: bytes, pattern: str, show: bool) -> str:
    """A key name fit for a report: in full (capped) when ``show``, else the pattern's literal prefix, the
    length and a per-run tag of the rest (a session key's rest is often the session id itself)."""
    text = key.decode("utf-8", "replace")
    if show:
        return text if len(text) <= KEY_LABEL_CHARS else text[:KEY_LABEL_CHARS] + "…"
    glob = _GLOB.search(pattern)
    prefix = pattern[: glob.start()] if glob else pattern
    if not text.startswith(prefix) or len(prefix) > KEY_LABEL_CHARS:
        prefix = ""
    rest = text[len(prefix) :]
    return f"{prefix}<{len(rest)} chars #{secret_tag(rest)[:8]}>" if rest else prefix


@dataclass(frozen=True)
class KeyTtl:
    """One sampled key: its remaining TTL (``None``: no expiry) and idle time (``None``: unreadable)."""

    key: bytes
    remaining_s: float | None
    idle_s: int | None

    @property
    def set_at_least_s(self) -> float | None:
        """A lower bound of the TTL the key was set with (``remaining + idle``)."""
        if self.remaining_s is None:
            return None
        return self.remaining_s + (self.idle_s or 0)


@dataclass
class TtlSample:
    """What sampling one pattern found, and how far the scan got."""

    keys: list[KeyTtl] = field(default_factory=list)
    scan_calls: int = 0
    complete: bool = False  # the cursor came back to 0: every matching key was a candidate
    vanished: int = 0  # matched by SCAN, expired or deleted before PTTL
    idle_unreadable: str | None = None  # why OBJECT IDLETIME could not be read (LFU policy, ACL, ...)


def _scan(client: redis.Redis, pattern: str, limit: int, sample: TtlSample) -> list[bytes]:
    found: dict[bytes, None] = {}  # SCAN may return a key twice (rehashing): keep the first
    cursor: Any = 0
    deadline = time.monotonic() + SCAN_BUDGET_S
    while sample.scan_calls < MAX_SCAN_CALLS and time.monotonic() < deadline:
        cursor, batch = client.scan(cursor=cursor, match=pattern, count=SCAN_COUNT)
        sample.scan_calls += 1
        for key in batch:
            found.setdefault(key if isinstance(key, bytes) else str(key).encode(), None)
        if int(cursor) == 0:
            sample.complete = True
            break
        if len(found) >= limit:
            break
    return list(found)[:limit]


def _read(client: redis.Redis, keys: list[bytes], sample: TtlSample) -> None:
    pipe = client.pipeline(transaction=False)
    for key in keys:
        pipe.pttl(key)
        pipe.object("idletime", key)
    replies = pipe.execute(raise_on_error=False)
    for key, pttl, idle in zip(keys, replies[0::2], replies[1::2], strict=True):
        if isinstance(pttl, Exception):
            raise CouldNotCheck(f"the server refuses PTTL ({pttl})", ErrorReason.ACCESS_DENIED)
        if int(pttl) == -2:  # gone between SCAN and PTTL
            sample.vanished += 1
            continue
        if isinstance(idle, Exception):
            sample.idle_unreadable = sample.idle_unreadable or str(idle)
            idle = None
        remaining = None if int(pttl) == -1 else int(pttl) / 1000
        sample.keys.append(KeyTtl(key, remaining, None if idle is None else int(idle)))


def sample_ttls(client: redis.Redis, pattern: str, limit: int) -> TtlSample:
    """Up to ``limit`` keys matching ``pattern`` with their TTLs; refusals are :class:`CouldNotCheck`."""
    sample = TtlSample()
    try:
        keys = _scan(client, pattern, limit, sample)
        for start in range(0, len(keys), 100):
            _read(client, keys[start : start + 100], sample)
    except redis.exceptions.NoPermissionError as exc:
        raise CouldNotCheck(
            f"the server refuses SCAN/PTTL to stackcheck's user ({exc}); allow +scan +pttl +object|idletime "
            "on the keys (~pattern)",
            ErrorReason.ACCESS_DENIED,
        ) from None
    except redis.ResponseError as exc:
        raise CouldNotCheck(f"the server refuses SCAN ({exc})", ErrorReason.ACCESS_DENIED) from None
    return sample
