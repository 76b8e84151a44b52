"""PDF: pages read with pdfplumber into paragraphs and table rows, page furniture removed,
numbered headings tracked across pages.

- Blocks never cross a page, so a quote's page is exact, except a paragraph whose sentence runs
  over a page break (the page ends without closing punctuation and the next opens in lower case):
  it is kept whole, at the page it starts on, rather than cut into two fragments.
- Lines that repeat at the top or bottom of most pages (running headers and footers such as
  "Company | Title | Classification: Internal Page 3 of 5") and page-number lines are kept out of
  chunks, but searched for a classification marker (they are the document's header text).
- A heading is a numbered or named line ("3.2 Reporting", "Article 5"), or a short line set apart by its
  type: larger than the body text, or bold throughout at the body's size, and not ending as a sentence
  or a lead-in does ("NC-01 (Major): BedFlow assessment overdue", "Who this applies to"). Headings set
  in type nest by size (the larger outside); a heading wrapped over two lines is one heading.
- Wrapped lines are joined into paragraphs; a paragraph ends where the vertical gap between lines
  grows or a list item starts. A bullet whose glyph maps to no character (pdfminer's "(cid:127)")
  reads as "•"; other such placeholders are dropped.
- A paragraph or list item whose first words (after its bullet or number) are bold and end as a sentence
  does ("• **ClaimSight retraining.** The June ...") is filed under them as well (`base.run_in_trail`).
- A ruled table becomes one record per row, `Column: value` lines under its header row, with
  words broken across lines inside a cell joined again ("Recommende" + "d").

pypdf checks the file (header, encryption, metadata) and reads any page pdfplumber cannot.
"""

from __future__ import annotations

import io
import re

from assistant.core.models import ParsedDocument
from assistant.core.text import heading_level, trail_titles, update_trail
from assistant.retrieval.parsing.base import (
    ParseError,
    TextBuilder,
    key_value_table,
    pair_records,
    record_text,
    run_in_trail,
)
from assistant.retrieval.parsing.cells import join_cell_lines, vocabulary
from assistant.retrieval.parsing.pdf_layout import (
    LIST_ITEM,
    PARAGRAPH_GAP,
    HeadingStyles,
    Line,
    PageTable,
    bold_lead,
    edge_lines,
    furniture_lines,
    glyphs,
    is_furniture,
    type_of,
)

# What tools write as a PDF's title when its author gave none ("untitled", "Microsoft Word - policy.docx")
_PLACEHOLDER_TITLE = re.compile(r"^(?:untitled|document\d*|microsoft (?:word|powerpoint|excel) - .*|"
                                r".*\.(?:docx?|odt|rtf|pdf|txt))$", re.I)


