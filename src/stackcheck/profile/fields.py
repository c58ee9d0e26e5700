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


VersionSpec = Annotated[str, AfterValidator(_check_specifier)]
UrlPath = Annotated[str, AfterValidator(_check_path)]
PositiveInt = Annotated[int, Field(gt=0)]
NonNegInt = Annotated[int, Field(ge=0)]
PositiveFloat = Annotated[float, Field(gt=0)]


class Section(BaseModel):
    """Base of every profile model: immutable, unknown keys rejected, numbers finite (no .inf/.nan)."""

    model_config = ConfigDict(frozen=True, extra="forbid", allow_inf_nan=False)
