"""Reading an architecture document (Markdown or plain text) into sentences with their file and line.

Headings, paragraphs (split into sentences), list items (with the paragraph that introduces the list and
their enclosing items as parents), tables (one sentence per row, or per environment column when the
header names environments) and fenced blocks (:mod:`stackcheck.adr.blocks`). A sentence's line is the
line it starts on.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from stackcheck._exceptions import UsageError
from stackcheck.adr.blocks import read_block
from stackcheck.adr.model import Environment, Kind, Sentence
from stackcheck.adr.recognize import environment_of_label
from stackcheck.adr.text import clean_inline, decode, repair_mojibake, split_sentences

__all__ = ["MAX_BYTES", "read_document", "read_text"]

MAX_BYTES = 2_000_000  # an ADR is a few kB; a bound keeps a wrong argument (a disk image) harmless

_FENCE = re.compile(r"^\s*(`{3,}|~{3,})\s*([\w.+-]*)")
_HEADING = re.compile(r"^\s{0,3}(#{1,6})\s+(.*?)\s*#*\s*$")
_ITEM = re.compile(r"^(\s*)(?:[-*+]|\d{1,3}[.)])\s+(?:\[[ xX]\]\s+)?(.*)$")
_TABLE_SEPARATOR = re.compile(r"^\s*\|?\s*:?-{2,}:?\s*(\|\s*:?-{2,}:?\s*)*\|?\s*$")
_RULE = re.compile(r"^\s*([-*_])(\s*\1){2,}\s*$")


@dataclass
class _State:
    """The reader's position: the heading path, the open paragraph, the open list."""

    source: str
    sentences: list[Sentence] = field(default_factory=list)
    headings: list[tuple[int, str]] = field(default_factory=list)
    paragraph: list[tuple[int, str]] = field(default_factory=list)
    last_paragraph: str = ""  # the paragraph just closed: it may introduce the list that follows
    items: list[tuple[int, str]] = field(default_factory=list)  # open list items: (indent, text)
    lead_in: str = ""

    @property
    def heading_path(self) -> tuple[str, ...]:
        return tuple(text for _, text in self.headings)

    def add(self, text: str, line: int, kind: Kind, parents: tuple[str, ...] = ()) -> None:
        if text:
            self.sentences.append(Sentence(text, self.source, line, kind, "", self.heading_path, parents))


def read_document(path: Path, display: str | None = None) -> list[Sentence]:
    """The sentences of the file at ``path``; ``display`` is how sources name it (default: as given).

    A missing, unreadable or binary file is a :class:`~stackcheck._exceptions.UsageError` (exit 2).
    """
    name = display or path.as_posix()
    try:
        with path.open("rb") as handle:
            raw = handle.read(MAX_BYTES + 1)
    except FileNotFoundError:
        raise UsageError(f"{name}: no such file", "pass the path of a Markdown or text ADR") from None
    except IsADirectoryError:
        raise UsageError(
            f"{name} is a directory", "pass the ADR files themselves, e.g. docs/adr/*.md"
        ) from None
    except OSError as exc:
        raise UsageError(f"{name}: cannot be read ({exc.strerror or exc})") from None
    if len(raw) > MAX_BYTES:
        raise UsageError(f"{name} is larger than {MAX_BYTES // 1_000_000} MB: not an architecture document")
    if b"\x00" in raw[:8192]:
        raise UsageError(f"{name} is a binary file, not a Markdown or text document")
    return read_text(decode(raw), name)


def read_text(text: str, source: str) -> list[Sentence]:
    """The sentences of a document's text (``source`` names it in each sentence)."""
    lines = [repair_mojibake(line) for line in text.splitlines()]
    state = _State(source)
    index = 0
    while index < len(lines):
        raw = lines[index]
        number = index + 1
        fence = _FENCE.match(raw)
        if fence:
            index = _fenced(state, lines, index, fence.group(1), fence.group(2))
            continue
        if _TABLE_SEPARATOR.match(lines[index + 1] if index + 1 < len(lines) else "") and "|" in raw:
            index = _table(state, lines, index)
            continue
        heading = _HEADING.match(raw)
        if heading:
            _close(state)
            _heading(state, len(heading.group(1)), heading.group(2), number)
        elif not raw.strip() or _RULE.match(raw):
            _close_paragraph(state)
            if _RULE.match(raw):
                _close(state)
        elif _ITEM.match(raw):
            _item(state, lines, index)
        elif state.items and raw.startswith((" ", "\t")):
            pass  # a continuation line of an item: _item has read it
        else:
            if state.items:
                _close(state)
            state.paragraph.append((number, raw.lstrip("> ").strip()))
        index += 1
    _close(state)
    return state.sentences


