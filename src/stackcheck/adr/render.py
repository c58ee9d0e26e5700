"""The draft as profile YAML: each key line names its claim (``# c-007 docs/adr/0003.md:14``), then the
``claims:`` list. A pure function of the :class:`~stackcheck.adr.draft.Draft` (no dates, no paths of this
machine beyond what the user passed), so a draft is reproducible and diffs cleanly.
"""

from __future__ import annotations

import json

import yaml

from stackcheck.adr.draft import Draft, profile_data
from stackcheck.adr.model import DraftClaim, Value
from stackcheck.profile.models import PROFILE_SECTIONS, Profile
from stackcheck.redact import Redactor

__all__ = ["render_draft", "summary_line"]

_SHOWN_OWNERS = 3
# Defaults that would be checked though the ADR never named them: written as null, saying so.
_NULL_UNLESS_SET = {"health": ("live", "ready")}


def _scalar(value: object) -> str:
    if isinstance(value, str):
        dumped = yaml.safe_dump(value, default_flow_style=True, allow_unicode=True, width=10_000)
        return dumped.removesuffix("\n...\n").strip()
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    if isinstance(value, dict):
        return "{" + ", ".join(f"{_scalar(k)}: {_scalar(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(_scalar(v) for v in value) + "]"
    return str(value)


def _quoted(text: str) -> str:
    # A JSON string is a valid YAML double-quoted scalar.
    return json.dumps(text, ensure_ascii=False)


def _comment(owners: list[str], where: dict[str, str]) -> str:
    ids = list(dict.fromkeys(owners))
    shown = ", ".join(f"{i} {where[i]}" for i in ids[:_SHOWN_OWNERS])
    more = f" (+{len(ids) - _SHOWN_OWNERS} more)" if len(ids) > _SHOWN_OWNERS else ""
    return f"  # {shown}{more}"


def _field_order(section: str) -> list[str]:
    annotation = Profile.model_fields[section].annotation
    model = next(
        (a for a in getattr(annotation, "__args__", (annotation,)) if hasattr(a, "model_fields")), None
    )
    return list(model.model_fields) if model is not None else []


def _section_lines(draft: Draft, section: str, fields: dict[str, Value], where: dict[str, str]) -> list[str]:
    lines = [f"{section}:"]
    order = _field_order(section)
    for field in sorted(fields, key=lambda f: order.index(f) if f in order else len(order)):
        key = f"{section}.{field}"
        value = fields[field]
        if isinstance(value, dict) and value:
            lines.append(f"  {field}:")
            for sub, item in value.items():
                comment = _comment(draft.owners.get(f"{key}.{sub}", []), where)
                lines.append(f"    {_scalar(sub)}: {_scalar(item)}{comment}")
            continue
        lines.append(f"  {field}: {_scalar(value)}{_comment(draft.owners.get(key, []), where)}")
    for field in _NULL_UNLESS_SET.get(section, ()):
        if field not in fields:
            lines.append(f"  {field}: null  # not in the ADR (else the default would be checked)")
    return lines


def _claim_line(claim: DraftClaim, redactor: Redactor) -> str:
    text = redactor.text(claim.sentence.quoted)[:2000]
    parts = [f"id: {claim.id}", f"text: {_quoted(text)}", f"source: {_quoted(claim.sentence.where)}"]
    if claim.verified_by:
        parts.append(f"verified_by: [{', '.join(claim.verified_by)}]")
    else:
        parts.append(f"manual: {_quoted((claim.manual or '')[:500])}")
    return "  - {" + ", ".join(parts) + "}"


def render_draft(draft: Draft) -> str:
    """The draft profile as YAML text."""
    redactor = Redactor()
    where = {c.id: c.sentence.where for c in draft.claims}
    documents = ", ".join(draft.documents)
    out = [
        f"# Draft profile from {documents}",
        f"# by `stackcheck adr draft` for the {draft.environment} environment.",
        "# Each key names the claim it came from (id, file:line): review every one before use; keys the ADR",
        "# does not give keep the profile's defaults (docs/profile.md). Claims no key expresses are manual.",
        f"name: {_scalar(draft.name)}",
        f"description: {_quoted(f'Drafted from {documents} ({draft.environment}); review before use.')}",
    ]
    data = profile_data(draft.values)
    for section in PROFILE_SECTIONS:
        if section in data:
            out += _section_lines(draft, section, data[section], where)
    out.append("claims:" if draft.claims else "claims: []")
    out += [_claim_line(claim, redactor) for claim in draft.claims]
    return "\n".join(out) + "\n"


def summary_line(draft: Draft) -> str:
    """The report on stderr: sentences read, claims found, mapped to keys, manual."""
    keys = len(draft.values)
    other_env = sum(1 for c in draft.manual if (c.manual or "").startswith("applies to the "))
    conflicts = sum(1 for c in draft.manual if (c.manual or "").startswith("conflicts with "))
    extra = [f"{other_env} for another environment"] if other_env else []
    extra += [f"{conflicts} in conflict (review)"] if conflicts else []
    tail = f" ({', '.join(extra)})" if extra else ""
    return (
        f"adr draft: {len(draft.documents)} document(s), {draft.sentences} sentences read; "
        f"{len(draft.claims)} claims found: {len(draft.mapped)} mapped to {keys} keys, "
        f"{len(draft.manual)} manual{tail}"
    )
