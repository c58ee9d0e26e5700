"""Compare a profile's PostgreSQL setting with the server's, the way PostgreSQL itself reads units.

``pg_settings`` reports each value in its base unit (``shared_buffers`` in ``8kB`` pages, timeouts in ``ms``
or ``s``). A profile writes what a human writes (``256MB``, ``30s``, ``0.9``, ``on``). :func:`compare_setting`
converts the profile's value into the server's unit — exactly as ``SET``/``postgresql.conf`` would — and also
renders the server's value back in the profile's unit, so evidence reads ``expected 256MB, observed 128MB``.
"""

from __future__ import annotations

import math
import re
import shlex
from dataclasses import dataclass

__all__ = [
    "ROLE_SOURCES",
    "ServerSetting",
    "SettingComparison",
    "command_line_settings",
    "compare_setting",
    "in_base_unit",
    "parse_quantity",
]

# pg_settings sources that belong to one session, not to every new session on the database: a per-role
# (ALTER ROLE ... SET) or per-role-in-database setting, the client's startup options (PGOPTIONS, the DSN's
# `options`), or a SET in the session. A value from one of these is not the server's.
ROLE_SOURCES = frozenset({"user", "database user", "client", "session", "interactive", "test"})

# Memory units are powers of 1024 and time units the usual ones, as in PostgreSQL's guc.c.
_MEMORY: dict[str, int] = {"B": 1, "kB": 1024, "MB": 1024**2, "GB": 1024**3, "TB": 1024**4}
_TIME: dict[str, float] = {
    "us": 0.001,
    "ms": 1.0,
    "s": 1000.0,
    "min": 60_000.0,
    "h": 3_600_000.0,
    "d": 86_400_000.0,
}
_QUANTITY = re.compile(r"^\s*([-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?)\s*([A-Za-z]*)\s*$")
_TRUE = {"on", "true", "yes", "1", "t", "y"}
_FALSE = {"off", "false", "no", "0", "f", "n"}
# List-valued string settings whose order does not matter.
_UNORDERED_LISTS = {"shared_preload_libraries", "session_preload_libraries", "local_preload_libraries"}


@dataclass(frozen=True)
class ServerSetting:
    """One row of ``pg_settings``: the active value, its base unit and type."""

    name: str
    setting: str
    unit: str | None
    vartype: str  # bool, integer, real, string, enum


@dataclass(frozen=True)
class SettingComparison:
    """Outcome of comparing one profile value with the server's setting."""

    matches: bool
    expected: str
    observed: str
    unit: str | None
    note: str = ""


def _unit_scale(unit: str) -> tuple[str, float] | None:
    """``"8kB"`` → ``("memory", 8192)``, ``"ms"`` → ``("time", 1.0)``; ``None`` for unknown units."""
    match = re.match(r"^(\d*)\s*([A-Za-z]+)$", unit)
    if not match:
        return None
    factor = int(match.group(1) or 1)
    base = match.group(2)
    if base in _MEMORY:
        return "memory", factor * _MEMORY[base]
    if base in _TIME:
        return "time", factor * _TIME[base]
    return None


def parse_quantity(text: str) -> tuple[float, str]:
    """``"256MB"`` → ``(256.0, "MB")``; ``"0.9"`` → ``(0.9, "")``. ``ValueError`` when it is no number."""
    match = _QUANTITY.match(text)
    if not match:
        raise ValueError(f"{text!r} is not a number with an optional unit")
    return float(match.group(1)), match.group(2)


