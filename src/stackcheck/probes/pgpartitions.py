"""How a table is partitioned, read from the catalog (``pg_partitioned_table``, ``pg_partition_tree``), and
the rule that compares a partition key with the profile's."""

from __future__ import annotations

import re
from dataclasses import dataclass

import psycopg
from psycopg.rows import TupleRow

from stackcheck._exceptions import CouldNotCheck, ErrorReason

__all__ = ["Partitioning", "partition_key_parts", "read_partitioning"]

_STRATEGIES = {"r": "range", "l": "list", "h": "hash"}
_RELKINDS = {"r": "a plain table", "p": "a partitioned table", "v": "a view", "m": "a materialized view"}

_QUERY = """
SELECT n.nspname, c.relname, c.relkind, pt.partstrat,
       CASE WHEN c.relkind = 'p' THEN pg_get_partkeydef(c.oid) END,
       (SELECT count(*) FROM pg_inherits i WHERE i.inhparent = c.oid),
       (SELECT count(*) FROM pg_partition_tree(c.oid) t WHERE t.isleaf AND t.level > 0),
       CASE WHEN pt.partdefid <> 0 THEN pt.partdefid::regclass::text END
FROM pg_class c
JOIN pg_namespace n ON n.oid = c.relnamespace
LEFT JOIN pg_partitioned_table pt ON pt.partrelid = c.oid
WHERE c.oid = to_regclass(%s)
"""


@dataclass(frozen=True)
class Partitioning:
    """One table as the catalog describes it."""

    table: str
    kind: str
    strategy: str | None
    key: list[str]
    key_definition: str | None
    partitions: int
    leaves: int
    default_partition: str | None

    @property
    def partitioned(self) -> bool:
        """Declarative partitioning (``relkind = 'p'``)."""
        return self.strategy is not None


def read_partitioning(conn: psycopg.Connection[TupleRow], table: str) -> Partitioning | None:
    """How ``table`` (``name`` or ``schema.name``) is partitioned; ``None`` when there is no such relation;
    :class:`CouldNotCheck` when the verifier may not look into its schema.

    ``partitions`` counts the partitions attached directly (a sub-partitioned one counts once), ``leaves``
    the tables that hold rows; for a plain table, ``partitions`` counts its inheritance children (a
    TimescaleDB hypertable's chunks, or partitioning by inheritance), which are not declarative partitions.
    """
    try:
        row = conn.execute(_QUERY, (table,)).fetchone()
    except psycopg.errors.InsufficientPrivilege as exc:
        # Looking a name up in a schema needs USAGE on it: the verifier's privileges, not the schema's shape.
        raise CouldNotCheck(
            f"stackcheck's role may not look up {table} ({str(exc).strip()}); GRANT USAGE ON SCHEMA to it",
            ErrorReason.ACCESS_DENIED,
        ) from None
    if row is None:
        return None
    schema, name, relkind, strat, definition, children, leaves, default = row
    strategy = _STRATEGIES.get(str(strat)) if strat is not None else None
    key = partition_key_parts(_inside_parens(str(definition))) if definition else []
    return Partitioning(
        table=f"{schema}.{name}",
        kind=_RELKINDS.get(str(relkind), f"a relation of kind {relkind!r}"),
        strategy=strategy,
        key=key,
        key_definition=str(definition) if definition else None,
        partitions=int(children),
        leaves=int(leaves),
        default_partition=str(default) if default else None,
    )


def _inside_parens(definition: str) -> str:
    """``RANGE (created_at)`` → ``created_at`` (pg_get_partkeydef's form: STRATEGY (key, ...))."""
    start, end = definition.find("("), definition.rfind(")")
    return definition[start + 1 : end] if 0 <= start < end else definition


def partition_key_parts(key: str | list[str]) -> list[str]:
    """``"tenant_id, lower(region)"`` → ``["tenant_id", "lower(region)"]``: split at top-level commas, case
    and spaces outside quotes dropped, needless quotes around a plain lower-case identifier removed (what
    PostgreSQL itself makes of an unquoted name)."""
    parts: list[str] = []
    for item in [key] if isinstance(key, str) else key:
        parts += _split_top_level(item)
    return [p for p in (_normalise(p) for p in parts) if p]


def _split_top_level(text: str) -> list[str]:
    parts: list[str] = []
    current: list[str] = []
    depth, quote = 0, ""
    for ch in text:
        if quote:
            quote = "" if ch == quote else quote
        elif ch in "\"'":
            quote = ch
        elif ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        elif ch == "," and depth == 0:
            parts.append("".join(current))
            current = []
            continue
        current.append(ch)
    parts.append("".join(current))
    return parts


def _normalise(text: str) -> str:
    out: list[str] = []
    quote = ""
    for ch in text.strip():
        if quote:
            quote = "" if ch == quote else quote
            out.append(ch)
        elif ch in "\"'":
            quote = ch
            out.append(ch)
        elif not ch.isspace():
            out.append(ch.lower())
    joined = "".join(out)
    if re.fullmatch(r'"[a-z_][a-z0-9_$]*"', joined):
        return joined[1:-1]
    return joined
