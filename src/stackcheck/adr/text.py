"""Text clean-up for ADR reading: mojibake repair, diagram decoration, inline Markdown, sentence splits.

All functions are pure and bounded (regular expressions without nested quantifiers over the whole text).
"""

from __future__ import annotations

import re
from collections.abc import Iterator

__all__ = ["cells", "clean_inline", "decode", "repair_mojibake", "split_sentences", "strip_decoration"]

MAX_LINE = 1000  # longer lines are cut: a claim is a sentence, not a minified file

# UTF-8 read as cp1252 (or cp1254) and saved again: a box-drawing bar, an emoji or a check mark shows as
# "\u00e2" or "\u011f\u0178" followed by one to three cp1252 letters.
_MOJIBAKE = re.compile(
    "\u00e2[\u0080-\u00bf\u0152\u0153\u0160\u0161\u0178\u017d\u017e\u0192\u02c6\u02dc\u2013\u2014"
    "\u2018-\u201e\u2020-\u2022\u2026\u2030\u2039\u203a\u20ac\u2122]|\u011f\u0178|\u00c3[\u0080-\u00bf]"
)
# Box drawing, blocks, geometric shapes, dingbats, emoji, variation selectors: drawing, not words.
_DECORATION = re.compile(
    "[\u2500-\u259f\u25a0-\u25ff\u2600-\u27bf\u2b00-\u2bff\ufe0f\u200d\U0001f000-\U0001faff\ufffd]"
)
_VERTICAL = re.compile("[\u2502\u2503\u2551\u250a\u250b\u2506\u2507]")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def decode(raw: bytes) -> str:
    """Bytes of a document as text: UTF-8 (BOM allowed), else cp1252, which decodes every byte but five."""
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return raw.decode("cp1252", errors="replace")


def _byte(char: str) -> bytes | None:
    for encoding in ("cp1252", "cp1254"):
        try:
            return char.encode(encoding)
        except UnicodeEncodeError:
            continue
    return bytes([ord(char)]) if ord(char) < 256 else None


def repair_mojibake(line: str) -> str:
    """Undo one round of UTF-8-read-as-cp1252 on a line that shows its marks; others come back as is."""
    if not _MOJIBAKE.search(line):
        return line
    parts = [_byte(c) for c in line]
    if any(p is None for p in parts):
        return line
    repaired = b"".join(p for p in parts if p is not None).decode("utf-8", errors="replace")
    return repaired.replace("\ufffd", "")


def strip_decoration(text: str) -> str:
    """Drawing characters removed, control characters dropped, whitespace collapsed."""
    text = _CONTROL.sub("", text)
    return " ".join(_DECORATION.sub(" ", text).split())


def cells(line: str) -> list[str]:
    """The text cells of a diagram line: the parts between vertical box characters, decoration removed."""
    return [c for c in (strip_decoration(part) for part in _VERTICAL.split(line)) if _has_word(c)]


def _has_word(text: str) -> bool:
    return bool(re.search(r"[A-Za-z0-9]", text))


_LINK = re.compile(r"!?\[([^\]]*)\]\([^)]*\)")
_EMPHASIS = re.compile(r"(\*\*|__)(.+?)\1")
_STAR = re.compile(r"(?<![\w*])\*(?!\s)([^*]+?)(?<!\s)\*(?![\w*])")
_TAG = re.compile(r"</?[A-Za-z][^>]{0,200}>")


def clean_inline(text: str) -> str:
    """Inline Markdown removed (links keep their text, code its content); decoration and controls gone."""
    text = text[:MAX_LINE]
    text = _LINK.sub(r"\1", text)
    text = _TAG.sub(" ", text)
    text = _EMPHASIS.sub(r"\2", text)
    text = _STAR.sub(r"\1", text)
    text = text.replace("`", "")
    text = strip_decoration(text)
    return text if _has_word(text) else ""


# A sentence ends at . ! ? followed by space and a capital, a digit, a quote or a backtick; not after
# abbreviations and not inside numbers or names (0.9, Node.js).
_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9`\"'(\[])")
_ABBREVIATIONS = ("e.g.", "i.e.", "etc.", "vs.", "approx.", "incl.", "no.", "cf.", "ca.", "resp.")


def split_sentences(text: str) -> Iterator[tuple[int, str]]:
    """``(offset, sentence)`` for each sentence of ``text``; the offsets let callers find the line."""
    start = 0
    for match in _END.finditer(text):
        head = text[start : match.start()]
        if head.lower().endswith(_ABBREVIATIONS):
            continue
        if head.strip():
            yield start, head.strip()
        start = match.end()
    tail = text[start:].strip()
    if tail:
        yield start, tail
