"""Control frameworks: the catalog under ``policies/controls/`` and each control's verdict in a run.

The catalog is data, one YAML file per framework (``soc2``, ``asvs``, ``cis-docker``, ``pci-dss``, ``gdpr``,
``dpdp``): each control's id, its title (the standard's wording) and how its checks combine. *Which* checks
support a control is declared once, on the check (``CheckSpec.controls``, or ``controls=`` of a team check):
the result of a check carries those ids in ``report.json`` already, a team's check supports catalog controls
without editing packaged files, and adding a check stays one file. The catalog therefore names no check
(its model forbids a ``checks`` key); the harness's tests fail when a check names a control the catalog
does not know.

Checks *support* a control: a ``supported`` verdict says the evidence stackcheck gathered is consistent with
the control, never that the control is met or certified (that is an auditor's judgement, over far more than a
running stack). A control's verdict, from the results of its checks in the run:

- ``not_met``: a result behind it failed, a waived failure too (the waiver accepts the gap for a while, it
  does not close it);
- ``incomplete``: nothing failed, but a check behind it could not be checked (``error``) or did not run
  (not selected, another stage's), or every check behind it was skipped; with ``combine: any``, only when
  no check behind it passed;
- ``supported``: nothing failed or errored, every check behind it ran and at least one passed
  (``combine: any``: one passed). A skipped check counts as run, as for claims: it looked and found
  nothing to apply to (``cors.credentials`` when no origin may send credentials), and the message names it;
- ``not_covered``: no check stackcheck knows supports it (the catalog lists it so the gap is visible).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from enum import StrEnum
from functools import cache
from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from stackcheck._exceptions import UsageError
from stackcheck.catalog import REGISTRY
from stackcheck.catalog.spec import CheckSpec
from stackcheck.outcomes import CheckResult, Status
from stackcheck.resources import data_path

__all__ = [
    "CATALOG_DIR",
    "Control",
    "ControlCounts",
    "ControlStatus",
    "ControlVerdict",
    "Framework",
    "apply_controls",
    "check_frameworks",
    "count_controls",
    "framework_names",
    "judge_controls",
    "load_catalog",
    "rejudge_controls",
    "render_controls_doc",
]

CATALOG_DIR = "policies/controls"
_MAX_FILE_BYTES = 256_000  # a framework file is a few KB; a bigger one is not ours
_MAX_FILES = 32


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Control(_Model):
    """One control of a framework, as the catalog file states it."""

    id: str = Field(pattern=r"^[A-Za-z0-9-]+:\S+$", description="PREFIX:ID, e.g. SOC2:CC6.1.")
    title: str = Field(min_length=1, description="The standard's wording (shortened where it is long).")
    combine: Literal["all", "any"] = Field(
        "all", description="all: every supporting check must pass; any: one passing, none failing, suffices."
    )


class Framework(_Model):
    """One framework file of ``policies/controls/``."""

    framework: str = Field(pattern=r"^[a-z0-9-]+$", description="The name --framework selects (file stem).")
    prefix: str = Field(description="The id prefix of its controls (SOC2, OWASP-ASVS...).")
    title: str
    edition: str = Field(description="Which version of the standard the ids and titles follow.")
    controls: tuple[Control, ...] = Field(min_length=1)


class ControlStatus(StrEnum):
    """A control's verdict in one run (checks support a control; they never certify it)."""

    SUPPORTED = "supported"
    NOT_MET = "not_met"
    INCOMPLETE = "incomplete"
    NOT_COVERED = "not_covered"


#: Worst first: the order tables show them in.
CONTROL_ORDER = (
    ControlStatus.NOT_MET,
    ControlStatus.INCOMPLETE,
    ControlStatus.SUPPORTED,
    ControlStatus.NOT_COVERED,
)


class ControlVerdict(_Model):
    """One control of a shown framework and what this run's checks say about it."""

    id: str = Field(description="The control's id, PREFIX:ID (SOC2:CC6.1).")
    framework: str = Field(description="The framework's name (soc2, asvs, cis-docker, pci-dss, gdpr, dpdp).")
    framework_title: str = Field(description="The framework's title and edition, from the catalog.")
    title: str = Field(description="The control's wording, from the catalog.")
    status: ControlStatus = Field(
        description="supported | not_met | incomplete | not_covered. Checks support a control; they do not "
        "certify it."
    )
    combine: Literal["all", "any"] = Field("all", description="How its checks combine (all | any).")
    message: str = Field(description="One line: why the control has this verdict.")
    checks: tuple[str, ...] = Field((), description="The check ids that support it.")
    results: tuple[str, ...] = Field((), description="Labels of this run's results behind it (not skipped).")


