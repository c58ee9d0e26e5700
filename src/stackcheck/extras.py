"""Which optional part of stackcheck (an *extra*) provides which package, and the one line that says so.

The core (pytest, pydantic, PyYAML, httpx, packaging, prometheus-client) is always installed; the heavy parts
are extras of the distribution (``pyproject.toml``, docs/install.md): a user who verifies only an HTTP surface
needs none of them. Code that needs one imports it where it is used, after :func:`require` (or asks
:func:`missing` first), so that an absent extra is one clear line naming it — an ``error`` outcome (could
not check), never ``failed`` and never a traceback.
"""

from __future__ import annotations

import importlib.util
import sys
from importlib.machinery import ModuleSpec
from typing import Literal

from stackcheck._exceptions import CouldNotCheck, ErrorReason

__all__ = [
    "EXTRAS",
    "SERVICE_CLIENTS",
    "Extra",
    "extra_of",
    "install_hint",
    "missing",
    "missing_message",
    "require",
]

Extra = Literal["data", "tls", "load", "inputs"]

# The one place that knows it: top-level module → (extra, what needs it). pyproject.toml's extras match.
EXTRAS: dict[str, tuple[Extra, str]] = {
    "psycopg": ("data", "the data layer"),
    "redis": ("data", "the data layer"),
    "testcontainers": ("data", "the docker provider"),
    "docker": ("data", "the docker provider"),
    "sslyze": ("tls", "the tls suite"),
    "locust": ("load", "the load stage"),
    "schemathesis": ("inputs", "inputs.schema"),
}

# The client stackcheck talks to each server it starts or checks with (readiness, the checks).
SERVICE_CLIENTS: dict[str, str] = {"postgres": "psycopg", "redis": "redis"}


def install_hint(extra: Extra) -> str:
    """How to install ``extra``: from a built wheel's name or from a checkout (no package index needed)."""
    return f"pip install 'stackcheck[{extra}]' (or from a checkout: pip install '.[{extra}]')"


def missing_message(module: str) -> str:
    """The one line for an absent ``module`` (a key of :data:`EXTRAS`): what needs it and how to install."""
    extra, needs = EXTRAS[module.partition(".")[0]]
    return f"{needs} needs {module.partition('.')[0]}: {install_hint(extra)}"


def missing(module: str) -> str | None:
    """``None`` when ``module`` (a key of :data:`EXTRAS`) can be imported, else :func:`missing_message`.

    Finds the module without importing it (importing docker or locust is slow, locust patches the process);
    ``sys.modules[name] = None`` (how the unit tests simulate an absent package) counts as absent.
    """
    top = module.partition(".")[0]
    if top in sys.modules:
        loaded = sys.modules[top]
        found = loaded is not None and _installed(getattr(loaded, "__spec__", None))
    else:
        try:
            found = _installed(importlib.util.find_spec(top))
        except (ImportError, ValueError):  # a broken or half-removed install is as good as absent
            found = False
    return None if found else missing_message(top)


def _installed(spec: ModuleSpec | None) -> bool:
    """Whether ``spec`` is an installed package: a folder that merely shares its name (the built-in suite
    folder ``suites/redis`` on a run's ``sys.path``) is a namespace package, with no origin."""
    return spec is not None and spec.origin is not None


def require(*modules: str) -> None:
    """Raise :class:`CouldNotCheck` (``tool_missing``) naming the extra when one of ``modules`` is absent;
    the caller then imports them where it uses them."""
    for module in modules:
        message = missing(module)
        if message is not None:
            raise CouldNotCheck(message, ErrorReason.TOOL_MISSING)


def extra_of(exc: BaseException) -> str | None:
    """:func:`missing_message` when ``exc`` (or what it was raised from) is the import of an absent
    extra's package, else ``None``: a suite module that cannot be imported for that reason is "could not
    check", not a broken suite."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, ModuleNotFoundError) and current.name:
            top = current.name.partition(".")[0]
            if top in EXTRAS:
                return missing_message(top)
        current = current.__cause__ or current.__context__
    return None
