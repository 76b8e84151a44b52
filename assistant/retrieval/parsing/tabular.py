"""CSV and XLSX: one record per row, written as `Column: value` lines with the sheet and row.

A register row is a unit of evidence ("AIR-007 ... owner ... status"), so rows are never split
or merged; the row number is the one a person sees in a spreadsheet (row 1 is the first row).

Sheets are read the way people lay them out: a title block above the table (a title row, an
"As at ..." row, a blank row) becomes the heading trail of its rows, except a row of more than
NOTE_WORDS words ("As at 1 March 2026, owner: ..., scored per ..."), a statement about the table
that is quoted as a row of its own, not repeated as the name of every row; the header is the first row
of mostly non-empty, distinct, non-numeric cells that data rows follow; a header cell merged across
several columns over a second header row names those columns "Group / Column"; a blank row
followed by a new title or header starts another table on the same sheet. `Column N` names a
column only where a table truly has no header.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field

from assistant.core.models import ParsedDocument
from assistant.retrieval.parsing.base import ParseError, TextBuilder, decode_text, is_figure, record_text

_YEAR = re.compile(r"^(19|20)\d{2}$")
MERGED_CELLS_MAX_BYTES = 20 * 1024 * 1024  # larger workbooks are read streaming, without merged-cell ranges
TITLE_SCAN_ROWS = 12  # how many leading non-blank rows may form a title block above a header
NOTE_WORDS = 12  # a title-block row longer than this is a statement (owner, source, scoring key), quoted as a row


def parse_csv(data: bytes, stem: str) -> ParsedDocument:
    """Parse a CSV file (delimiter sniffed) into one record block per data row."""
    text = decode_text(data)
    try:
        dialect = csv.Sniffer().sniff(_sniff_sample(text), delimiters=",;\t|")
    except csv.Error:
        dialect = csv.excel
    csv.field_size_limit(50_000_000)
    try:
        rows = list(csv.reader(io.StringIO(text), dialect))
    except csv.Error as exc:
        raise ParseError(f"malformed CSV: {exc}") from exc
    builder = TextBuilder()
    _add_rows(builder, [[cell.strip() for cell in row] for row in rows], sheet=None)
    return ParsedDocument(title=stem, text=builder.text, blocks=builder.blocks, format="csv", header_text=text[:600])


def _sniff_sample(text: str) -> str:
    """The part of a CSV the delimiter is sniffed on: the lines after a preamble of title lines."""
    lines = text[:20000].split("\n")
    counts = [max(line.count(d) for d in ",;\t|") for line in lines]
    widest = max(counts, default=0)
    start = next((i for i, count in enumerate(counts) if widest and count * 2 >= widest), 0)
    return "\n".join(lines[start:])


def parse_xlsx(data: bytes, stem: str) -> ParsedDocument:
    """Parse every worksheet of an XLSX workbook into record blocks located by sheet and row."""
    import zipfile

    from openpyxl import load_workbook

    if not zipfile.is_zipfile(io.BytesIO(data)):
        raise ParseError("not a valid XLSX file (not a zip archive)")
    streaming = len(data) > MERGED_CELLS_MAX_BYTES
    workbook = load_workbook(io.BytesIO(data), read_only=streaming, data_only=True)
    builder = TextBuilder()
    try:
        for sheet in workbook.worksheets:
            rows = [["" if value is None else _cell_text(value) for value in row]
                    for row in sheet.iter_rows(values_only=True)]
            spans = set() if streaming else _fill_merged(sheet, rows)
            _add_rows(builder, rows, sheet=sheet.title, spans=spans)
        props = workbook.properties
        label = props.category or (props.keywords if "classif" in (props.keywords or "").lower() else None)
        title = (props.title or "").strip() or stem
    finally:
        workbook.close()
    return ParsedDocument(title=title, text=builder.text, blocks=builder.blocks, format="xlsx",
                          metadata_label=label, header_text="")


def _fill_merged(sheet, rows: list[list[str]]) -> set[tuple[int, int]]:
    """Copy each merged range's value into all its cells; return the cells of ranges wider than one column."""
    spans: set[tuple[int, int]] = set()
    for merged in sheet.merged_cells.ranges:
        top, left = merged.min_row - 1, merged.min_col - 1
        if top >= len(rows) or left >= len(rows[top]):
            continue
        value = rows[top][left]
        for r in range(top, min(merged.max_row, len(rows))):
            for c in range(left, merged.max_col):
                while len(rows[r]) <= c:
                    rows[r].append("")
                rows[r][c] = value
                if merged.max_col > merged.min_col:
                    spans.add((r, c))
    return spans


def _cell_text(value: object) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if hasattr(value, "isoformat"):
        return value.isoformat()[:10] if getattr(value, "hour", 0) == 0 else value.isoformat()
    return str(value).strip()


@dataclass
class _Table:
    """One table of a sheet: the title rows above it, its column names and its data rows (by index)."""

    titles: list[str] = field(default_factory=list)
    notes: list[tuple[int, str]] = field(default_factory=list)  # (row index, text) of statements above the table
    header: list[str] | None = None
    rows: list[int] = field(default_factory=list)


def _filled(row: list[str]) -> list[str]:
    return [cell for cell in row if cell]


def _distinct(row: list[str]) -> list[str]:
    """The non-empty cells once each (a title merged across columns is one cell)."""
    return list(dict.fromkeys(_filled(row)))


def _width(row: list[str]) -> int:
    """The index after the last non-empty cell."""
    return max((i + 1 for i, cell in enumerate(row) if cell), default=0)