class ControlCounts(_Model):
    """How many of the shown controls ended in each verdict."""

    total: int = Field(0, description="Controls shown (of the frameworks selected).")
    supported: int = Field(0, description="Controls whose checks all ran and passed.")
    not_met: int = Field(0, description="Controls with a failed (or waived) result.")
    incomplete: int = Field(0, description="Controls with a check that could not be checked or did not run.")
    not_covered: int = Field(0, description="Controls no check supports.")


def _load_file(path: Path) -> Framework:
    if path.stat().st_size > _MAX_FILE_BYTES:
        raise ValueError(f"{path}: larger than {_MAX_FILE_BYTES} bytes")
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    try:
        framework = Framework.model_validate(data)
    except ValidationError as exc:
        raise ValueError(f"{path}: {exc}") from None
    if framework.framework != path.stem:
        raise ValueError(f"{path}: framework {framework.framework!r} is not named after its file")
    wrong = [c.id for c in framework.controls if not c.id.startswith(framework.prefix + ":")]
    if wrong:
        raise ValueError(f"{path}: control {wrong[0]} does not start with {framework.prefix}:")
    return framework


def load_catalog(folder: Path | None = None) -> tuple[Framework, ...]:
    """Every framework of the catalog (``policies/controls/*.yaml``, packaged data), sorted by name.

    ``ValueError`` for a broken catalog (a bad file, a control id listed twice): an installation defect,
    not a user's mistake.
    """
    if folder is None:
        return _packaged()
    files = sorted(folder.glob("*.yaml"))
    if not files:
        raise ValueError(f"no control catalog in {folder} (reinstall stackcheck)")
    if len(files) > _MAX_FILES:
        raise ValueError(f"{folder}: more than {_MAX_FILES} framework files")
    frameworks = tuple(_load_file(f) for f in files)
    seen: set[str] = set()
    for control in (c for fw in frameworks for c in fw.controls):
        if control.id in seen:
            raise ValueError(f"{folder}: control {control.id} is listed twice")
        seen.add(control.id)
    return frameworks


@cache
def _packaged() -> tuple[Framework, ...]:
    return load_catalog(data_path(CATALOG_DIR))


def framework_names() -> tuple[str, ...]:
    """The names ``--framework`` accepts."""
    return tuple(fw.framework for fw in load_catalog())


def check_frameworks(names: Iterable[str]) -> tuple[str, ...]:
    """``names`` (the ``--framework`` options) without repeats; a usage error for an unknown one."""
    known = framework_names()
    chosen = tuple(dict.fromkeys(n.strip().lower() for n in names))
    unknown = [n for n in chosen if n not in known]
    if unknown:
        raise UsageError(
            f"unknown --framework {unknown[0]!r}", f"choose from: {', '.join(known)} (repeatable)"
        )
    return chosen


def _specs(extra: Iterable[CheckSpec]) -> tuple[CheckSpec, ...]:
    return (*REGISTRY.values(), *(s for s in extra if s.id not in REGISTRY))


def _supporters(specs: Sequence[CheckSpec]) -> dict[str, tuple[str, ...]]:
    out: dict[str, list[str]] = {}
    for spec in specs:
        for control in spec.controls:
            out.setdefault(control, []).append(spec.id)
    return {k: tuple(v) for k, v in out.items()}


def _check_state(results: Sequence[CheckResult]) -> str:
    """One check's state across its results (one per subject): failed > error > passed > skipped."""
    statuses = {r.status for r in results}
    if not statuses:
        return "not_run"
    if statuses & {Status.FAILED, Status.WAIVED}:
        return "failed"
    if Status.ERROR in statuses:
        return "error"
    return "passed" if Status.PASSED in statuses else "skipped"


def _listed(ids: Sequence[str]) -> str:
    return ", ".join(ids[:5]) + (f" and {len(ids) - 5} more" if len(ids) > 5 else "")


