"""Plain text: encoding detection, paragraphs, headings on their own line, aligned tables, memo subjects.

Headings are numbered or named lines ("3.2 Risk criteria", "Article 5"), capitals lines ("WHAT'S
NEW"), and a short line standing alone in sentence case ("Where we're at") when prose follows it,
as e-mails and memos mark their parts. A numbered line whose text wraps on into the next line
("1. The clinician completes ... (if not already" / "   done) and ...") is a list item, kept as
text, not a heading. A list whose items each open with a short title sentence ("4. Marking stays
human. You may use ...") files each item under its title (`_titled_items`).

A memo's or e-mail's title is its subject: the `Subject:` (or `Re:`) line of the header block it
opens with (`From:`, `To:`, `Date:` ...), its wrapped lines joined; not the letterhead above it
("MEMORANDUM", the organisation's name) nor the `From:` line.

A paragraph whose lines are columns set apart by runs of spaces ("Network Operations      79%") is
a table: one record per row, `Header: value` under a header row of names, `key: value` in a table
of two columns without one, as Markdown, CSV and XLSX rows read.

The canonical text is otherwise the decoded file, so a Latin-1 document keeps its accents in
quotes, reflowed: a line break that only wraps a paragraph's line becomes a space, and sentences,
quotes and the instruction filter see whole sentences rather than line fragments. Line breaks
before list items, after short lines and after a colon stay.
"""

from __future__ import annotations

import re

from assistant.core.models import Block, ParsedDocument
from assistant.core.text import (
    FIELD_LINE,
    caps_heading,
    heading_level,
    reflow,
    sentence_spans,
    trail_titles,
    update_trail,
    wrap_breaks,
)
from assistant.retrieval.parsing.base import (
    TableSpan,
    decode_text,
    is_figure,
    names_columns,
    pair_records,
    record_text,
    write_tables,
)

_HEADER_FIELD = re.compile(r"^(from|to|cc|bcc|copy|date|sent|subject|subj|re)\s*:\s*(.*)$", re.I)
_RULE = re.compile(r"^\s*([-=_*~])\1{5,}\s*$")
_HEADER_LINES = 30  # a memo's header block sits within its first lines
PLAIN_HEADING_WORDS = 8
_COLUMN_GAP = re.compile(r"\s{2,}")
_COLUMN_SLACK = 3  # characters a column's cells may start (left-aligned) or end (right-aligned) apart


def parse(data: bytes, stem: str) -> ParsedDocument:
    """Parse a text file into paragraph blocks under the headings that precede them, and table records."""
    text = decode_text(data)
    spans = _paragraph_spans(text)
    subject, header_end = message_subject(text)
    items: list[Block | TableSpan] = []
    trail: list[tuple[int, str]] = []
    title = subject
    depth = 0  # the level of the last numbered, named or capitals heading: a plain heading sits under it
    for index, (start, end) in enumerate(spans):
        paragraph = text[start:end]
        first_line, _, rest = paragraph.partition("\n")
        level = heading_level(first_line)
        if level is not None and (rest[:1].isspace() or rest[:1].islower()):
            level = None  # the line wraps on into the next one: a numbered list item, not a heading
        if level is None and not rest.strip() and caps_heading(first_line):
            if not title or end <= header_end:
                title = title or first_line.strip()  # the document's own title line, as Markdown's first heading
                continue  # or a memo's letterhead above its header block
            level = 1
        if level is not None:
            depth = level
        elif (title and not rest.strip() and plain_heading(first_line) and index + 1 < len(spans)
              and _opens_prose(text[spans[index + 1][0] : spans[index + 1][1]])):
            level = depth + 1
        if not title and level is None and len(first_line) < 120:
            title = first_line.strip()
        if level is not None:
            update_trail(trail, level, first_line.strip())
            if not rest.strip():
                continue
            start = start + len(first_line) + 1
            start += len(text[start:end]) - len(text[start:end].lstrip())
        table = aligned_table(text[start:end])
        if table is not None:
            items.append(TableSpan(start=start, end=end, trail=trail_titles(trail),
                                   records=list(enumerate(table, start=2))))
            continue
        items.append(Block(start=start, end=end, trail=trail_titles(trail)))
    items = _titled_items(text, items)
    text = reflow(text, [offset for item in items if isinstance(item, Block)
                         for offset in wrap_breaks(text, item.start, item.end)])
    text, blocks = write_tables(text, items)
    return ParsedDocument(title=title or stem, text=text, blocks=blocks, format="text", header_text=text[:600])


