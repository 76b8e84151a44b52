"""What a PDF page's lines are: their type (size and weight), which are furniture, which are headings.

Split from `pdf.py`, which reads the pages and builds the document from these answers: the page's
lines and tables as pdfplumber gives them, a running header or footer told by its repeating at the
same place on most pages, and a heading told by its number or by its type.
"""

from __future__ import annotations

import re
import statistics
from collections import Counter
from dataclasses import dataclass

from assistant.core.text import heading_level, reads_as_clause

_UNMAPPED_GLYPH = re.compile(r"\(cid:\d+\)")  # pdfminer's name for a glyph its font maps to no character
_PRIVATE_USE = re.compile("[\ue000-\uf8ff]")  # a symbol font's glyphs (bullets, ticks) mapped to no real character
LIST_ITEM = re.compile(r"^\s*(?:[-•–*]|\(?[a-z0-9]{1,3}[.)])\s")
_PAGE_NUMBER = re.compile(r"^\s*(?:page\s*)?[#\d]+(?:\s*(?:of|/)\s*[#\d]+)?\s*$|^\s*[-–]\s*[#\d]+\s*[-–]\s*$", re.I)
_PAGE_REFERENCE = re.compile(r"\bpage\s*\d+(?:\s*(?:of|/)\s*\d+)?\b", re.I)
FURNITURE_MAX_WORDS = 14  # a running header or footer is short; a longer line repeats only if exactly the same
EDGE_LINES = 3  # how many lines at the top and at the bottom of a page may be furniture
PARAGRAPH_GAP = 0.45  # a vertical gap wider than this share of a line's height starts a new paragraph
LARGER = 1.15  # type at least this many times the body's size sets a line apart as a heading
_BOLD_FONT = re.compile(r"bold|black|heavy|semibold|demibold|demi\b", re.I)
_HEADING_WORDS = 14  # a heading set in type is at most this many words
@dataclass
class Line:
    text: str
    top: float
    bottom: float
    size: float = 0.0  # the type's size (the median of its characters'); 0 when unknown (pypdf's text)
    bold: bool = False  # every character set in a bold face
    lead: str = ""  # the words in bold the line opens with, when type not in bold follows them


@dataclass
class PageTable:
    top: float
    rows: list[list[str]]


def type_of(chars: list[dict]) -> tuple[float, bool]:
    """A line's type: the median size of its characters and whether every one is set in a bold face."""
    inked = [c for c in chars if str(c.get("text", "")).strip()]
    if not inked:
        return 0.0, False
    size = float(statistics.median(float(c.get("size") or 0.0) for c in inked))
    return size, all(_BOLD_FONT.search(str(c.get("fontname", ""))) for c in inked)


def bold_lead(text: str, chars: list[dict]) -> str:
    """The opening words of a line's text set in a bold face, when characters not in bold follow; else "".
    A list item's marker ("•", "(a)", "3.") comes before them and is not part of them.

    pdfplumber's characters may leave out the spaces its text has, so the lead is counted in inked
    characters and read off the text."""
    inked = [c for c in chars if str(c.get("text", "")).strip()]
    marker = LIST_ITEM.match(text)
    skipped = 0  # the characters inked for the marker (a bullet may be drawn as placeholders: "(cid:127)")
    if marker:
        core, inks, drawn = "".join(marker.group(0).split()), [str(char.get("text", "")) for char in inked], ""
        while skipped < len(inked):
            longer = "".join(glyphs("".join(inks[: skipped + 1])).split())
            if not core.startswith(longer):
                break
            drawn, skipped = longer, skipped + 1
        if drawn != core:
            return ""
    count = 0
    for char in inked[skipped:]:
        if not _BOLD_FONT.search(str(char.get("fontname", ""))):
            break
        count += len(str(char.get("text", "")).strip())
    if count == 0 or skipped + count >= len(inked):
        return ""
    seen, start = 0, marker.end() if marker else 0
    for position in range(start, len(text)):
        if not text[position].isspace():
            seen += 1
            if seen == count:
                return text[start : position + 1].strip()
    return ""


def glyphs(text: str) -> str:
    """Text with pdfminer's "(cid:N)" placeholders and private-use characters gone: a line opening with one (a
    bullet drawn in a symbol font, such as Word's U+F0B7) gets "•", so it reads as a list item; anywhere else
    it is dropped."""
    if _PRIVATE_USE.search(text):
        stripped = text.lstrip()
        if _PRIVATE_USE.match(stripped):
            text = "• " + _PRIVATE_USE.sub("", stripped, count=1).lstrip()
        text = _PRIVATE_USE.sub("", text)
    if "(cid:" not in text:
        return text
    stripped = text.lstrip()
    if _UNMAPPED_GLYPH.match(stripped):
        text = "• " + _UNMAPPED_GLYPH.sub("", stripped, count=1).lstrip()
    return _UNMAPPED_GLYPH.sub("", text)


