"""Load a profile from YAML: positions for every key, ``extends:`` overlays, ``--set`` overrides.

Every error becomes one :class:`ProfileError` naming ``file:line:col`` and the dotted key, e.g.
``policies/profiles/x.yaml:12:3 rate_limit.requests: must be greater than 0``.
"""

from __future__ import annotations

import hashlib
import json
import stat
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from stackcheck._exceptions import ProfileError, UsageError
from stackcheck.profile.messages import describe_error
from stackcheck.profile.models import Profile

__all__ = ["KeyPath", "LoadedProfile", "Origin", "load_profile", "parse_set_option"]

KeyPath = tuple[str | int, ...]

# A profile is a page of YAML: these bounds are far above any real one and keep a hostile or mistyped
# file (a device, a FIFO, an alias bomb, a document nested thousands deep) from hanging or exhausting us.
MAX_BYTES = 1_000_000
MAX_DEPTH = 64
MAX_NODES = 100_000  # after alias expansion: "billion laughs" stays a one-line error
MAX_PATH_CHARS = 1024


@dataclass(frozen=True)
class Origin:
    """Where a key was written: a file position, or a ``--set`` option."""

    source: str
    line: int | None = None
    column: int | None = None


@dataclass(frozen=True)
class LoadedProfile:
    """A validated profile and where it came from."""

    profile: Profile
    path: Path
    files: tuple[Path, ...]
    sha256: str
    overrides: tuple[str, ...] = field(default_factory=tuple)
    # Where every key (and claim) was written: reports point at the line that makes a promise.
    origins: Mapping[KeyPath, Origin] = field(default_factory=dict, compare=False, repr=False)


# libyaml's parser when PyYAML has it (the pure-Python one took most of `profile validate`'s reading time).
_BASE_LOADER: Any = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _ProfileLoader(_BASE_LOADER):  # type: ignore[misc]
    """SafeLoader without implicit timestamps: `expires: 2027-02-30` reaches pydantic as text, which then
    reports it with its position instead of PyYAML raising a bare ValueError."""


_ProfileLoader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def _display(path: Path) -> str:
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def _positions(node: yaml.Node, source: str, prefix: KeyPath, out: dict[KeyPath, Origin]) -> None:
    """Record the position of every key (and list item) under ``node``; reject duplicate keys."""
    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for key_node, value_node in node.value:
            key = str(key_node.value)
            path = (*prefix, key)
            mark = key_node.start_mark
            if key in seen:
                dotted = dotted_key(path)
                raise ProfileError(
                    "duplicate key (the second one would silently win; keep one)",
                    source=source,
                    key=dotted,
                    line=mark.line + 1,
                    column=mark.column + 1,
                )
            seen.add(key)
            out[path] = Origin(source, mark.line + 1, mark.column + 1)
            _positions(value_node, source, path, out)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            path = (*prefix, index)
            out[path] = Origin(source, item.start_mark.line + 1, item.start_mark.column + 1)
            _positions(item, source, path, out)


def dotted_key(path: Iterable[str | int]) -> str:
    """``("waivers", 0, "expires")`` → ``waivers[0].expires``."""
    text = ""
    for part in path:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else part
    return text


def _unreadable(exc: BaseException, display: str) -> ProfileError:
    return ProfileError(f"cannot read the file ({exc.__class__.__name__}: {exc})", source=display)


def _read_text(path: Path, display: str) -> str:
    """The file's text: a regular file of at most :data:`MAX_BYTES`, in UTF-8."""
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        raise ProfileError("file not found (check the path)", source=display) from None
    except (OSError, ValueError) as exc:
        raise ProfileError(
            f"cannot read the file ({exc.__class__.__name__}: {exc})", source=display
        ) from None
    if stat.S_ISDIR(mode):
        raise ProfileError("is a folder; pass a profile YAML file", source=display)
    if not stat.S_ISREG(mode):
        raise ProfileError(
            "is not a regular file (a device, FIFO or socket); pass a YAML file", source=display
        )
    try:
        with path.open("rb") as handle:
            raw = handle.read(MAX_BYTES + 1)
    except OSError as exc:
        raise ProfileError(
            f"cannot read the file ({exc.__class__.__name__}: {exc})", source=display
        ) from None
    if len(raw) > MAX_BYTES:
        raise ProfileError(f"is larger than {MAX_BYTES:,} bytes: a profile is a page of YAML", source=display)
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ProfileError(f"is not UTF-8 text (byte {exc.start})", source=display) from None


