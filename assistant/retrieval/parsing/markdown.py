"""Markdown: front matter, ATX headings, paragraphs and pipe tables (one record per row).

A heading whose words read as a clause of running text (a list item or lead-in that a conversion
styled as a heading: "(b) DOCUMENTATION DESCRIBING:") is kept as a paragraph, not taken as a heading.
A line wholly in bold over the text it heads (a wiki FAQ's "**Can Tilly see my bill?**") is a heading
one level under the last `#` heading; a paragraph that opens with bold words ending as a sentence
or a question ("**Can I use Quill on my phone?** Yes, ...") is filed under them too, and keeps them
as text (`base.run_in_trail`). A list's items are blocks of their own, so an item can be filed under its
own run-in heading ("- **Executive sponsor.** Signs off ..."); items under one heading still pack into
one chunk. Thematic breaks and block-quote markers are no text.

A PDF converted to Markdown may keep its page breaks as marker lines ("{2}" and a run of dashes, as the
marker converter's paginated output writes them): they are no text, and a short line next to a page break
that repeats at others with only its numbers changed ("PAGE 2-SENATE BILL 24-205") is the pages'
furniture, not text. (The breaks could also give each block its page; tried, and a chunk that may not
cross a page break then ranked the reference questions lower: see the README.) A "Contents" or "Table of
Contents" heading heads no section after it, whatever level the conversion gave it.

The canonical text is the file itself (front matter included), so spans point into the
document exactly as the author wrote it, except for pipe tables: a table is replaced by its
records, one per body row, written as `Header: value` lines (values verbatim, empty cells left
out) like CSV and XLSX rows, so a quoted row reads as a record, never as `| a | b |`.

A paragraph's soft line breaks (a single line break, not before a list item, quote or table line)
are spaces in the canonical text, as Markdown renders them, so sentences are never cut at a
wrapped line.
"""


from __future__ import annotations

import re

from assistant.core.chunks import split_pipe_row
from assistant.core.models import Block, ParsedDocument
from assistant.core.text import (
    reads_as_clause,
    reflow,
    trail_titles,
    update_trail,
    without_emphasis,
    wrap_breaks,
)
from assistant.retrieval.parsing.base import (
    TableSpan,
    decode_text,
    names_columns,
    record_text,
    run_in_trail,
    trimmed_block,
    write_tables,
)

_HEADING = re.compile(r"^(#{1,6})\s+(.+?)\s*#*\s*$")
_FENCE = re.compile(r"^(```|~~~)")
_LIST_ITEM = re.compile(r"^\s*(?:[-*+]|\d{1,3}[.)])\s+")
_CONTENTS = re.compile(r"^(?:table of )?contents$", re.I)
_PAGE_BREAK = re.compile(r"^\{(\d{1,5})\}-{8,}\s*$")
FURNITURE_WORDS = 10  # a running header or footer is short
_TABLE_SEP = re.compile(r"^\s*\|?\s*:?-{2,}:?\s*(\|\s*:?-{2,}:?\s*)*\|?\s*$")


def parse_front_matter(text: str) -> tuple[dict[str, str], int]:
    """The `key: value` pairs of a leading `---` block and the offset where the body starts."""
    if not text.startswith("---\n"):
        return {}, 0
    close = re.search(r"^---\s*$", text[4:], re.MULTILINE)
    if close is None:
        return {}, 0
    fields: dict[str, str] = {}
    for line in text[4 : 4 + close.start()].splitlines():
        key, sep, value = line.partition(":")
        if sep and key.strip() and not key.startswith((" ", "\t", "-")):
            fields[key.strip().lower()] = value.strip().strip("'\"")
    return fields, 4 + close.end()