def parse(data: bytes, stem: str) -> ParsedDocument:
    """Parse a PDF into page-bounded paragraph and table-row blocks under numbered headings."""
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    if not data.lstrip()[:5].startswith(b"%PDF"):
        raise ParseError("not a PDF file (no %PDF header)")
    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        _unlock(reader)
        pages = _read_pages(data, reader)
    except PdfReadError as exc:
        raise ParseError(f"damaged or truncated PDF: {exc}") from exc
    if not any(lines or tables for lines, tables in pages):
        raise ParseError("no extractable text (a scanned or image-only PDF?)")
    meta = reader.metadata or {}
    furniture = furniture_lines([lines for lines, _ in pages])
    styles = HeadingStyles(pages, furniture)
    vocab = vocabulary(line.text for lines, _ in pages for line in lines)
    builder = TextBuilder()
    trail: list[tuple[int, str]] = []
    title = str(meta.get("/Title") or "").strip()
    if _PLACEHOLDER_TITLE.match(title):
        title = ""  # a tool's placeholder, not the document's title: its first line names it better
    found_furniture: list[str] = []
    tables = _Tables(vocab)
    body: list[str] = []
    body_page = 1  # the page the pending paragraph starts on
    run_in: tuple[str, ...] = ()  # the run-in heading the pending paragraph opens with, if any
    last_heading: Line | None = None  # the heading (or title) line just read, which a wrapped line continues
    last_title = ""  # its text (with the lines that continued it)
    for number, (lines, page_tables) in enumerate(pages, start=1):
        carried = bool(body)  # a paragraph the last page ended in the middle of a sentence
        previous: Line | None = None
        edges = edge_lines(lines)
        items = sorted([(line.top, 0, line) for line in lines] + [(t.top, 1, t) for t in page_tables],
                       key=lambda item: (item[0], item[1]))
        first = True  # nothing but furniture yet on this page
        for _, _, item in items:
            if carried and not (isinstance(item, Line) and (not item.text.strip()
                                                              or is_furniture(item, edges, furniture))):
                carried = False  # the page's first content decides (furniture above it does not)
                opening = item.text.strip() if isinstance(item, Line) else ""
                if _continues(opening) and heading_level(opening) is None and styles.level(item) is None:
                    tables.ended()
                    body.append(opening)  # the sentence goes on here: the paragraph it started takes it
                    previous, first = item, False
                    continue
                _flush(builder, body, trail, body_page, run_in)
            if isinstance(item, PageTable):
                _flush(builder, body, trail, body_page, run_in)
                tables.add(builder, item.rows, trail, number, continues=first)
                previous, first, last_heading = None, False, None
                continue
            line = item
            text = line.text.strip()
            if not text:
                continue
            # a heading's second line first: a title's year ("... (AIMS)" / "2025") near the top is no page number
            if last_heading is not None and styles.wraps(last_heading, line):
                if trail and trail[-1][1] == last_title:  # the heading goes on: one heading over two lines
                    trail[-1] = (trail[-1][0], f"{last_title} {text}")
                elif title == last_title:
                    title = f"{title} {text}"
                last_title = f"{last_title} {text}"
                builder.add_plain(text, separator=" ")
                last_heading = line
                continue
            last_heading = None
            if is_furniture(line, edges, furniture):
                found_furniture.append(text)
                continue
            tables.ended()
            first = False
            styled = styles.level(line)
            level = heading_level(text) if styled is not None or not styles.plain_numbered(line) else None
            # the document's title: its first line when it has no title in its metadata, or a first line set
            # in its largest type (the title printed on page 1, which heads no section of its own)
            if level is None and number == 1 and not builder.blocks and not trail and (not title or styled == 1):
                title = title or text
                last_title = text
                builder.add_plain(text)
                previous = None
                last_heading = line if styled is not None else None
                continue
            if styled is not None:  # set apart by its type: its place among the headings' sizes
                level = styled
            if level is not None:
                _flush(builder, body, trail, body_page, run_in)
                update_trail(trail, level, text)
                builder.add_plain(text)
                previous = None
                last_heading, last_title = (line if styled is not None else None), text
                continue
            if previous is not None and body and _new_paragraph(previous, line, text):
                _flush(builder, body, trail, body_page, run_in)
            if not body:
                body_page = number
                run_in = run_in_trail(line.lead)  # "OBS-2026-01 - A.5.5 (...). The FraudLens impact ..."
            body.append(text)
            previous = line
        if body and not _ends_open(body[-1]):
            _flush(builder, body, trail, body_page, run_in)
    _flush(builder, body, trail, body_page, run_in)
    first_page = " \n".join(line.text for line in pages[0][0])[:600] + "\n" + _table_text(pages[0][1])
    header_lines = " \n".join(dict.fromkeys(found_furniture)) + "\n" + first_page
    return ParsedDocument(
        title=title or stem,
        text=builder.text,
        blocks=builder.blocks,
        format="pdf",
        metadata_label=_metadata_label(meta),
        header_text=header_lines,
    )


def _table_text(tables: list[PageTable]) -> str:
    """A page's tables as text searched for a classification marker: a two-cell row as `Key: Value`
    ("Classification: Confidential" in a document-control table), a wider row as its cells."""
    rows = [row for table in tables for row in table.rows]
    return "\n".join(": ".join(row) if len(row) == 2 else " ".join(row) for row in rows)[:2000]


def _read_pages(data: bytes, reader) -> list[tuple[list[Line], list[PageTable]]]:
    """Each page's text lines (outside its tables) and its tables; pypdf's text for a page pdfplumber fails on."""
    import pdfplumber

    pages: list[tuple[list[Line], list[PageTable]]] = []
    try:
        pdf = pdfplumber.open(io.BytesIO(data), password="")
    except Exception:  # noqa: BLE001 - pdfminer refuses some files pypdf reads; read those with pypdf
        return [(_pypdf_lines(page), []) for page in reader.pages]
    with pdf:
        for index, page in enumerate(pdf.pages):
            try:
                pages.append(_plumb_page(page))
            except Exception:  # noqa: BLE001 - one damaged page must not lose the others
                pages.append((_pypdf_lines(reader.pages[index]) if index < len(reader.pages) else [], []))
            finally:
                page.close()  # frees the page's parsed objects as we go
    return pages


def _plumb_page(page) -> tuple[list[Line], list[PageTable]]:
    tables = []
    boxes = []
    for table in page.find_tables():
        rows = [[glyphs((cell or "").strip()) for cell in row] for row in table.extract()]
        rows = [row for row in rows if any(row)]
        if len(rows) >= 2 and max(len(row) for row in rows) >= 2:
            tables.append(PageTable(top=table.bbox[1], rows=rows))
            boxes.append(table.bbox)

    def outside(obj) -> bool:
        x = (obj.get("x0", 0) + obj.get("x1", 0)) / 2
        y = (obj.get("top", 0) + obj.get("bottom", 0)) / 2
        return not any(x0 <= x <= x1 and top <= y <= bottom for x0, top, x1, bottom in boxes)

    text_page = page.filter(outside) if boxes else page
    lines = []
    for line in text_page.extract_text_lines():
        text, chars = glyphs(line["text"]), line.get("chars") or []
        lines.append(Line(text, line["top"], line["bottom"], *type_of(chars), lead=bold_lead(text, chars)))
    return lines, tables