def _heading(state: _State, level: int, raw: str, number: int) -> None:
    text = clean_inline(raw)
    while state.headings and state.headings[-1][0] >= level:
        state.headings.pop()
    state.headings.append((level, text))
    state.add(text, number, Kind.HEADING)


def _close_paragraph(state: _State) -> None:
    if not state.paragraph:
        return
    lines = state.paragraph
    state.paragraph = []
    joined, starts = "", []
    for number, text in lines:
        starts.append((len(joined), number))
        joined += text + " "
    for offset, sentence in split_sentences(joined):
        line = max(n for start, n in starts if start <= offset)
        state.add(clean_inline(sentence), line, Kind.PROSE)
    state.last_paragraph = clean_inline(" ".join(t for _, t in lines))


def _close(state: _State) -> None:
    _close_paragraph(state)
    state.items = []
    state.lead_in = ""
    state.last_paragraph = ""


def _item(state: _State, lines: list[str], index: int) -> None:
    match = _ITEM.match(lines[index])
    assert match is not None
    indent = len(match.group(1).expandtabs(4))
    if not state.items:
        # The paragraph right before a list introduces it ("**Alerting:**", "Checks:").
        _close_paragraph(state)
        lead = state.last_paragraph
        state.lead_in = lead if lead and (lead.endswith(":") or len(lead) <= 80) else ""
    text = match.group(2)
    follow = index + 1
    while follow < len(lines) and lines[follow].startswith((" ", "\t")) and lines[follow].strip():
        if _ITEM.match(lines[follow]) or _FENCE.match(lines[follow]):
            break
        text += " " + lines[follow].strip()
        follow += 1
    while state.items and state.items[-1][0] >= indent:
        state.items.pop()
    parents = tuple(p for p in (state.lead_in, *(t for _, t in state.items)) if p)
    cleaned = clean_inline(text)
    for _offset, sentence in split_sentences(cleaned):
        state.add(sentence, index + 1, Kind.ITEM, parents)
    state.items.append((indent, cleaned))


def _fenced(state: _State, lines: list[str], index: int, marker: str, lang: str) -> int:
    """Read a fenced block; returns the index after its closing fence."""
    _close_paragraph(state)
    body: list[tuple[int, str]] = []
    end = index + 1
    while end < len(lines) and not lines[end].strip().startswith(marker[0] * len(marker)):
        body.append((end + 1, lines[end]))
        end += 1
    parents = tuple(p for p in (state.lead_in, *(t for _, t in state.items)) if p)
    lead = parents or ((state.last_paragraph,) if state.last_paragraph.endswith(":") else ())
    for sentence in read_block(lang.lower(), body, state.source, state.heading_path, lead):
        state.sentences.append(sentence)
    return end + 1


def _split_row(line: str) -> list[str]:
    inner = line.strip()
    inner = inner[1:] if inner.startswith("|") else inner
    inner = inner[:-1] if inner.endswith("|") and not inner.endswith("\\|") else inner
    return [clean_inline(cell) for cell in re.split(r"(?<!\\)\|", inner)]


def _table(state: _State, lines: list[str], index: int) -> int:
    """Read a table starting at its header line; returns the index after it."""
    _close(state)
    header = _split_row(lines[index])
    envs: list[Environment | None] = [environment_of_label(h) for h in header]
    per_env = sum(1 for e in envs if e) >= 2
    end = index + 2
    while end < len(lines) and "|" in lines[end] and lines[end].strip():
        row = _split_row(lines[end])
        label = row[0] if row else ""
        if per_env:
            quote = " | ".join(row)
            for cell, env in zip(row[1:], envs[1:], strict=False):
                if env and cell:
                    state.sentences.append(
                        Sentence(
                            f"{label}: {cell}",
                            state.source,
                            end + 1,
                            Kind.ROW,
                            "",
                            state.heading_path,
                            (),
                            env,
                            quote,
                        )
                    )
        else:
            text = " | ".join(c for c in row if c)
            parents = (" | ".join(h for h in header if h),)
            state.add(text, end + 1, Kind.ROW, parents)
        end += 1
    return end
