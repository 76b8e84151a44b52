"""Statement of Applicability and audit checklist exports: Markdown, CSV, XLSX and DOCX.

Every format renders the same rows (one declaration, many renderings), each row with its
applicability, justification, status and evidence citations (document, locator, quote, stale flag).
An existing file is never overwritten without `force`, and nothing is written but the named path.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

from assistant.checklist.rows import ChecklistRow

FORMATS = ("md", "csv", "xlsx", "docx")
COLUMNS = ("ID", "Title", "Applicable", "Justification", "Status", "Owner", "Evidence")


class ExportError(ValueError):
    """The export was refused (existing file without --force, unknown format, bad path)."""


def _cells(row: ChecklistRow) -> list[str]:
    applicable = "-" if row.applicable is None else "Yes" if row.applicable else "No"
    return [row.id, row.title, applicable, row.justification, row.status, row.owner, _evidence(row)]


def _evidence(row: ChecklistRow) -> str:
    parts = []
    for link in row.links:
        where = ", ".join(x for x in (f"p. {link.page}" if link.page else "", link.section or "") if x)
        flag = " [STALE]" if link.stale else ""
        parts.append(f"{link.source}{f' ({where})' if where else ''}: \"{' '.join(link.quote.split())}\"{flag}")
    return "; ".join(parts) if parts else "none linked"


def select(rows: list[ChecklistRow], kind: str) -> list[ChecklistRow]:
    """The Statement of Applicability covers the 38 controls; the audit checklist covers everything."""
    return [r for r in rows if r.kind == "control"] if kind == "soa" else rows


def render_markdown(rows: list[ChecklistRow], title: str) -> str:
    """A Markdown table, pipes in cells escaped."""
    lines = [f"# {title}", "", "| " + " | ".join(COLUMNS) + " |", "|" + "---|" * len(COLUMNS)]
    for row in rows:
        lines.append("| " + " | ".join(c.replace("|", "\\|").replace("\n", " ") for c in _cells(row)) + " |")
    return "\n".join(lines) + "\n"


def render_csv(rows: list[ChecklistRow]) -> str:
    """CSV with a header row."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(COLUMNS)
    writer.writerows(_cells(row) for row in rows)
    return buffer.getvalue()


def write_xlsx(rows: list[ChecklistRow], title: str, path: Path) -> None:
    """An XLSX workbook with one sheet, a bold frozen header and wrapped cells."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font

    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "Statement of Applicability" if "Applicability" in title else "Audit checklist"
    sheet.append(list(COLUMNS))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in rows:
        sheet.append(_cells(row))
    sheet.freeze_panes = "A2"
    for column, width in zip("ABCDEFG", (10, 40, 11, 45, 14, 18, 80)):
        sheet.column_dimensions[column].width = width
    for line in sheet.iter_rows(min_row=2):
        for cell in line:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    workbook.properties.title = title
    workbook.save(path)


def write_docx(rows: list[ChecklistRow], title: str, path: Path) -> None:
    """A DOCX document: a title, then a table with a header row."""
    import docx

    document = docx.Document()
    document.add_heading(title, level=1)
    table = document.add_table(rows=1, cols=len(COLUMNS))
    table.style = "Table Grid"
    for cell, name in zip(table.rows[0].cells, COLUMNS):
        cell.text = name
        for run in cell.paragraphs[0].runs:
            run.bold = True
    for row in rows:
        for cell, value in zip(table.add_row().cells, _cells(row)):
            cell.text = value
    document.core_properties.title = title
    document.save(path)


def export(rows: list[ChecklistRow], kind: str, fmt: str, out: Path, force: bool = False) -> Path:
    """Write the export to exactly `out`; refuse to overwrite unless forced."""
    if fmt not in FORMATS:
        raise ExportError(f"unknown format {fmt!r}; choose one of {', '.join(FORMATS)}")
    out = Path(out).expanduser()
    if out.exists() and not force:
        raise ExportError(f"{out} exists; add --force to overwrite it")
    if out.exists() and out.is_dir():
        raise ExportError(f"{out} is a folder; name a file")
    if not out.parent.exists():
        raise ExportError(f"the folder {out.parent} does not exist")
    title = "Statement of Applicability" if kind == "soa" else "AIMS audit checklist"
    chosen = select(rows, kind)
    if fmt == "md":
        out.write_text(render_markdown(chosen, title), encoding="utf-8")
    elif fmt == "csv":
        out.write_text(render_csv(chosen), encoding="utf-8", newline="")
    elif fmt == "xlsx":
        write_xlsx(chosen, title, out)
    else:
        write_docx(chosen, title, out)
    return out