def _check_shape(text: str, display: str) -> None:
    """Refuse nesting deeper than :data:`MAX_DEPTH` before PyYAML's recursive composer sees it."""
    depth = 0
    try:
        for event in yaml.parse(text, Loader=_ProfileLoader):
            if isinstance(event, yaml.CollectionStartEvent):
                depth += 1
                if depth > MAX_DEPTH:
                    mark = event.start_mark
                    raise ProfileError(
                        f"nested deeper than {MAX_DEPTH} levels",
                        source=display,
                        line=mark.line + 1 if mark else None,
                        column=mark.column + 1 if mark else None,
                    )
            elif isinstance(event, yaml.CollectionEndEvent):
                depth -= 1
    except yaml.YAMLError:
        return  # reported (with its position, where there is one) by the full parse


def _check_expansion(node: yaml.Node, display: str) -> None:
    """Refuse recursive aliases and documents that expand (through aliases) beyond the bounds."""
    sizes: dict[int, int] = {}
    active: set[int] = set()

    def size(current: yaml.Node, depth: int) -> int:
        key = id(current)
        if key in sizes:
            return sizes[key]
        if key in active:
            mark = current.start_mark
            raise ProfileError(
                "a YAML alias refers to a node that contains it (recursive alias)",
                source=display,
                line=mark.line + 1,
                column=mark.column + 1,
            )
        if depth > MAX_DEPTH:
            raise ProfileError(f"nested deeper than {MAX_DEPTH} levels (through aliases)", source=display)
        active.add(key)
        total = 1
        if isinstance(current, yaml.MappingNode):
            total += sum(size(k, depth + 1) + size(v, depth + 1) for k, v in current.value)
        elif isinstance(current, yaml.SequenceNode):
            total += sum(size(item, depth + 1) for item in current.value)
        active.discard(key)
        if total > MAX_NODES:
            raise ProfileError(
                f"expands to more than {MAX_NODES:,} values (YAML aliases repeated without bound?)",
                source=display,
            )
        sizes[key] = total
        return total

    size(node, 0)


def _read_yaml(path: Path, display: str) -> tuple[dict[str, Any], dict[KeyPath, Origin]]:
    text = _read_text(path, display)
    if not text.strip():
        raise ProfileError("the file is empty; a profile needs at least `name:`", source=display, line=1)
    _check_shape(text, display)
    try:
        loader = _ProfileLoader(text)
        try:
            node = loader.get_single_node()  # composed once: the bounds are checked, then it is built
            if node is not None:
                _check_expansion(node, display)
            data = loader.construct_document(node) if node is not None else None
        finally:
            loader.dispose()
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = exc.problem or exc.context or "invalid YAML"
        raise ProfileError(
            f"YAML syntax error: {problem}",
            source=display,
            line=mark.line + 1 if mark else None,
            column=mark.column + 1 if mark else None,
        ) from None
    except yaml.YAMLError as exc:
        raise ProfileError(f"YAML error: {str(exc).splitlines()[0]}", source=display) from None
    except (ValueError, RecursionError) as exc:  # e.g. an integer longer than Python converts
        detail = str(exc).splitlines()[0].split(";")[0][:200]
        raise ProfileError(f"unreadable value: {detail}", source=display) from None
    if node is None or data is None:
        raise ProfileError(
            "the file holds no YAML document; a profile needs at least `name:`", source=display
        )
    if not isinstance(data, dict):
        kind = "a list" if isinstance(data, list) else f"a {type(data).__name__}"
        raise ProfileError(
            f"the top level must be a mapping of sections (`name:`, `health:`, ...), not {kind}",
            source=display,
            line=node.start_mark.line + 1,
            column=node.start_mark.column + 1,
        )
    positions: dict[KeyPath, Origin] = {}
    _positions(node, display, (), positions)
    return data, positions


