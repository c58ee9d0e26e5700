"""The profile's JSON Schema (for editors) and the Markdown profile reference, both from the models."""

from __future__ import annotations

import inspect
import json
import types
import typing
from collections.abc import Collection, Mapping, Sequence
from typing import Any

from pydantic import BaseModel
from pydantic_core import PydanticUndefined

from stackcheck.profile.models import Profile

__all__ = ["field_table", "profile_json_schema", "render_profile_reference", "schema_text"]

SCHEMA_ID = "https://stackcheck.dev/schemas/profile.schema.json"


def profile_json_schema() -> dict[str, Any]:
    """The JSON Schema of a profile file (draft 2020-12), as committed in ``policies/``."""
    schema = Profile.model_json_schema(mode="validation")
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", "$id": SCHEMA_ID, **schema}


def schema_text() -> str:
    """The schema exactly as ``stackcheck profile schema`` prints it and ``policies/`` stores it."""
    return json.dumps(profile_json_schema(), indent=2, sort_keys=True) + "\n"


def _type_name(annotation: Any) -> str:
    origin = typing.get_origin(annotation)
    args = typing.get_args(annotation)
    if origin is typing.Annotated:
        return _type_name(args[0])
    if origin in (typing.Union, types.UnionType):
        return " | ".join(_type_name(a) for a in args)
    if origin is typing.Literal:
        return " | ".join(json.dumps(a) for a in args)
    if origin in (list, tuple):
        return f"list[{_type_name(args[0])}]"
    if annotation is typing.Any:
        return "any"
    if origin is dict:
        return f"map[{_type_name(args[0])}, {_type_name(args[1])}]"
    if annotation is type(None):
        return "null"
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return f"`{annotation.__name__}`"
    return getattr(annotation, "__name__", str(annotation))


def _default(field: Any) -> str:
    if field.default is PydanticUndefined and field.default_factory is None:
        return "**required**"
    value = field.default_factory() if field.default_factory is not None else field.default
    if isinstance(value, BaseModel):
        return "(empty object)"
    return f"`{json.dumps(value, default=str)}`"


def field_table(model: type[BaseModel]) -> list[str]:
    """A Markdown table of a model's fields: key, type, default, meaning."""
    lines = ["| key | type | default | meaning |", "|---|---|---|---|"]
    for name, field in model.model_fields.items():
        name = field.alias or name
        type_text = _type_name(field.annotation).replace("|", "\\|")
        lines.append(f"| `{name}` | {type_text} | {_default(field)} | {field.description or ''} |")
    return lines


def _nested(annotation: Any) -> type[BaseModel] | None:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in typing.get_args(annotation):
        inner = _nested(arg)
        if inner is not None:
            return inner
    return None


def _readers_line(
    name: str, readers: Mapping[str, Sequence[str]], run_sections: Collection[str]
) -> list[str]:
    if readers.get(name):
        return ["", "Read by " + ", ".join(f"`{check}`" for check in readers[name]) + "."]
    if name in run_sections:
        return []
    return [
        "",
        "**No check reads this section yet.** Its keys record what the architecture promises, but no "
        "result verifies them: a claim whose `verified_by` names them ends `not_run` (docs/claims.md); "
        "write such a claim as `manual`, with the reason, until a check reads them.",
    ]


def render_profile_reference(
    readers: Mapping[str, Sequence[str]] | None = None, run_sections: Collection[str] = ()
) -> str:
    """Markdown reference of every profile key, generated from the models (``docs/profile.md``).

    ``readers`` (section → check ids, from the catalog) adds a "Read by" line to each section, or says that
    no check reads it (except the ``run_sections``, which configure the run itself).
    """
    out = [
        "# Profile reference",
        "",
        "<!-- Generated from stackcheck.profile.models (`nox -s docs`). Do not edit. -->",
        "",
        "A profile is a YAML file; every section is optional (an absent section skips its checks) and",
        "unknown keys are errors. `extends:` overlays other profiles (deep merge; later wins) and",
        "`--set key.path=value` overrides one key for one run. Editors can validate profiles against",
        "`policies/profile.schema.json`.",
        "",
        "## Top level",
        "",
        *field_table(Profile),
    ]
    for name, field in Profile.model_fields.items():
        model = _nested(field.annotation)
        if model is None:
            continue
        out += ["", f"## `{name}`", "", _doc(model)]
        if readers is not None:
            out += _readers_line(name, readers, run_sections)
        out += ["", *field_table(model)]
        # Models inside a section (the items of `load.endpoints` ...) get a table of their own; items of the
        # section's own model (`rate_limit.also`) have the keys of the table above, and say so.
        for key, inner in model.model_fields.items():
            item = _nested(inner.annotation)
            if item is not None and not issubclass(model, item):
                out += ["", f"### `{name}.{inner.alias or key}`: `{item.__name__}`", "", _doc(item)]
                out += ["", *field_table(item)]
    return "\n".join(out) + "\n"


def _doc(model: type[BaseModel]) -> str:
    """A model's docstring without its source indentation."""
    return inspect.cleandoc(model.__doc__ or "")