def _verdict(
    control: Control, checks: tuple[str, ...], by_check: dict[str, list[CheckResult]]
) -> tuple[ControlStatus, str]:
    if not checks:
        return ControlStatus.NOT_COVERED, "no stackcheck check supports this control"
    state = {c: _check_state(by_check.get(c, [])) for c in checks}
    of = {
        s: [c for c in checks if state[c] == s] for s in ("failed", "error", "skipped", "not_run", "passed")
    }
    if of["failed"]:
        waived = [r.label for c in of["failed"] for r in by_check[c] if r.status is Status.WAIVED]
        note = f" ({len(waived)} result(s) waived: still a gap)" if waived else ""
        return ControlStatus.NOT_MET, f"failed: {_listed(of['failed'])}{note}"
    gaps = [
        *(f"{c} could not be checked" for c in of["error"]),
        *(f"{c} did not run" for c in of["not_run"]),
    ]
    skipped = f"; not applicable (skipped): {_listed(of['skipped'])}" if of["skipped"] else ""
    if control.combine == "any" and of["passed"]:
        return ControlStatus.SUPPORTED, f"supported by {_listed(of['passed'])} (any one suffices){skipped}"
    if gaps:
        passed = f"; {len(of['passed'])} of {len(checks)} check(s) passed" if of["passed"] else ""
        return ControlStatus.INCOMPLETE, f"{_listed(gaps)}{passed}"
    if not of["passed"]:
        return (
            ControlStatus.INCOMPLETE,
            f"every check behind it was skipped (not configured): {_listed(checks)}",
        )
    return (
        ControlStatus.SUPPORTED,
        f"{len(of['passed'])} of {len(checks)} supporting check(s) passed{skipped}",
    )


def _shown(
    catalog: Sequence[Framework],
    frameworks: Sequence[str],
    supporters: dict[str, tuple[str, ...]],
    ran: set[str],
) -> list[Framework]:
    if frameworks:
        return [fw for fw in catalog if fw.framework in frameworks]
    # Default: every framework that a check of this run supports a control of (a skipped check looked at
    # nothing: a run of one configured suite does not show every framework of the skipped ones).
    return [fw for fw in catalog if any(ran & set(supporters.get(c.id, ())) for c in fw.controls)]


def judge_controls(
    results: Sequence[CheckResult],
    frameworks: Sequence[str] = (),
    extra_specs: Iterable[CheckSpec] = (),
    catalog: Sequence[Framework] | None = None,
) -> tuple[ControlVerdict, ...]:
    """The verdict of every control of the shown frameworks (``frameworks``, else each framework that a
    check of this run that was not skipped supports), from this run's results; catalog order."""
    catalog = load_catalog() if catalog is None else catalog
    supporters = _supporters(_specs(extra_specs))
    by_check: dict[str, list[CheckResult]] = {}
    for result in results:
        by_check.setdefault(result.id, []).append(result)
    verdicts = []
    looked = {r.id for r in results if r.status is not Status.SKIPPED}
    for fw in _shown(catalog, frameworks, supporters, looked):
        for control in fw.controls:
            checks = supporters.get(control.id, ())
            status, message = _verdict(control, checks, by_check)
            behind = [r.label for c in checks for r in by_check.get(c, []) if r.status is not Status.SKIPPED]
            verdicts.append(
                ControlVerdict(
                    id=control.id,
                    framework=fw.framework,
                    framework_title=f"{fw.title}, {fw.edition}",
                    title=control.title,
                    status=status,
                    combine=control.combine,
                    message=message,
                    checks=checks,
                    results=tuple(behind),
                )
            )
    return tuple(verdicts)


def rejudge_controls(
    stages: Sequence[Sequence[ControlVerdict]], results: Sequence[CheckResult]
) -> tuple[ControlVerdict, ...]:
    """The controls' verdicts over the results of several stages of one profile (``stackcheck run``,
    ``report merge``), by :func:`judge_controls`'s rules: every framework some stage showed, each control
    judged over all the results, with the checks any stage named behind it (a team's checks included).
    Needs no catalog: every verdict carries its control's wording and combine rule."""
    merged: dict[str, ControlVerdict] = {}
    checks: dict[str, dict[str, None]] = {}
    for verdicts in stages:
        for verdict in verdicts:
            merged.setdefault(verdict.id, verdict)
            checks.setdefault(verdict.id, {}).update(dict.fromkeys(verdict.checks))
    by_check: dict[str, list[CheckResult]] = {}
    for result in results:
        by_check.setdefault(result.id, []).append(result)
    out = []
    for control_id, first in merged.items():
        ids = tuple(checks[control_id])
        control = Control(id=first.id, title=first.title, combine=first.combine)
        status, message = _verdict(control, ids, by_check)
        behind = [r.label for c in ids for r in by_check.get(c, []) if r.status is not Status.SKIPPED]
        update = {"status": status, "message": message, "checks": ids, "results": tuple(behind)}
        out.append(first.model_copy(update=update))
    return tuple(out)