def _next_filled(rows: list[list[str]], i: int) -> int | None:
    return next((j for j in range(i, len(rows)) if _filled(rows[j])), None)


def _header_like(cells: list[str], data_width: int) -> bool:
    """Mostly non-empty, mostly distinct, short, non-numeric cells spanning most of the data's width.

    Years after a name ("Metric", "2025", "2026") are column names, not numbers.
    """
    if not cells or len(set(cells)) * 4 < len(cells) * 3 or any(len(cell) > 80 for cell in cells):
        return False
    if is_figure(cells[0]) or sum(is_figure(c) and not _YEAR.match(c) for c in cells) * 3 > len(cells):
        return False
    return len(cells) * 2 >= max(data_width, 1) and (len(cells) >= 2 or data_width <= 1)


def _header_at(rows: list[list[str]], i: int, spans: set[tuple[int, int]]) -> tuple[list[str], int] | None:
    """(column names, rows used) when rows[i] is a header followed by data, else None.

    A header cell merged across columns over a second row of names gives "Group / Name" columns.
    """
    follower = _next_filled(rows, i + 1)
    if follower is None:
        return None
    row = rows[i]
    merged_across = any((i, c) in spans for c in range(len(row)))
    if merged_across and follower == i + 1:
        below = rows[i + 1]
        width = max(_width(row), _width(below))
        names = []
        for c in range(width):
            top = row[c] if c < len(row) else ""
            bottom = below[c] if c < len(below) else ""
            names.append(f"{top} / {bottom}" if (i, c) in spans and bottom and top != bottom else bottom or top)
        after = _next_filled(rows, i + 2)
        data_width = _width(rows[after]) if after is not None else 0
        if after is not None and _header_like(_filled(names), data_width):
            return names, 2
    cells = _filled(row)
    if (i, _width(row) - 1) in spans or any((i, c) in spans for c in range(len(row))):
        cells = list(dict.fromkeys(cells))  # a header merged across columns, with no row of names below
    data_width = _width(rows[follower])
    if not _header_like(cells, data_width):
        return None
    if _title_like(_distinct(rows[follower]), len(cells)):
        return None
    names = [cell if (i, c) not in spans or c == 0 or row[c - 1] != cell else "" for c, cell in enumerate(row)]
    return names, 1


def _title_like(cells: list[str], header_cells: int) -> bool:
    """A row that names or dates a table rather than filling its columns."""
    return len(cells) == 1 or (header_cells >= 4 and len(cells) * 2 <= header_cells and len(cells) <= 2)


def _tables(rows: list[list[str]], spans: set[tuple[int, int]]) -> list[_Table]:
    """Split a sheet's rows into tables, each with its title rows, header and data rows."""
    tables: list[_Table] = []
    i = _next_filled(rows, 0)
    while i is not None:
        table, i = _table_from(rows, i, spans)
        tables.append(table)
    return tables


def _table_from(rows: list[list[str]], i: int, spans: set[tuple[int, int]]) -> tuple[_Table, int | None]:
    """Read one table starting at the non-blank row i; return it and where the next one starts."""
    table = _Table()
    scan = i
    titles: list[int] = []
    found = None
    while scan is not None and len(titles) < TITLE_SCAN_ROWS:
        found = _header_at(rows, scan, spans)
        if found is not None:
            break
        if len(_distinct(rows[scan])) > 2:
            break
        titles.append(scan)
        scan = _next_filled(rows, scan + 1)
    if found is not None:
        for t in titles:
            line = " ".join(_distinct(rows[t]))
            if len(line.split()) > NOTE_WORDS:  # a statement about the table, to quote, not a name for its rows
                table.notes.append((t, line))
            else:
                table.titles.append(line)
        table.header = found[0]
        start = scan + found[1]
    else:  # no header: every row from i on is data
        start = i
    j = start
    while j < len(rows):
        if not _filled(rows[j]):
            nxt = _next_filled(rows, j)
            if nxt is None:
                return table, None
            if _starts_table(rows, nxt, spans, table.header):
                return table, nxt
            j = nxt
            continue
        if table.header is not None and rows[j][: len(table.header)] == table.header:
            j += 1  # a header repeated (a printed page's top row)
            continue
        table.rows.append(j)
        j += 1
    return table, None


def _starts_table(rows: list[list[str]], i: int, spans: set[tuple[int, int]], header: list[str] | None) -> bool:
    """After a blank row: a title row, or a header of other columns, starts another table."""
    cells = _distinct(rows[i])
    if header is not None and _title_like(cells, len(_filled(header))):
        return _next_filled(rows, i + 1) is not None
    found = _header_at(rows, i, spans)
    return found is not None and (header is None or _filled(found[0]) != _filled(header))


def _add_rows(builder: TextBuilder, rows: list[list[str]], sheet: str | None,
              spans: set[tuple[int, int]] | None = None) -> None:
    """Add each table's data rows as records under its header, its title rows as the heading trail."""
    for table in _tables(rows, spans or set()):
        trail = ((sheet,) if sheet else ()) + tuple(table.titles)
        for title in table.titles:
            builder.add_plain(title)  # in the document's text, as a heading is; it names the rows below
        for index, note in table.notes:
            builder.add(note, trail=trail, sheet=sheet, row=index + 1, record=True)
        header = table.header or []
        for index in table.rows:
            builder.add(record_text(header, [value.strip() for value in rows[index]]), trail=trail, sheet=sheet,
                        row=index + 1, record=True)