def _deep_merge(
    base: dict[str, Any],
    over: Mapping[str, Any],
    origins: dict[KeyPath, Origin],
    over_origins: Mapping[KeyPath, Origin],
    prefix: KeyPath = (),
) -> dict[str, Any]:
    """Overlay ``over`` on ``base``: mappings merge key by key, everything else is replaced."""
    merged = dict(base)
    for key, value in over.items():
        path = (*prefix, key)
        if path == ("claims",) and isinstance(value, list) and isinstance(merged.get(key), list):
            merged[key] = _merge_claims(merged[key], value, origins, over_origins)
        elif isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _deep_merge(merged[key], value, origins, over_origins, path)
            if path in over_origins:
                origins[path] = over_origins[path]
        else:
            merged[key] = value
            for p in [p for p in origins if p[: len(path)] == path]:
                del origins[p]
            for p, origin in over_origins.items():
                if p[: len(path)] == path:
                    origins[p] = origin
    return merged


def _claim_id(item: object) -> object:
    return item.get("id") if isinstance(item, dict) else None


def _merge_claims(
    base: list[Any], over: list[Any], origins: dict[KeyPath, Origin], over_origins: Mapping[KeyPath, Origin]
) -> list[Any]:
    """An overlay's claims join the base's: one with the id of a base claim replaces it, the others are added
    (a staging overlay adds its own claims without repeating production's)."""
    merged = list(base)
    index = {_claim_id(item): i for i, item in enumerate(merged) if _claim_id(item) is not None}
    for j, item in enumerate(over):
        i = index.get(_claim_id(item)) if _claim_id(item) is not None else None
        if i is None:
            i = len(merged)
            merged.append(item)
        else:
            merged[i] = item
        for p in [p for p in origins if p[:2] == ("claims", i)]:
            del origins[p]
        for p, origin in over_origins.items():
            if p[:2] == ("claims", j):
                origins[("claims", i, *p[2:])] = origin
    return merged


def _resolve(path: Path, chain: tuple[Path, ...]) -> tuple[dict[str, Any], dict[KeyPath, Origin], list[Path]]:
    display = _display(path)
    data, positions = _read_yaml(path, display)
    parents = data.get("extends")
    if parents is None:
        return data, positions, [path]
    names = [parents] if isinstance(parents, str) else parents
    if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
        origin = positions.get(("extends",), Origin(display))
        raise ProfileError(
            "must be a file name or a list of file names",
            source=display,
            key="extends",
            line=origin.line,
            column=origin.column,
        )
    merged: dict[str, Any] = {}
    origins: dict[KeyPath, Origin] = {}
    files: list[Path] = []
    for index, name in enumerate(names):
        origin = positions.get(("extends", index)) or positions.get(("extends",), Origin(display))
        if "\x00" in name or len(name) > MAX_PATH_CHARS:
            raise ProfileError(
                f"must be a file name (at most {MAX_PATH_CHARS} characters, no NUL)",
                source=display,
                key="extends",
                line=origin.line,
                column=origin.column,
            )
        parent = (path.parent / name).resolve()
        if parent in chain or parent == path.resolve():
            cycle = " -> ".join(_display(p) for p in (*chain, path.resolve(), parent))
            raise ProfileError(
                f"`extends` cycle: {cycle}",
                source=display,
                key="extends",
                line=origin.line,
                column=origin.column,
            )
        if not parent.is_file():
            raise ProfileError(
                f"extends {name!r}, but {_display(parent)} does not exist (paths are relative to this file)",
                source=display,
                key="extends",
                line=origin.line,
                column=origin.column,
            )
        pdata, porigins, pfiles = _resolve(parent, (*chain, path.resolve()))
        pdata.pop("extends", None)
        merged = _deep_merge(merged, pdata, origins, porigins)
        files.extend(pfiles)
    merged = _deep_merge(merged, data, origins, positions)
    files.append(path)
    return merged, origins, files


def _field_names(model: type[BaseModel]) -> list[str]:
    return list(model.model_fields)


def _section_model(model: type[BaseModel], name: str) -> type[BaseModel] | None:
    """The nested model class of field ``name`` (unwrapping ``X | None``), if it is one."""
    annotation = model.model_fields[name].annotation
    candidates = getattr(annotation, "__args__", (annotation,))
    for candidate in candidates:
        if isinstance(candidate, type) and issubclass(candidate, BaseModel):
            return candidate
    return None