def _pypdf_lines(page) -> list[Line]:
    try:
        text = page.extract_text() or ""
    except Exception:  # noqa: BLE001 - one damaged page must not lose the others
        return []
    return [Line(line, -1.0, -1.0) for line in text.splitlines()]  # no geometry: one paragraph per section


def _new_paragraph(previous: Line, line: Line, text: str) -> bool:
    height = max(line.bottom - line.top, 1.0)
    return line.top - previous.bottom > PARAGRAPH_GAP * height or bool(LIST_ITEM.match(text))


class _Tables:
    """Adds each table's rows as records, `Table N` in document order; a table that ends a page and one
    that opens the next with as many columns are one table, its header taken once (or repeated)."""

    def __init__(self, vocab: set[str]) -> None:
        self.vocab = vocab
        self.count = 0
        # (name, header, next row, last row's cells) of a table ending a page
        self.open: tuple[str, list[str], int, list[str]] | None = None

    def ended(self) -> None:
        """Text came after the last table: the next table is a new one."""
        self.open = None

    def add(self, builder: TextBuilder, rows: list[list[str]], trail: list[tuple[int, str]], page: int,
            continues: bool) -> None:
        """One record per body row: `Header: value` lines, words broken inside cells joined again."""
        rows = [[join_cell_lines(cell, self.vocab) for cell in row] for row in rows]
        last: list[str] = []
        if continues and self.open is not None and len(rows[0]) == len(self.open[1]):
            name, header, number, last = self.open
            body = rows[1:] if rows[0] == header else rows
            cut = body and last and not body[0][0] and any(body[0])
            if cut and builder.blocks and builder.blocks[-1].sheet == name:
                # the page broke inside a row: its first cell is over the page, the rest of its words are here
                last = [f"{a} {b}".strip() if b else a for a, b in zip(last, body[0] + [""] * len(last))]
                builder.replace_last(record_text(header, last))
                body = body[1:]
        elif key_value_table(rows):  # a document's control block: each row names its own value
            self.count += 1
            name = f"Table {self.count}"
            for number, text in enumerate(pair_records(rows), start=1):
                builder.add(text, trail=trail_titles(trail), page=page, sheet=name, row=number, record=True)
            self.open = None
            return
        else:
            self.count += 1
            name, header, number, body = f"Table {self.count}", rows[0], 2, rows[1:]
        for row in body:
            builder.add(record_text(header, row), trail=trail_titles(trail), page=page, sheet=name, row=number,
                        record=True)
            number += 1
            last = row
        self.open = (name, header, number, last)


def _unlock(reader) -> None:
    """Open an encrypted PDF that needs no user password; refuse one that does."""
    if not reader.is_encrypted:
        return
    try:
        result = reader.decrypt("")
    except Exception as exc:  # noqa: BLE001 - e.g. a missing crypto backend
        raise ParseError(f"encrypted PDF that cannot be opened: {exc}") from exc
    if not result:
        raise ParseError("encrypted PDF: a password is required to read it")


def _ends_open(line: str) -> bool:
    """Whether a page's last line stops in the middle of a sentence (no closing punctuation, not a list item)."""
    end = line.rstrip()[-1:]
    return bool(end) and (end.isalnum() or end in ",-–(") and not LIST_ITEM.match(line)


def _continues(line: str) -> bool:
    """Whether a page's first line carries on a sentence from the page before (it opens in lower case)."""
    return line[:1].islower()


def _flush(builder: TextBuilder, body: list[str], trail: list[tuple[int, str]], page: int,
           run_in: tuple[str, ...] = ()) -> None:
    """Add the pending lines as one paragraph block: wrapped lines joined, list items kept apart; filed
    under its run-in heading too, when it opens with one."""
    if not body:
        return
    joined = body[0]
    for line in body[1:]:
        if LIST_ITEM.match(line):
            joined += "\n" + line
        elif joined.endswith("-") and line[:1].islower():
            joined += line  # a word hyphenated at the line end
        else:
            joined += " " + line
    builder.add(joined, trail=trail_titles(trail) + run_in, page=page)
    body.clear()


def _metadata_label(meta) -> str | None:
    for key in ("/Classification", "/Keywords", "/Subject"):
        value = meta.get(key)
        if value and "classif" in str(value).lower() or key == "/Classification" and value:
            return str(value)
    return None
