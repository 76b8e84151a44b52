"""Our drafts' Markdown as a Word document: real headings, paragraphs, quotations, lists and tables."""

from __future__ import annotations

import re
from pathlib import Path


def markdown_to_docx(markdown: str, title: str, out: Path, classification: str | None = None) -> None:
    """Our drafts' Markdown as a Word document: real headings, paragraphs, quotations, lists and tables.

    A classification goes into the core properties too (category, and keywords
    `classification: X`), where our DOCX reader and document-management tools look for it.
    """
    import docx

    document = docx.Document()
    document.core_properties.title = title
    if classification:
        document.core_properties.category = classification
        document.core_properties.keywords = f"classification: {classification}"
    lines = _unwrap(markdown.splitlines())
    i = 0
    while i < len(lines):
        line = lines[i]
        heading = re.match(r"^(#{1,6})\s+(.*)$", line)
        if heading:
            document.add_heading(heading.group(2).strip(), level=len(heading.group(1)))
        elif line.startswith("|"):
            block = []
            while i < len(lines) and lines[i].startswith("|"):
                block.append(lines[i])
                i += 1
            _table(document, block)
            continue
        elif line.startswith("> "):
            document.add_paragraph(line[2:].strip(), style="Quote")
        elif line.startswith("- "):
            document.add_paragraph(line[2:].strip(), style="List Bullet")
        elif line.strip():
            document.add_paragraph(line.strip())
        i += 1
    document.save(out)


def _unwrap(lines: list[str]) -> list[str]:
    """Join a wrapped paragraph or list item (template wording is wrapped in the .md) into one line."""
    out: list[str] = []
    for line in lines:
        starts = re.match(r"^(#{1,6}\s|\||> |- |\s*$)", line)
        previous = out[-1] if out else ""
        if not starts and previous.strip() and not re.match(r"^(#{1,6}\s|\|)", previous):
            out[-1] = f"{previous.rstrip()} {line.strip()}"
        else:
            out.append(line)
    return out


def _table(document, block: list[str]) -> None:
    rows = [[cell.strip().replace("\\|", "|") for cell in re.split(r"(?<!\\)\|", row.strip())[1:-1]]
            for row in block if not re.match(r"^\|\s*-", row)]
    if not rows:
        return
    table = document.add_table(rows=0, cols=len(rows[0]))
    table.style = "Table Grid"
    for index, row in enumerate(rows):
        cells = table.add_row().cells
        for cell, value in zip(cells, row):
            cell.text = value
            if index == 0:
                for run in cell.paragraphs[0].runs:
                    run.bold = True
