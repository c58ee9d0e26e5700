"""Parameters the stackcheck policies take from the profile, read at scan time.

``stackcheck scan`` copies this folder to a scratch directory and writes ``stackcheck-params.txt`` (JSON)
next to this file (allowed regions, promised Postgres/Redis majors, whether Redis must persist, the
``scan.build`` claims).
Run directly with checkov, without that file, every parameterised policy uses the defaults below: no
region restriction, no promised major (the image must still name a numeric major), no persistence
requirement.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

PARAMS_FILE = "stackcheck-params.txt"  # not .json: checkov would load it as a policy
DEFAULTS: dict[str, Any] = {
    "allowed_regions": [],  # empty: any region
    "postgres_majors": [],  # empty: any numeric major
    "redis_majors": [],
    "redis_appendonly": None,  # None: not promised either way
    "build": {},  # scan.build: an absent key promises nothing
}

# Names of settings that hold credentials; a literal value under such a name is a leaked secret.
SECRET_NAME = re.compile(
    r"(PASSWORD|PASSWD|PWD|SECRET|TOKEN|API_?KEY|PRIVATE_?KEY|ACCESS_?KEY|CREDENTIAL|AUTH)", re.I
)
# A connection URL carrying a password: scheme://user:password@host
URL_WITH_PASSWORD = re.compile(r"^[a-z][a-z0-9+.-]*://[^/@:\s]+:([^/@\s]+)@", re.I)
# `*_FILE` settings name the file a secret is read from; their value is a path.
FILE_NAME = re.compile(r"_FILE$", re.I)
FILE_PATH = re.compile(r"^(/|\./|\.\./|~/)[^\s]*$")
# Values that reference a secret instead of holding it.
REFERENCE = re.compile(r"^\s*(\$\{|\$\(|\$[A-Za-z_]|\{\{|var\.|local\.|data\.|module\.)")


def params() -> dict[str, Any]:
    """The parameters of this scan (defaults when stackcheck did not write the file)."""
    path = Path(__file__).with_name(PARAMS_FILE)
    merged = dict(DEFAULTS)
    if path.is_file():
        merged.update(json.loads(path.read_text(encoding="utf-8")))
    return merged


def is_secret_literal(name: str, value: Any) -> bool:
    """Whether ``name: value`` writes a credential literally (not a ``${VAR}``/``secrets.X`` reference)."""
    if not isinstance(value, (str, int, float)) or isinstance(value, bool):
        return False
    text = str(value).strip()
    if not text:
        return False
    match = URL_WITH_PASSWORD.match(text)
    if match:
        return not REFERENCE.match(match.group(1))
    if not SECRET_NAME.search(name):
        return False
    # The Docker secrets convention (POSTGRES_PASSWORD_FILE=/run/secrets/db_password): a path to the
    # secret, not the secret.
    if FILE_NAME.search(name) and FILE_PATH.match(text):
        return False
    # Terraform references arrive from checkov's HCL parser as "${var.x}" or "var.x"; bare resource
    # attributes (neon_database.x.password) are references too.
    return not (REFERENCE.match(text) or re.fullmatch(r"[a-z_][a-z0-9_]*(\.[A-Za-z0-9_\[\]\"*-]+)+", text))


def image_major(image: str) -> int | None:
    """``postgres:16-alpine`` → 16; ``redis:latest`` or an untagged image → None."""
    ref = image.split("@", 1)[0]
    name, _, tag = ref.rpartition(":")
    if not name or "/" in tag:
        return None
    match = re.match(r"^(\d+)", tag)
    return int(match.group(1)) if match else None


def image_name(image: str) -> str:
    """``library/postgres:16`` → ``postgres``."""
    ref = image.split("@", 1)[0]
    last = ref.rsplit("/", 1)[-1]
    return last.split(":", 1)[0]


_DURATION_PART = re.compile(r"(\d+(?:\.\d+)?)(ns|us|ms|s|m|h)")
_DURATION_UNIT = {"ns": 1e-9, "us": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}


def build_promise(key: str) -> Any:
    """One ``scan.build`` claim of the profile, or None when it promises nothing."""
    value = params().get("build", {}).get(key)
    return None if value in (None, {}, []) else value


def first(value: Any) -> Any:
    """An HCL attribute as checkov's parser gives it (``[80]``, ``[{...}]``) → its one value (80, {...})."""
    return value[0] if isinstance(value, list) and value else value


def unresolved(value: Any) -> bool:
    """Whether a Terraform value is still a variable or local (``${var.x}``, ``var.x``): not judged."""
    return isinstance(value, str) and ("${" in value or value.startswith(("var.", "local.")))


def seconds(duration: str) -> float | None:
    """A Docker duration (``30s``, ``1m30s``, ``500ms``) in seconds; None when it is not one."""
    text = duration.strip()
    if not text or _DURATION_PART.sub("", text):
        return None
    return sum(float(n) * _DURATION_UNIT[u] for n, u in _DURATION_PART.findall(text))