def parse(data: bytes, stem: str) -> ParsedDocument:
    """Parse Markdown into blocks: a paragraph each, and a record per table row."""
    text = decode_text(data)
    front, body_start = parse_front_matter(text)
    lines = _lines_with_offsets(text, body_start)
    blocks: list[Block | TableSpan] = []
    prose: list[Block] = []  # paragraphs outside code fences, whose soft line breaks are spaces
    trail: list[tuple[int, str]] = []
    title = front.get("title", "")
    i = 0
    depth = 0  # the level of the last `#` heading: a bold line heads what follows one level under it
    page_breaks: list[int] = []  # how many blocks came before each page break
    while i < len(lines):
        start, line = lines[i]
        if _PAGE_BREAK.match(line):
            page_breaks.append(len(blocks))
            i += 1
            continue
        if _FENCE.match(line.strip()):  # a code block, its fences included, is one block and no prose
            i = _consume_fence(lines, i, trail_titles(trail), blocks)
            continue
        if _RULE.match(line):
            i += 1  # a thematic break opening a paragraph ("---" over "*Exported from ...*") is no text
            continue
        bold = bold_heading(line)
        if bold and i + 1 < len(lines) and lines[i + 1][1].strip():
            update_trail(trail, depth + 1, bold)  # "**Can Tilly see a customer's account?**" over its answer
            i += 1
            continue
        heading = _HEADING.match(line)
        if heading and reads_as_clause(_strip_inline(heading.group(2))):  # text styled as a heading: kept as text
            blocks.append(Block(start=start + heading.start(2), end=start + heading.end(2), trail=trail_titles(trail)))
            i += 1
            continue
        if heading:
            level, heading_text = len(heading.group(1)), _strip_inline(heading.group(2))
            title = title or heading_text
            depth = level
            if trail and _CONTENTS.match(trail[-1][1]) and level > trail[-1][0]:
                trail.pop()  # a contents page heads none of the sections after it, whatever level a conversion gave it
            if not (level == 1 and heading_text == title and not trail):
                update_trail(trail, level, heading_text)
            i += 1
            continue
        if not line.strip():
            i += 1
            continue
        before = len(blocks)
        i = _consume_paragraph(lines, i, trail_titles(trail), blocks)
        prose.extend(block for block in blocks[before:] if isinstance(block, Block))
    if page_breaks:
        blocks, prose = _without_furniture(text, blocks, prose, page_breaks)
    text = reflow(text, [offset for block in prose for offset in wrap_breaks(text, block.start, block.end,
                                                                            markdown=True)])
    text = without_emphasis(text, [(block.start, block.end) for block in prose])
    text = _without_quote_markers(text, prose)
    blocks = [trimmed_block(text, block) if isinstance(block, Block) else block for block in blocks]
    text, blocks = write_tables(text, blocks)
    return ParsedDocument(
        title=title or stem,
        text=text,
        blocks=blocks,
        format="markdown",
        metadata_label=front.get("classification") or front.get("label"),
        header_text=text[body_start : body_start + 600],
    )


_BOLD_LINE = re.compile(r"^(\*\*|__)(?=\S)([^*_\n]+?)(?<=\S)\1\s*$")
_RULE = re.compile(r"^ {0,3}([-*_])(?:\s*\1){2,}\s*$")
_QUOTE_MARKER = re.compile(r"^ {0,3}>[ ]?", re.MULTILINE)
BOLD_HEADING_WORDS = 15


def bold_heading(line: str) -> str | None:
    """The text of a line set wholly in bold that heads what follows it, as a wiki's FAQ sets its
    questions ("**Can Tilly see a customer's account or bill?**" over the answer), else None.

    A bold lead-in ending in a colon ("**Never put these into Quill:**") introduces a list: text."""
    match = _BOLD_LINE.match(line.strip())
    if not match:
        return None
    words = match.group(2).strip()
    if words.endswith(":") or len(words.split()) > BOLD_HEADING_WORDS:
        return None
    return words


_RUN_IN = re.compile(r"^(\*\*|__)(?=\S)([^*_\n]+?[.?:!])\1\s+\S")


def run_in_heading(line: str) -> tuple[str, ...]:
    """The run-in heading a paragraph's opening bold words make, as a trail's last part
    (`base.run_in_trail`), else ()."""
    match = _RUN_IN.match(line.strip())
    return run_in_trail(match.group(2)) if match else ()


def _without_furniture(text: str, blocks: list, prose: list[Block], page_breaks: list[int]) -> tuple[list, list[Block]]:
    """The blocks without the pages' furniture: a short block next to a page break whose words, numbers
    aside, are next to another page break too ("PAGE 2-SENATE BILL 24-205", "PAGE 3-SENATE BILL 24-205")."""
    beside: dict[int, str] = {}  # block index -> its words with numbers blanked, for the blocks next to a break
    for count in page_breaks:
        for index in (count - 1, count):
            if 0 <= index < len(blocks) and isinstance(blocks[index], Block):
                words = text[blocks[index].start : blocks[index].end]
                if len(words.split()) <= FURNITURE_WORDS:
                    beside[index] = re.sub(r"\d+", "#", " ".join(words.split()))
    repeated = {index for index, shape in beside.items() if sum(other == shape for other in beside.values()) > 1}
    dropped = {id(blocks[index]) for index in repeated}
    return ([block for index, block in enumerate(blocks) if index not in repeated],
            [block for block in prose if id(block) not in dropped])


