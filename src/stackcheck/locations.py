"""Where the profile makes the promise a result verifies: the line a code-scanning annotation points at.

A result that verifies a claim points at the claim's entry in ``claims:`` (the team's own sentence);
any other at the first profile key its check reads that the profile sets (``slo.p95_ms`` for
``load.p95``), else at its section. Paths are relative to the profile's folder — the folder scanner
findings are relative to (``run.scan_root``) — so SARIF has one base for both.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path

from stackcheck.catalog import REGISTRY
from stackcheck.catalog.spec import CheckSpec
from stackcheck.claims import check_keys
from stackcheck.outcomes import CheckResult, SourceRef
from stackcheck.profile import KeyPath, LoadedProfile, Origin

__all__ = ["locate_results", "profile_root"]


def profile_root(loaded: LoadedProfile) -> Path:
    """The folder a profile's relative paths, findings and result locations start from."""
    return loaded.path.resolve().parent


def _relative(file: str, root: Path) -> str:
    absolute = Path(file).resolve()  # an origin names its file as given, relative to the working directory
    try:
        return absolute.relative_to(root).as_posix()
    except ValueError:
        return absolute.as_posix()


def _keys(spec: CheckSpec) -> list[str]:
    return [*check_keys(spec), spec.section]


def _source(origin: Origin, key: str, loaded: LoadedProfile, root: Path) -> SourceRef:
    if origin.line is None:  # a --set option: no line to point at, the profile it applies to
        return SourceRef(file=_relative(str(loaded.path), root), line=None, key=f"{key} ({origin.source})")
    return SourceRef(file=_relative(origin.source, root), line=origin.line, key=key)


def _locate(
    result: CheckResult,
    specs: Mapping[str, CheckSpec],
    claim_index: Mapping[str, int],
    loaded: LoadedProfile,
    root: Path,
) -> SourceRef | None:
    origins: Mapping[KeyPath, Origin] = loaded.origins
    for claim in result.claims:
        index = claim_index.get(claim.id)
        origin = origins.get(("claims", index)) if index is not None else None
        if origin is not None:
            return _source(origin, f"claims[{claim.id}]", loaded, root)
    spec = specs.get(result.id)
    for key in _keys(spec) if spec is not None else []:
        origin = origins.get(tuple(key.split(".")))
        if origin is not None:
            return _source(origin, key, loaded, root)
    return None


def locate_results(
    results: Iterable[CheckResult], loaded: LoadedProfile, extra_specs: Iterable[CheckSpec] = ()
) -> tuple[CheckResult, ...]:
    """Each result with its :class:`SourceRef` (kept as is where one is set or nothing is found)."""
    specs: dict[str, CheckSpec] = {**{s.id: s for s in extra_specs}, **REGISTRY}
    claim_index = {c.id: i for i, c in enumerate(loaded.profile.claims)}
    root = profile_root(loaded)
    out = []
    for result in results:
        source = result.source or _locate(result, specs, claim_index, loaded, root)
        out.append(result if source is result.source else result.model_copy(update={"source": source}))
    return tuple(out)
