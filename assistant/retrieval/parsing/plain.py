"""Plain text: encoding detection, paragraphs, and numbered, named or capitals headings on their own line.

A numbered line whose text wraps on into the next line ("1. The clinician completes ... (if not
already" / "   done) and ...") is a list item, kept as text, not a heading.

The canonical text is the decoded file, so a Latin-1 document keeps its accents in quotes,
reflowed: a line break that only wraps a paragraph's line becomes a space (one character for one,
so every offset still points at the same character of the file), and sentences, quotes and the
instruction filter see whole sentences rather than line fragments. Line breaks before list items,
after short lines and after a colon stay.
"""

from __future__ import annotations

import re

from assistant.core.models import Block, ParsedDocument
from assistant.core.text import caps_heading, heading_level, reflow, trail_titles, update_trail, wrap_breaks
from assistant.retrieval.parsing.base import decode_text


def parse(data: bytes, stem: str) -> ParsedDocument:
    """Parse a text file into paragraph blocks under the headings that precede them."""
    text = decode_text(data)
    blocks: list[Block] = []
    trail: list[tuple[int, str]] = []
    title = ""
    for start, end in _paragraph_spans(text):
        paragraph = text[start:end]
        first_line, _, rest = paragraph.partition("\n")
        level = heading_level(first_line)
        if level is not None and (rest[:1].isspace() or rest[:1].islower()):
            level = None  # the line wraps on into the next one: a numbered list item, not a heading
        if level is None and not rest.strip() and caps_heading(first_line):
            if not title:
                title = first_line.strip()  # the document's own title line, as Markdown's first heading
                continue
            level = 1
        if not title and level is None and len(first_line) < 120:
            title = first_line.strip()
        if level is not None:
            update_trail(trail, level, first_line.strip())
            if not rest.strip():
                continue
            start = start + len(first_line) + 1
            start += len(text[start:end]) - len(text[start:end].lstrip())
        blocks.append(Block(start=start, end=end, trail=trail_titles(trail)))
    text = reflow(text, [offset for block in blocks for offset in wrap_breaks(text, block.start, block.end)])
    return ParsedDocument(title=title or stem, text=text, blocks=blocks, format="text", header_text=text[:600])


def _paragraph_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of each blank-line separated paragraph, trimmed."""
    spans = []
    for match in re.finditer(r"\S(?:.*?\S)?(?=\n[ \t]*\n|\s*\Z)", text, re.DOTALL):
        spans.append((match.start(), match.end()))
    return spans
