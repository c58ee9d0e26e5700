"""Fenced blocks of an ADR: YAML and compose, HCL, SQL, Dockerfile, plain text and diagrams, code.

Each block becomes sentences, one per meaningful line, with the key path or enclosing block as parents:
a YAML leaf ``maxmemory-policy: allkeys-lru`` under ``redis:`` reads as that text with parent ``redis``.
Programming-language blocks contribute only their comments and numbered steps; diagrams (mermaid) and
data samples (JSON) nothing.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence

from stackcheck.adr.model import Kind, Sentence
from stackcheck.adr.text import cells, clean_inline

__all__ = ["read_block"]

Lines = Sequence[tuple[int, str]]

_LANGS = {
    "yaml": "yaml", "yml": "yaml", "compose": "yaml", "docker-compose": "yaml",
    "hcl": "hcl", "terraform": "hcl", "tf": "hcl",
    "sql": "sql", "psql": "sql", "pgsql": "sql", "postgresql": "sql", "plpgsql": "sql",
    "dockerfile": "dockerfile", "docker": "dockerfile", "containerfile": "dockerfile",
    "": "plain", "text": "plain", "txt": "plain", "plain": "plain", "plaintext": "plain", "ascii": "plain",
    "ini": "conf", "conf": "conf", "properties": "conf", "toml": "conf", "redis": "conf", "nginx": "conf",
    "mermaid": "skip", "plantuml": "skip", "dot": "skip", "json": "skip", "svg": "skip", "csv": "skip",
}  # fmt: skip
# Keys of files a machine reads (CI workflows, compose files, Kubernetes manifests): their lines are
# configuration, read by the rules but never listed as manual claims.
_MACHINE_KEYS = re.compile(
    r"^\s*-?\s*(?:jobs|steps|runs-on|uses|services|image|apiVersion|kind|volumes|depends_on|ports|build|command)\s*:",
    re.M,
)
_COMMENT = re.compile(r"^\s*(?:#|//|--|;)\s?(.*)$")
_STEP = re.compile(r"^\s*(?:\d{1,3}[.)]|[-*])\s+(.*)$")
_TREE = re.compile(r"^[\s\u2500-\u257f|`+\\/-]*")


def read_block(
    lang: str, lines: Lines, source: str, headings: tuple[str, ...], lead: tuple[str, ...]
) -> list[Sentence]:
    """The sentences of one fenced block whose info string is ``lang`` (lower case)."""
    kind = _LANGS.get(lang, "code")
    if kind == "skip":
        return []
    reader = {"yaml": _yaml, "hcl": _hcl, "sql": _sql, "dockerfile": _dockerfile, "plain": _plain}.get(kind)
    pieces = list(reader(lines) if reader else _code(lines))
    machine = (
        kind not in {"yaml", "plain"} or len(set(_MACHINE_KEYS.findall("\n".join(t for _, t in lines)))) >= 2
    )
    # Comments and numbered steps are prose even in a program or configuration file.
    comments = {
        n
        for n, raw in lines
        if (_COMMENT.match(raw) and not raw.strip().startswith(("-", ";")))
        or raw.strip().startswith("--")
        or (kind == "code" and _STEP.match(raw))
    }
    return [
        Sentence(
            text,
            source,
            line,
            Kind.CODE,
            kind,
            headings,
            (*lead, *parents),
            prose=not machine or line in comments,
        )
        for line, text, parents in pieces
        if text
    ]


Piece = tuple[int, str, tuple[str, ...]]


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" \t"))


def _unquote(value: str) -> str:
    value = value.strip()
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
        return value[1:-1]
    return value


def _yaml(lines: Lines) -> Iterator[Piece]:
    stack: list[tuple[int, str]] = []  # (indent, key) of the open mappings
    scalar_indent: int | None = None  # inside a `key: |` block scalar deeper than this
    for number, raw in lines:
        if not raw.strip():
            continue
        indent = _indent(raw)
        if scalar_indent is not None and indent > scalar_indent:
            yield number, clean_inline(raw.strip()), tuple(k for _, k in stack)
            continue
        scalar_indent = None
        comment = _COMMENT.match(raw)
        if comment and raw.lstrip().startswith("#"):
            yield number, clean_inline(comment.group(1)), tuple(k for at, k in stack if at < indent)
            continue
        body = re.sub(r"\s+#\s.*$", "", raw.strip())  # a trailing comment
        item = body.startswith("- ") or body == "-"
        text = body[2:].strip() if item else body
        while stack and stack[-1][0] >= indent + (1 if item else 0):
            stack.pop()
        parents = tuple(k for _, k in stack)
        key, colon, value = text.partition(":")
        if colon and re.fullmatch(r"[\w .\-/()'\"]+", key) and (not value or value.startswith(" ")):
            key = _unquote(key)
            value = value.strip()
            if value in {"|", ">", "|-", ">-"}:
                scalar_indent = indent
                stack.append((indent, key))
            elif not value:
                stack.append((indent + (2 if item else 0), key))
            else:
                yield number, clean_inline(f"{key}: {_unquote(value)}"), parents
            continue
        yield number, clean_inline(_unquote(text)), parents


def _hcl(lines: Lines) -> Iterator[Piece]:
    stack: list[str] = []
    for number, raw in lines:
        line = raw.strip()
        comment = _COMMENT.match(line)
        if comment and line.startswith(("#", "//")):
            yield number, clean_inline(comment.group(1)), tuple(stack)
            continue
        if line.endswith("{"):
            stack.append(clean_inline(line[:-1].strip()))
            continue
        if line.startswith("}"):
            if stack:
                stack.pop()
            continue
        if line:
            yield number, clean_inline(line), tuple(stack)


def _sql(lines: Lines) -> Iterator[Piece]:
    comments: list[str] = []  # the comment lines just above: they say what the statements are for
    for number, raw in lines:
        line = raw.strip()
        if not line:
            comments = []
            continue
        if line.startswith("--"):
            text = clean_inline(line[2:].strip())
            yield number, text, tuple(comments[:1])
            comments.append(text)
            continue
        yield number, clean_inline(line), tuple(comments[:1])


def _dockerfile(lines: Lines) -> Iterator[Piece]:
    instruction = ""
    for number, raw in lines:
        line = raw.strip()
        comment = _COMMENT.match(line)
        if comment and line.startswith("#"):
            yield number, clean_inline(comment.group(1)), ()
            continue
        continued = bool(instruction)
        if line:
            yield number, clean_inline(line.rstrip("\\").strip()), ((instruction,) if continued else ())
        instruction = (instruction or clean_inline(line.rstrip("\\").strip())) if line.endswith("\\") else ""


def _plain(lines: Lines) -> Iterator[Piece]:
    """Plain text and box/tree diagrams: each text cell a sentence; a less indented line is the parent."""
    stack: list[tuple[int, str]] = []
    for number, raw in lines:
        if not raw.strip():
            stack = []  # a blank line ends a group ("Staging" and what hangs under it)
            continue
        parts = cells(raw)
        if not parts:
            continue
        tree = _TREE.match(raw)
        indent = len(tree.group(0)) if tree and len(parts) == 1 else 0
        # A line ending in ":" introduces the lines below it, even at its own indent ("Recovery Process:").
        while stack and (
            stack[-1][0] > indent or (stack[-1][0] == indent and not stack[-1][1].endswith(":"))
        ):
            stack.pop()
        parents = tuple(text for _, text in stack)
        for part in parts:
            step = _STEP.match(part)
            yield number, clean_inline(step.group(1) if step else part), parents
        if len(parts) == 1:
            stack.append((indent, clean_inline(parts[0])))


def _code(lines: Lines) -> Iterator[Piece]:
    """Program code: its comments and numbered steps are prose; statements are not read."""
    for number, raw in lines:
        comment = _COMMENT.match(raw)
        step = _STEP.match(raw)
        if comment and not raw.strip().startswith("--"):
            yield number, clean_inline(comment.group(1)), ()
        elif step:
            yield number, clean_inline(step.group(1)), ()