# A numbered or bulleted item's marker. Narrower than `core.text.LIST_MARKER` on purpose: no letters, so a
# paragraph opening "Dr. Rao ..." or "Re. ..." is not taken for an item whose first sentence titles it.
_ITEM = re.compile(r"(?:\d{1,2}[.)]|[-•*])[ \t]+")
ITEM_TITLE_WORDS = 10  # words of the short sentence that opens each item of a titled list ("Marking stays human.")


def _titled_items(text: str, items: list[Block | TableSpan]) -> list[Block | TableSpan]:
    """Each paragraph of a list whose items open with a short sentence that titles them ("4. Marking
    stays human. You may use ...", "* Snap & Send photo upload. Tenants can ..."), filed under that title
    (with its number, "4. Marking stays human", so that a citation names the item).

    Why: plain text has no bold to mark a run-in heading, so the item's later sentences would be filed
    under nothing of their own. The shape is read over the whole list, not one item: every item of more
    than one sentence opens with a sentence of at most ITEM_TITLE_WORDS words, and two at least do; an
    item of one sentence neither makes nor breaks it. A list whose items open with long sentences
    ("3. The evaluation report goes to the Board on 4 June, so ...") is left as it is.
    """
    result = list(items)
    run: list[tuple[int, str | None]] = []  # (index in items, the title its first sentence would make)

    def close() -> None:
        titles = [title for _, title in run]
        if any(title == "" for title in titles) or sum(bool(title) for title in titles) < 2:
            return
        for index, title in run:
            if title:
                block = result[index]
                result[index] = block.model_copy(update={"trail": (*block.trail, title)})

    for index, item in enumerate(items):
        marker = _ITEM.match(text, item.start) if isinstance(item, Block) else None
        if run and (marker is None or item.trail != items[run[-1][0]].trail):
            close()  # the list ends at a paragraph that is no item, or under another heading
            run = []
        if marker is None:
            continue
        body = text[marker.end() : item.end].replace("\n", " ")  # a wrapped line is no sentence end here
        sentences = sentence_spans(body)
        if len(sentences) < 2:
            run.append((index, None))  # one sentence: neither titles nor breaks the list
            continue
        sentence = " ".join(body[slice(*sentences[0])].split())
        number = marker.group().strip() if marker.group()[0].isdigit() else ""  # "4." locates it; a bullet does not
        title = f"{number} {sentence.rstrip('.')}".strip()
        run.append((index, title if len(sentence.split()) <= ITEM_TITLE_WORDS else ""))
    close()
    return result


def message_subject(text: str) -> tuple[str, int]:
    """The subject of a memo or e-mail that opens with a header block, and the offset where that block ends.

    A header block has a `Subject:` (or `Re:`) line and at least one more of `From:`, `To:`, `Cc:`,
    `Date:` within its first lines. A subject wrapped over lines ("... joining," / "and a few
    changes") is joined, up to the next field, a rule or a blank line. ("", 0) when there is none.
    """
    lines = text.split("\n")[:_HEADER_LINES]
    fields, subject, end = set(), [], 0
    offset, in_subject = 0, False
    for line in lines:
        stripped = line.strip()
        field = _HEADER_FIELD.match(stripped)
        if in_subject and (not stripped or field or FIELD_LINE.match(stripped + " ") or _RULE.match(line)):
            in_subject = False  # a blank line, the next field (or a bare "Label:"), a rule
        if in_subject:
            subject.append(stripped)
            end = offset + len(line)
        elif field:
            key = field.group(1).lower()
            fields.add(key)
            end = offset + len(line)
            if key in ("subject", "subj", "re") and not subject and field.group(2).strip():
                subject, in_subject = [field.group(2).strip()], True
        offset += len(line) + 1
    if not subject or len(fields) < 2:
        return "", 0
    return " ".join(" ".join(subject).split()), end