def parse_set_option(option: str) -> tuple[list[str], Any]:
    """Split ``a.b=value`` into a checked key path and a YAML-parsed value."""
    key, sep, raw = option.partition("=")
    if not sep or not key.strip():
        raise UsageError(f"--set {option!r}: expected KEY=VALUE", "e.g. --set slo.p95_ms=150")
    parts = key.strip().split(".")
    if parts[0] == "extends":
        raise UsageError(f"--set {option!r}: `extends` cannot be overridden", "write it in the profile file")
    model: type[BaseModel] | None = Profile
    for depth, part in enumerate(parts):
        if model is None:
            break
        if part not in model.model_fields:
            where = ".".join(parts[:depth]) or "the profile"
            known = ", ".join(_field_names(model))
            raise ProfileError(
                f"unknown key {part!r} in {where} (known: {known})", source=f"--set {option}", key=key
            )
        model = _section_model(model, part)
    try:
        value = yaml.safe_load(raw) if raw.strip() else None
    except yaml.YAMLError:
        value = raw
    return parts, value


def _apply_set(data: dict[str, Any], origins: dict[KeyPath, Origin], option: str) -> None:
    parts, value = parse_set_option(option)
    node = data
    for part in parts[:-1]:
        child = node.get(part)
        if not isinstance(child, dict):
            child = {}
            node[part] = child
        node = child
    node[parts[-1]] = value
    path = tuple(parts)
    for p in [p for p in origins if p[: len(path)] == path]:
        del origins[p]
    origins[path] = Origin(f"--set {option}")


def _locate(loc: Sequence[str | int], data: Any) -> KeyPath:
    """Keep only the parts of a pydantic error location that address the user's data."""
    path: list[str | int] = []
    node = data
    for part in loc:
        if isinstance(node, dict) and part in node:  # noqa: SIM114 - separate branches keep mypy precise
            node = node[part]
            path.append(part)
        elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
            node = node[part]
            path.append(part)
        elif isinstance(node, dict) and isinstance(part, str) and part.isidentifier():
            # A missing key: name it, even though it has no position of its own.
            path.append(part)
            break
    return tuple(path)


def _origin_for(path: KeyPath, origins: Mapping[KeyPath, Origin], fallback: str) -> Origin:
    for end in range(len(path), -1, -1):
        origin = origins.get(path[:end])
        if origin is not None:
            return origin
    return Origin(fallback)


def load_profile(path: str | Path, overrides: Sequence[str] = ()) -> LoadedProfile:
    """Read, merge and validate a profile; raise :class:`ProfileError` naming the culprit."""
    file = Path(path)
    display = _display(file)
    data, origins, files = _resolve(file, ())
    origins = dict(origins)
    for option in overrides:
        _apply_set(data, origins, option)
    try:
        profile = Profile.model_validate(data)
    except ValidationError as exc:
        errors = exc.errors(include_url=False)
        first = errors[0]
        key_path = _locate(first["loc"], data)
        origin = _origin_for(key_path, origins, display)
        message = describe_error(first)
        if len(errors) > 1:
            message += f" (and {len(errors) - 1} more problem{'s' if len(errors) > 2 else ''})"
        raise ProfileError(
            message,
            source=origin.source,
            key=dotted_key(key_path) or "(top level)",
            line=origin.line,
            column=origin.column,
        ) from None
    from stackcheck.claims import claim_problems  # the claims name checks: the catalog imports the profile

    problems = claim_problems(profile)
    if problems:
        key_path, message = problems[0]
        origin = _origin_for(key_path, origins, display)
        if len(problems) > 1:
            message += f" (and {len(problems) - 1} more problem{'s' if len(problems) > 2 else ''})"
        raise ProfileError(
            message, source=origin.source, key=dotted_key(key_path), line=origin.line, column=origin.column
        )
    canonical = json.dumps(profile.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))
    return LoadedProfile(
        profile=profile,
        path=file,
        files=tuple(files),
        sha256=hashlib.sha256(canonical.encode()).hexdigest(),
        overrides=tuple(overrides),
        origins=origins,
    )