def normalise(line: str) -> str:
    return re.sub(r"\d+", "#", line.strip().lower())


def furniture_key(line: Line) -> tuple[str, int]:
    """What a line is counted under when looking for furniture: its place on the page (running headers
    and footers are drawn at a fixed height) and its exact text when it is a heading or longer than
    FURNITURE_MAX_WORDS words (body text), else its text with numbers as # ("Page #").

    A long line's own page reference ("... | Classification: Internal Page 2 of 3") is still read as
    "Page #", so a long running header that numbers its pages repeats like any other.
    """
    text = line.text.strip()
    place = round(line.top / 6)
    if heading_level(text) is not None or len(text.split()) > FURNITURE_MAX_WORDS:
        return _PAGE_REFERENCE.sub("page #", text), place
    return normalise(text), place


def furniture_lines(pages: list[list[Line]]) -> set[tuple[str, int]]:
    """Normalised lines that open or close most pages (running headers and footers)."""
    if len(pages) < 2:
        return set()
    counts: Counter[str] = Counter()
    for lines in pages:
        texts = [line for line in lines if line.text.strip()]
        counts.update({furniture_key(line) for line in texts[:EDGE_LINES] + texts[-EDGE_LINES:]})
    threshold = max(2, (len(pages) + 1) // 2)
    return {key for key, count in counts.items() if count >= threshold and len(key[0]) < 200}


def edge_lines(lines: list[Line]) -> set[int]:
    """The ids of the lines at the top and at the bottom of a page, where furniture sits."""
    texts = [line for line in lines if line.text.strip()]
    return {id(line) for line in texts[:EDGE_LINES] + texts[-EDGE_LINES:]}


def is_furniture(line: Line, edges: set[int], furniture: set[tuple[str, int]]) -> bool:
    """A running header or footer, or a page-number line, at the top or bottom of its page."""
    if id(line) not in edges:
        return False
    return furniture_key(line) in furniture or bool(_PAGE_NUMBER.match(normalise(line.text)))


class HeadingStyles:
    """Which lines of a PDF its type sets apart as headings, and at what level.

    The body's size is the most common size of the document's text (by characters, furniture left out).
    A heading is larger than that, or bold throughout at that size; never smaller (table headers, notes).
    Its level is its place among the document's heading sizes, larger first, bold before regular at a
    size, so a heading nests under the larger headings before it whatever its numbering says.
    """

    def __init__(self, pages: list[tuple[list[Line], list[PageTable]]], furniture: set[tuple[str, int]]) -> None:
        sizes: Counter[float] = Counter()
        for lines, _ in pages:
            edges = edge_lines(lines)
            for line in lines:
                if line.size and not is_furniture(line, edges, furniture):
                    sizes[round(line.size, 1)] += len(line.text)
        self.body = sizes.most_common(1)[0][0] if sizes else 0.0
        ranks = {(round(line.size, 1), line.bold) for lines, _ in pages for line in lines if self._styled(line)}
        self.ranks = {style: n for n, style in enumerate(sorted(ranks, key=lambda s: (-s[0], not s[1])), start=1)}

    def _styled(self, line: Line) -> bool:
        if not self.body or not line.size or line.size < self.body - 0.25:
            return False
        if not (line.bold or line.size >= self.body * LARGER):
            return False
        text = line.text.strip()
        words = text.split()
        return (0 < len(words) <= _HEADING_WORDS and len(text) <= 110 and any(c.isalpha() for c in text)
                and text[-1] not in ".,;:" and not reads_as_clause(text)
                and (not LIST_ITEM.match(text) or heading_level(text) is not None))  # "1. Purpose" heads a section

    def level(self, line: Line) -> int | None:
        """The heading level its type gives the line, or None for a line of text."""
        return self.ranks.get((round(line.size, 1), line.bold)) if self._styled(line) else None

    def plain_numbered(self, line: Line) -> bool:
        """A numbered line in the body's type in a document that sets its headings in type: a list item
        ("6. Agree customer communication with ...", wrapped), not a heading, however it is numbered."""
        return bool(self.ranks) and line.text.lstrip()[:1].isdigit() and not self._styled(line)

    def wraps(self, heading: Line, line: Line) -> bool:
        """Whether `line` carries on the heading line just before it (the same type, no paragraph gap)."""
        if not heading.size or (round(heading.size, 1), heading.bold) != (round(line.size, 1), line.bold):
            return False
        text = line.text.strip()
        height = max(line.bottom - line.top, 1.0)
        return (0 <= line.top - heading.bottom <= PARAGRAPH_GAP * height and len(text.split()) <= _HEADING_WORDS
                and heading_level(text) is None and not LIST_ITEM.match(text))