def count_controls(verdicts: Sequence[ControlVerdict]) -> ControlCounts:
    """Counts by verdict."""
    counts = {s: sum(1 for v in verdicts if v.status is s) for s in ControlStatus}
    return ControlCounts(total=len(verdicts), **{s.value: n for s, n in counts.items()})


def apply_controls(
    results: Sequence[CheckResult], frameworks: Sequence[str] = (), extra_specs: Iterable[CheckSpec] = ()
) -> tuple[ControlVerdict, ...]:
    """What a report holds: the controls of the shown frameworks with their verdicts (beside
    :func:`stackcheck.claims.apply_claims`)."""
    return judge_controls(results, frameworks, extra_specs)


_DOC_INTRO = """\
# Controls

<!-- Generated from policies/controls/*.yaml and the checks' controls (`python -m stackcheck.docgen`). Do not
edit: change the catalog files or a check's `controls=`. -->

**Checks support a control; they do not certify it.** A `supported` verdict says that every check
stackcheck maps to the control ran in this run and passed: evidence an auditor can use, never an
attestation that the control is met. Most controls ask for far more than a running stack shows (policies,
people, procedures, scope); stackcheck reports only what it observed.

## The catalog

`policies/controls/` holds one YAML file per framework (`soc2`, `asvs`, `cis-docker`, `pci-dss`, `gdpr`,
`dpdp`), packaged in the wheel: each control's id (`PREFIX:ID`), its title (the standard's wording, shortened
where it is long) and `combine` (`all` by default, or `any`). The files name no check: *which* checks support a
control is declared once, on the check (`CheckSpec.controls` in `src/stackcheck/catalog/`, or `controls=` of a
team check, docs/team-checks.md). That way a result's `controls` in report.json and a control's `checks` can
never disagree, a team's own check supports a catalog control without editing packaged files, and adding a
check stays one file. `tests/unit/test_controls.py` fails when a built-in check names a control the catalog
does not know, and the catalog's model refuses a `checks:` key. A team check may name a control of a framework
the catalog does not hold (its own, ISO 27001...): the id stays on its results, with no verdict.

## Verdicts

A control's verdict comes from the results of its checks across the run (every stage in it):

| verdict | when |
|---|---|
| `not_met` | a result of a check behind it failed; a **waived** failure too (the waiver accepts the gap until it expires, it does not close it; the message says how many were waived) |
| `incomplete` | nothing failed, but a check behind it could not be checked (`error`) or did not run (not selected, or another stage's), or every check behind it was skipped; with `combine: any`, only when no check behind it passed |
| `supported` | nothing failed or errored, every check behind it ran and at least one passed (`combine: any`: one passed). A skipped check counts as run, as for claims (docs/claims.md): it looked and found nothing to apply to (its profile keys are not set); the verdict's message names it, so a reader sees what was not applicable |
| `not_covered` | no check supports it: the catalog lists it so the gap is visible |

A check with several results (one per subject) counts as failed if one failed, as could-not-check if one
errored, as passed if one passed and the others passed or were skipped.

`--framework NAME` (repeatable; `verify`, `scan`, `load`) selects the frameworks a report shows; by default it
shows every framework that a check of the run supports a control of (a skipped check, which looked at
nothing, does not count). report.json holds the verdicts in
`controls[]` and their counts in `summary.controls` (docs/report.md); summary.md and index.html show one table
per framework, worst verdict first.
"""  # noqa: E501 (Markdown table rows are one line each)


def render_controls_doc() -> str:
    """``docs/controls.md``: the statement, the verdicts, and every framework's controls with the checks
    that support them (generated)."""
    supporters = _supporters(tuple(REGISTRY.values()))
    out = [_DOC_INTRO.rstrip("\n")]
    for fw in load_catalog():
        out += ["", f"## `{fw.framework}`: {fw.title}", "", f"Edition: {fw.edition}.", ""]
        out += ["| control | title | combine | supporting checks |", "|---|---|---|---|"]
        for c in fw.controls:
            checks = ", ".join(f"`{s}`" for s in supporters.get(c.id, ())) or "none (not covered)"
            out.append(f"| `{c.id}` | {c.title} | {c.combine} | {checks} |")
    return "\n".join(out) + "\n"