def _without_quote_markers(text: str, prose: list[Block]) -> str:
    """The text with the `>` of each block-quoted line in these paragraphs made a space: same length."""
    chars = list(text)
    for block in prose:
        line_start = text.rfind("\n", 0, block.start) + 1
        for match in _QUOTE_MARKER.finditer(text, line_start, block.end):
            if match.start() >= line_start:
                chars[match.start() + match.group(0).index(">")] = " "
    return "".join(chars)


def _lines_with_offsets(text: str, start: int) -> list[tuple[int, str]]:
    lines = []
    offset = start
    for line in text[start:].split("\n"):
        lines.append((offset, line))
        offset += len(line) + 1
    return lines


def _consume_fence(lines: list[tuple[int, str]], i: int, trail: tuple[str, ...], blocks: list) -> int:
    """Add the fenced code block opening at line i, up to its closing fence (or the file's end), as one
    block; return the index after it."""
    fence = lines[i][1].strip()[:3]
    j = i + 1
    while j < len(lines) - 1 and not lines[j][1].strip().startswith(fence):
        j += 1
    j = min(j, len(lines) - 1)
    blocks.append(Block(start=lines[i][0], end=lines[j][0] + len(lines[j][1]), trail=trail))
    return j + 1


def _consume_paragraph(lines: list[tuple[int, str]], i: int, trail: tuple[str, ...], blocks: list[Block]) -> int:
    """Add the paragraph (a block, or one for each list item and one for its lead-in) or the table
    starting at line i; return the index after it. A block that opens with a run-in heading is filed
    under it too."""
    if i + 1 < len(lines) and "|" in lines[i][1] and _TABLE_SEP.match(lines[i + 1][1]):
        return _consume_table(lines, i, trail, blocks)
    j = i
    while j < len(lines) and lines[j][1].strip() and not _HEADING.match(lines[j][1]):
        if j > i and _FENCE.match(lines[j][1].strip()):
            break
        j += 1
    j = max(j, i + 1)
    # a list's items are blocks of their own (its lead-in one too), so an item can be filed under its own
    # run-in heading ("- **Executive sponsor.** Signs off ..."); a nested item stays in its parent's block
    indents = {k: _indent(lines[k][1]) for k in range(i, j) if _LIST_ITEM.match(lines[k][1])}  # item lines
    top = min(indents.values(), default=0)
    starts = [k for k in range(i, j) if k == i or indents.get(k, top + 1) <= top]
    for first, after in zip(starts, [*starts[1:], j]):
        end = lines[after - 1][0] + len(lines[after - 1][1])
        run_in = run_in_heading(_LIST_ITEM.sub("", lines[first][1], count=1))
        blocks.append(Block(start=lines[first][0], end=end, trail=trail + run_in))
    return j


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip())


def _consume_table(lines: list[tuple[int, str]], i: int, trail: tuple[str, ...], blocks: list) -> int:
    """A table: one `Header: value` record per body row (row 1 is the header row).

    A table whose first row names no columns (a caption, or a cell of prose) is text laid out in
    columns, as a PDF conversion leaves a framework's tables: each non-empty cell is a paragraph, in
    reading order, so that its sentences are quoted one by one and a caption is not repeated into
    every row as a column name.
    """
    header = [_strip_inline(cell) for cell in split_pipe_row(lines[i][1])]
    table = TableSpan(start=lines[i][0], end=lines[i + 1][0] + len(lines[i + 1][1]), trail=trail,
                   prose=not names_columns(header))
    if table.prose:
        table.records.extend((1, " ".join(cell.split())) for cell in header if cell)
    j = i + 2
    row_number = 1
    while j < len(lines) and lines[j][1].strip().startswith("|"):
        offset, line = lines[j]
        row_number += 1
        cells = split_pipe_row(line)
        if table.prose:
            table.records.extend((row_number, " ".join(_strip_inline(cell).split())) for cell in cells if cell)
        elif record := record_text(header, cells):
            table.records.append((row_number, record))
        table.end = offset + len(line.rstrip())
        j += 1
    blocks.append(table)
    return j


def _strip_inline(text: str) -> str:
    return re.sub(r"[*_`]{1,3}([^*_`]+)[*_`]{1,3}", r"\1", text).strip()
