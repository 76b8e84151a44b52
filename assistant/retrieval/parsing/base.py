"""What every parser builds with: the ParseError a refused file raises, the TextBuilder, text decoding.

Apart from the package's table of formats, so a parser module imports these and the table imports
the parsers, without a circle.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from assistant.core.models import Block


class ParseError(ValueError):
    """A file that cannot be read as its suffix claims; the message is shown to the user."""


class TextBuilder:
    """Accumulates extracted text and records each block's span in it.

    Parsers of binary formats build their canonical text through it, so spans are exact.
    """

    def __init__(self) -> None:
        self._parts: list[str] = []
        self._length = 0
        self.blocks: list[Block] = []

    def add(self, text: str, separator: str = "\n\n", **locator: object) -> None:
        """Append a block of text (stripped) with its locator; empty text is ignored."""
        text = text.strip()
        if not text:
            return
        start = self._append(text, separator)
        self.blocks.append(Block(start=start, end=self._length, **locator))

    def add_plain(self, text: str, separator: str = "\n\n") -> None:
        """Append text that is not a block of its own, such as a heading line."""
        text = text.strip()
        if text:
            self._append(text, separator)

    def replace_last(self, text: str) -> None:
        """Rewrite the last block's text (nothing may have been added after it), keeping its locator.

        For a table row that a page break cut in two: its second half, atop the next page, completes it.
        """
        last = self.blocks[-1]
        if self._length != last.end:
            raise ValueError("text was added after the last block")
        text = text.strip()
        self._parts[-1] = text
        self._length = last.start + len(text)
        self.blocks[-1] = last.model_copy(update={"end": self._length})

    def _append(self, text: str, separator: str) -> int:
        if self._length:
            self._parts.append(separator)
            self._length += len(separator)
        start = self._length
        self._parts.append(text)
        self._length += len(text)
        return start

    @property
    def text(self) -> str:
        """The canonical text built so far."""
        return "".join(self._parts)


# A cell that holds a figure, not a name: "98%", "(1,200)", "£25,000", "~5", "12k", "2026-03-31"
_FIGURE = re.compile(r"^[-+~<>≈(]?[£$€]?\s?\d[\d,. ]*(?:%|[kKmM])?\)?$|^\d{4}-\d{2}-\d{2}")


def is_figure(cell: str) -> bool:
    """Whether a table cell is a figure (an amount, a share, a count, a date): a header row has none.
    One check for spreadsheets and plain text's aligned columns."""
    return bool(_FIGURE.match(cell))


COLUMN_NAME_WORDS = 12  # a header cell longer than this is prose, not a column's name
_CAPTION = re.compile(r"^(?:table|figure|exhibit)\s+\d+\b", re.I)


def names_columns(header: list[str]) -> bool:
    """Whether a table's first row names its columns: no cell is a caption ("Table 2: ...") or prose
    (more than COLUMN_NAME_WORDS words). A row of captions or prose is content, and the table is text."""
    return not any(_CAPTION.match(cell) or len(cell.split()) > COLUMN_NAME_WORDS for cell in header)


_GENERIC_VALUE = {"value", "values", "detail", "details"}  # a column that holds what its row's first cell names


def record_text(header: list[str], cells: list[str]) -> str:
    """A table row as a record: one `Header: value` line per non-empty cell, a cell past the named
    columns (or under an empty header) named `Column N`. One form for every format's tables.

    A two-column table of "Field | Value" (or "Item | Details") pairs reads as its pairs: "Supplier:
    Convergent CX", not "Field: Supplier / Value: Convergent CX"."""
    if (len(header) == 2 and header[1].strip().lower() in _GENERIC_VALUE and len(cells) == 2 and cells[0].strip()
            and cells[1].strip()):
        return f"{cells[0].strip().rstrip(':')}: {cells[1].strip()}"
    return "\n".join(f"{header[i] if i < len(header) and header[i] else f'Column {i + 1}'}: {value}"
                     for i, value in enumerate(cells) if value)


# A value that cannot be a column's name: a reference or version ("IA-2026-02", "TVW-POL-001", "v2.0", "3") or a date.
# Its letter groups must be apart (a separator after each), or a long line of words backtracks for minutes.
_REFERENCE_VALUE = re.compile(r"^(?:[A-Za-z]{1,8}[-/ ])*[A-Za-z]{0,8}\d[\w./-]*$"
                              r"|^\d{1,2} [A-Z][a-z]+ \d{4}$|^\d{4}-\d{2}-\d{2}$")
# An identifier inside a value ("AI-001 AquaSense (...)", "MR-2026-01"): a column is never named by one
_IDENTIFIER = re.compile(r"\b[A-Z]{1,6}-\d{2,}")
# The first key of a document's control block
_CONTROL_KEYS = re.compile(r"^(?:document|report|policy|procedure|reference|ref|version|meeting|title|owner|"
                           r"author|prepared by|approved by|issued|date|status|classification|review)\b", re.I)


