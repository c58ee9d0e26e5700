"""The building blocks of profile sections: the base model, constrained types and their validators."""

from __future__ import annotations

from typing import Annotated

from packaging.specifiers import InvalidSpecifier, SpecifierSet
from pydantic import AfterValidator, BaseModel, ConfigDict, Field


def version_specifier(text: str) -> SpecifierSet:
    """Parse a version requirement: ``">=16"``, ``">=7,<8"``, or a bare ``"16"`` meaning ``"==16.*"``."""
    raw = text.strip()
    if raw and raw[0].isdigit():
        raw = f"=={raw}" if raw.count(".") >= 2 else f"=={raw}.*"
    try:
        return SpecifierSet(raw)
    except InvalidSpecifier:
        raise ValueError(
            f'{text!r} is not a version requirement (write e.g. ">=16", ">=7,<8" or "16")'
        ) from None


def _check_specifier(text: str) -> str:
    version_specifier(text)
    return text


def _check_path(path: str) -> str:
    if not path.startswith("/"):
        raise ValueError(f"{path!r} must be an absolute URL path starting with '/'")
    return path


def split_address(address: str) -> tuple[str, int]:
    """``127.0.0.1:9200`` / ``[::1]:9200`` / ``localhost:9200`` → host and port (ValueError otherwise)."""
    host, sep, port = address.rpartition(":")
    if not sep or not host or not port.isascii() or not port.isdigit() or not 0 < int(port) < 65536:
        raise ValueError(f"{address!r} is not HOST:PORT (e.g. 127.0.0.1:9200)")
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    elif ":" in host:
        raise ValueError(f"{address!r}: write an IPv6 address in brackets, e.g. [::1]:9200")
    return host, int(port)


def _check_address(address: str) -> str:
    split_address(address)
    return address


VersionSpec = Annotated[str, AfterValidator(_check_specifier)]
UrlPath = Annotated[str, AfterValidator(_check_path)]
HostPort = Annotated[str, AfterValidator(_check_address)]
PositiveInt = Annotated[int, Field(gt=0)]
NonNegInt = Annotated[int, Field(ge=0)]
PositiveFloat = Annotated[float, Field(gt=0)]


class Section(BaseModel):
    """Base of every profile model: immutable, unknown keys rejected, numbers finite (no .inf/.nan)."""

    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False, defer_build=True)