def plain_heading(line: str) -> bool:
    """Whether a line standing alone could head what follows: short, capitalised, not ending as a
    sentence, a greeting or a lead-in does ("Where we're at", not "Hi everyone," or "By division:")."""
    line = line.strip()
    words = line.split()
    return (0 < len(words) <= PLAIN_HEADING_WORDS and line[0].isupper() and line[-1] not in ".,;:!?"
            and not any(mark in line for mark in "|@<>=") and any(ch.islower() for ch in line))


def _opens_prose(paragraph: str) -> bool:
    """Whether a paragraph is body text a heading could stand over: it ends as a sentence or a
    lead-in does, or is a list or a table (a signature's name over its address lines is not)."""
    paragraph = paragraph.strip()
    return (paragraph[-1:] in ".:!?" or re.match(r"^(?:[-•*]|\(?[A-Za-z0-9]{1,3}[.)])\s", paragraph) is not None
            or aligned_table(paragraph) is not None)


def aligned_table(paragraph: str) -> list[str] | None:
    """The records of a paragraph laid out as a table of columns set apart by runs of spaces, else None.

    Every line (two at least) must split into the same number of cells, two or more, whose columns
    line up (left- or right-aligned), each set apart by more than two spaces in some row, with no
    sentence ending before a gap (prose spaced twice after its full stops is not a table). A first
    row with no figure that names columns is the header; without one, a two-column table reads as
    `key: value` pairs, a wider one as `Column N: value`.
    """
    lines = [line.rstrip() for line in paragraph.split("\n") if line.strip()]
    if len(lines) < 2:
        return None
    rows, places = [], []
    for line in lines:
        stripped = line.strip()
        if _RULE.match(line):
            return None
        cells = _COLUMN_GAP.split(stripped)
        indent = len(line) - len(line.lstrip())
        starts = [indent + m.start() for m in re.finditer(r"\S+(?: \S+)*", stripped)]
        if len(cells) < 2 or len(starts) != len(cells):
            return None
        rows.append(cells)
        places.append([(s, s + len(cell)) for s, cell in zip(starts, cells)])
    if len({len(cells) for cells in rows}) != 1:
        return None
    for column in range(1, len(rows[0])):
        lefts = [place[column][0] for place in places]
        rights = [place[column][1] for place in places]
        if max(lefts) - min(lefts) > _COLUMN_SLACK and max(rights) - min(rights) > _COLUMN_SLACK:
            return None
        if max(place[column][0] - place[column - 1][1] for place in places) < 3:
            return None  # no row sets this column apart by more than two spaces: prose spaced after its sentences
        if any(cells[column - 1][-1] in ".!?" for cells in rows):
            return None  # a sentence ends before the gap: prose, not a cell
    header = rows[0]
    if not any(is_figure(cell) for cell in header) and names_columns(header) and len(rows) > 1:
        return [record for cells in rows[1:] if (record := record_text(header, cells))]
    if len(header) == 2:
        return pair_records(rows)
    return [record_text([], cells) for cells in rows]


def _paragraph_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of each blank-line separated paragraph, trimmed."""
    spans = []
    for match in re.finditer(r"\S(?:.*?\S)?(?=\n[ \t]*\n|\s*\Z)", text, re.DOTALL):
        spans.append((match.start(), match.end()))
    return spans