def key_value_table(rows: list[list[str]]) -> bool:
    """Whether a table is a list of `key | value` pairs (a document's control block: "Report number |
    IA-2026-02", "Lead auditor | Natalie Chow") rather than rows under a header.

    Two columns whose keys end in ":", or whose first row pairs a key with a value no column is named
    by: a reference, a version or a date, or, after a control block's usual first key (document,
    report, meeting, version...), a value with a figure or of more than four words; or a first value
    holding an identifier ("System | AI-001 AquaSense (Sonaris LeakWatch)"). Read under a
    header, every row would be named after that first pair ("Report number: Lead auditor").
    """
    if len(rows) < 2 or any(len(row) > 2 for row in rows) or len(rows[0]) != 2:
        return False
    key, value = (cell.strip() for cell in rows[0])
    if not key or not value:
        return False
    keys = [row[0].strip() for row in rows if row and row[0].strip()]
    if sum(k.endswith(":") for k in keys) * 2 > len(keys):
        return True
    return bool(_REFERENCE_VALUE.match(value)) or bool(_IDENTIFIER.search(value)) or bool(
        _CONTROL_KEYS.match(key) and (re.search(r"\d", value) or len(value.split()) > 4))


def pair_records(rows: list[list[str]]) -> list[str]:
    """A key-value table's rows as records (`key_value_table`): `Key: value`, or the key alone where it has none."""
    records = []
    for row in rows:
        key, value = (cell.strip() for cell in (list(row) + ["", ""])[:2])
        records.append(record_text([key.rstrip(":")], [value]) if value else key)
    return records


@dataclass
class TableSpan:
    """A table's place in a text file (Markdown's pipe table, plain text's aligned columns) and its records.

    `write_tables` writes the records into the canonical text in its place.
    """

    start: int
    end: int
    trail: tuple[str, ...]
    records: list[tuple[int, str]] = field(default_factory=list)
    prose: bool = False  # its first row is no column names: its cells are paragraphs, not records


def write_tables(text: str, items: list[Block | TableSpan]) -> tuple[str, list[Block]]:
    """The canonical text with each table replaced by its records, and every block's span in it."""
    parts: list[str] = []
    blocks: list[Block] = []
    cursor = 0  # in the file
    shift = 0  # new offset minus file offset, after the tables so far
    tables = 0
    for item in items:
        if isinstance(item, Block):
            blocks.append(item.model_copy(update={"start": item.start + shift, "end": item.end + shift}))
            continue
        tables += 1
        parts.append(text[cursor : item.start])
        position = item.start + shift
        written: list[str] = []
        for row, record in item.records:
            if written:
                position += 2
            if item.prose:  # a cell of a table laid out as text: a paragraph under the table's headings
                blocks.append(Block(start=position, end=position + len(record), trail=item.trail))
            else:
                blocks.append(Block(start=position, end=position + len(record), trail=item.trail,
                                    sheet=f"Table {tables}", row=row, record=True))
            written.append(record)
            position += len(record)
        body = "\n\n".join(written)
        parts.append(body)
        shift += len(body) - (item.end - item.start)
        cursor = item.end
    parts.append(text[cursor:])
    return "".join(parts), blocks


RUN_IN_WORDS = 15  # bold words that open a paragraph and name its subject ("Lecture captions.")
RUN_IN_QUESTION_WORDS = 30  # an FAQ's question may set the scene first ("A resident has sent me ... Can I ...?")


def run_in_trail(lead: str) -> tuple[str, ...]:
    """The run-in heading the bold words opening a paragraph make, as the trail's last part ("**Lecture
    captions.** Recorded lectures get ...", "**Can I use Quill on my phone?** Yes, ..."), else ().

    The paragraph keeps them as text and is filed under them as well, so that its later sentences
    ("They're made by a computer ...") stay tied to what they speak of. They must end as a sentence
    or a question does: a field's name ("**Owner:** Jane") or a bold phrase inside a sentence heads
    nothing. One rule for Markdown, Word, HTML and PDF.
    """
    lead = " ".join(lead.split())
    if len(lead) < 2 or lead[-1] not in ".?!":
        return ()
    if len(lead.split()) > (RUN_IN_QUESTION_WORDS if lead.endswith("?") else RUN_IN_WORDS):
        return ()
    heading = lead.rstrip(".").strip()
    return (heading,) if heading else ()


def trimmed_block(text: str, block: Block) -> Block:
    """The block without the whitespace at either end of its span (the same block when there is none)."""
    start, end = block.start, block.end
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return block if (start, end) == (block.start, block.end) else block.model_copy(update={"start": start, "end": end})


def decode_text(data: bytes) -> str:
    """Decode a text file: UTF-8 (with or without BOM), else the detected encoding.

    A Latin-1 or Windows-1252 file keeps its accents; binary content is refused.
    """
    if not data.strip():
        raise ParseError("the file holds no text")
    if b"\x00" in data[:65536]:
        raise ParseError("binary content (NUL bytes) in a file named as text")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = _decode_detected(data)
    controls = sum(1 for ch in text[:65536] if ord(ch) < 32 and ch not in "\t\n\r\f")
    if controls > max(8, len(text[:65536]) // 100):
        raise ParseError("binary content (control characters) in a file named as text")
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _decode_detected(data: bytes) -> str:
    """Decode with charset-normalizer's guess; on a tie, Windows-1252 (Western European) wins.

    Many single-byte code pages decode English text equally well, and the detector's first pick
    among equals is arbitrary (it may read a Latin-1 '£' as cp1250's 'Ł').
    """
    from charset_normalizer import from_bytes

    results = list(from_bytes(data[:1_000_000]))
    encoding = "cp1252"
    if results:
        best = results[0]
        encoding = best.encoding
        for result in results:
            if result.chaos <= best.chaos + 0.01 and "cp1252" in result.could_be_from_charset:
                encoding = "cp1252"
                break
    try:
        return data.decode(encoding)
    except (UnicodeDecodeError, LookupError):
        return data.decode("latin-1")
