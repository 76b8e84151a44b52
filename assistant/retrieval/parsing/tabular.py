"""CSV and XLSX: one record per row, written as `Column: value` lines with the sheet and row.

A register row is a unit of evidence ("AIR-007 ... owner ... status"), so rows are never split
or merged; the row number is the one a person sees in a spreadsheet (header = row 1).
"""

from __future__ import annotations

import csv
import io

from assistant.core.models import ParsedDocument
from assistant.retrieval.parsing import ParseError, TextBuilder, decode_text


def parse_csv(data: bytes, stem: str) -> ParsedDocument:
    """Parse a CSV file (delimiter sniffed) into one record block per data row."""
    text = decode_text(data)
    try:
        dialect = csv.Sniffer().sniff(text[:20000], delimiters=",;\t|")
    except csv.Error:
        dialect = csv.excel
    csv.field_size_limit(50_000_000)
    try:
        rows = list(csv.reader(io.StringIO(text), dialect))
    except csv.Error as exc:
        raise ParseError(f"malformed CSV: {exc}") from exc
    builder = TextBuilder()
    _add_rows(builder, rows, sheet=None)
    return ParsedDocument(title=stem, text=builder.text, blocks=builder.blocks, format="csv", header_text=text[:600])


def parse_xlsx(data: bytes, stem: str) -> ParsedDocument:
    """Parse every worksheet of an XLSX workbook into record blocks located by sheet and row."""
    import zipfile

    from openpyxl import load_workbook

    if not zipfile.is_zipfile(io.BytesIO(data)):
        raise ParseError("not a valid XLSX file (not a zip archive)")
    workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    builder = TextBuilder()
    try:
        for sheet in workbook.worksheets:
            rows = [["" if value is None else _cell_text(value) for value in row]
                    for row in sheet.iter_rows(values_only=True)]
            _add_rows(builder, rows, sheet=sheet.title)
        props = workbook.properties
        label = props.category or (props.keywords if "classif" in (props.keywords or "").lower() else None)
        title = (props.title or "").strip() or stem
    finally:
        workbook.close()
    return ParsedDocument(title=title, text=builder.text, blocks=builder.blocks, format="xlsx",
                          metadata_label=label, header_text="")


def _cell_text(value: object) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if hasattr(value, "isoformat"):
        return value.isoformat()[:10] if getattr(value, "hour", 0) == 0 else value.isoformat()
    return str(value).strip()


def _add_rows(builder: TextBuilder, rows: list[list[str]], sheet: str | None) -> None:
    """Add each data row under the first non-empty row, which names the columns."""
    header_index = next((i for i, row in enumerate(rows) if any(cell.strip() for cell in row)), None)
    if header_index is None:
        return
    header = [cell.strip() for cell in rows[header_index]]
    for index in range(header_index + 1, len(rows)):
        row = rows[index]
        lines = []
        for col, value in enumerate(row):
            value = value.strip()
            if not value:
                continue
            name = header[col] if col < len(header) and header[col] else f"Column {col + 1}"
            lines.append(f"{name}: {value}")
        builder.add("\n".join(lines), trail=(sheet,) if sheet else (), sheet=sheet, row=index + 1, record=True)