def _fmt(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


def _as_text(value: str | int | float | bool) -> str:
    if isinstance(value, bool):
        return "on" if value else "off"
    return str(value)


def _compare_numeric(expected: str | int | float | bool, server: ServerSetting) -> SettingComparison:
    observed_base = float(server.setting)
    text = _as_text(expected)
    number, unit = parse_quantity(text)
    server_scale = _unit_scale(server.unit) if server.unit else None
    if unit:
        scale = _unit_scale(unit)
        if server_scale is None or scale is None or scale[0] != server_scale[0]:
            kind = server_scale[0] if server_scale else "unitless"
            raise ValueError(
                f"unit {unit!r} does not fit {server.name} ({kind}, base unit {server.unit or 'none'})"
            )
        wanted_base = number * scale[1] / server_scale[1]
        observed_in_profile_unit = observed_base * server_scale[1] / scale[1]
        observed_text = f"{_fmt(round(observed_in_profile_unit, 6))}{unit}"
    else:
        # A bare number is read in the setting's base unit, exactly as PostgreSQL does.
        wanted_base = number
        unit = server.unit or ""
        observed_text = _fmt(observed_base)
    if server.vartype == "integer":
        # PostgreSQL rounds a value given in a finer unit to the nearest base unit.
        wanted_base = float(math.floor(wanted_base + 0.5))
        matches = int(wanted_base) == int(observed_base)
    else:
        matches = math.isclose(wanted_base, observed_base, rel_tol=1e-9, abs_tol=1e-12)
    note = f"server: {server.setting}{' x ' + server.unit if server.unit else ''}"
    return SettingComparison(matches, text, observed_text, unit or None, note)


def _split_list(value: str) -> list[str]:
    return [part.strip().strip('"') for part in value.split(",") if part.strip()]


def compare_setting(expected: str | int | float | bool, server: ServerSetting) -> SettingComparison:
    """Compare a profile value with the server's active setting, normalising units and spellings.

    ``ValueError`` means the profile value cannot be a value of this setting (a usage problem, e.g. ``256MB``
    for a boolean); the caller reports it as such rather than as non-compliance.
    """
    if server.vartype == "bool":
        text = _as_text(expected).strip().lower()
        if text not in _TRUE | _FALSE:
            raise ValueError(f"{server.name} is a boolean; write on/off, got {expected!r}")
        wanted = "on" if text in _TRUE else "off"
        return SettingComparison(wanted == server.setting, wanted, server.setting, None)
    if server.vartype in ("integer", "real"):
        return _compare_numeric(expected, server)
    text = _as_text(expected).strip()
    if server.vartype == "enum":
        return SettingComparison(text.lower() == server.setting.lower(), text, server.setting, None)
    if server.name in _UNORDERED_LISTS:
        matches = sorted(_split_list(text)) == sorted(_split_list(server.setting))
        return SettingComparison(matches, text, server.setting, None, "compared as an unordered list")
    if "," in text or "," in server.setting:
        return SettingComparison(_split_list(text) == _split_list(server.setting), text, server.setting, None)
    return SettingComparison(text == server.setting, text, server.setting, None)


def in_base_unit(text: str, server: ServerSetting) -> str:
    """A setting's value as written (``'30s'``, ``'on'``) in the form ``pg_settings.setting`` shows it
    for ``server``'s unit and type (``'30000'`` for a ``ms`` setting); ``ValueError`` if it is no value."""
    if server.vartype == "bool":
        lowered = text.strip().lower()
        if lowered not in _TRUE | _FALSE:
            raise ValueError(f"{text!r} is not a boolean")
        return "on" if lowered in _TRUE else "off"
    if server.vartype not in ("integer", "real"):
        return text.strip()
    number, unit = parse_quantity(text)
    server_scale = _unit_scale(server.unit) if server.unit else None
    if unit:
        scale = _unit_scale(unit)
        if server_scale is None or scale is None or scale[0] != server_scale[0]:
            raise ValueError(f"unit {unit!r} does not fit {server.name}")
        number = number * scale[1] / server_scale[1]
    if server.vartype == "integer":
        return str(math.floor(number + 0.5))
    return _fmt(number)


def command_line_settings(postmaster_opts: str) -> dict[str, str]:
    """``-c name=value`` and ``--name=value`` of the server's command line (``postmaster.opts``)."""
    try:
        words = shlex.split(postmaster_opts)
    except ValueError:
        return {}
    found: dict[str, str] = {}
    for i, word in enumerate(words):
        pair = words[i + 1] if word == "-c" and i + 1 < len(words) else None
        if pair is None and word.startswith("--") and "=" in word:
            pair = word[2:]
        if pair and "=" in pair:
            name, value = pair.split("=", 1)
            found[name.strip().lower().replace("-", "_")] = value
    return found
