"""Turn pydantic's validation errors into short sentences a profile author can act on."""

from __future__ import annotations

from typing import Any

from pydantic_core import ErrorDetails

__all__ = ["describe_error"]

_TEMPLATES: dict[str, str] = {
    "missing": "required key is missing",
    "extra_forbidden": "unknown key (check the spelling; `stackcheck profile schema` lists every key)",
    "greater_than": "must be greater than {gt}",
    "greater_than_equal": "must be at least {ge}",
    "less_than": "must be less than {lt}",
    "less_than_equal": "must be at most {le}",
    "int_type": "must be a whole number",
    "int_parsing": "must be a whole number",
    "int_from_float": "must be a whole number",
    "float_type": "must be a number",
    "float_parsing": "must be a number",
    "bool_type": "must be true or false",
    "bool_parsing": "must be true or false",
    "string_type": "must be a string",
    "list_type": "must be a list",
    "dict_type": "must be a mapping",
    "model_type": "must be a mapping of keys",
    "model_attributes_type": "must be a mapping of keys",
    "date_from_datetime_parsing": "must be a date (YYYY-MM-DD)",
    "date_parsing": "must be a date (YYYY-MM-DD)",
    "date_type": "must be a date (YYYY-MM-DD)",
    "string_too_short": "must not be empty",
}


def describe_error(error: ErrorDetails) -> str:
    """One clause for one pydantic error, e.g. ``must be greater than 0 (got -5)``."""
    kind = error["type"]
    ctx: dict[str, Any] = dict(error.get("ctx") or {})
    if kind == "value_error":
        text = str(ctx.get("error", error["msg"]))
    elif kind == "literal_error":
        text = f"must be one of {ctx.get('expected', '')}"
    elif kind in _TEMPLATES:
        try:
            text = _TEMPLATES[kind].format(**ctx)
        except (KeyError, IndexError):
            text = _TEMPLATES[kind]
    else:
        text = error["msg"][:1].lower() + error["msg"][1:]
    if kind not in {"missing", "extra_forbidden", "value_error"} and "input" in error:
        shown = repr(error["input"])
        if len(shown) <= 40:
            text += f" (got {shown})"
    return text
