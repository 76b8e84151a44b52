"""DOCX: paragraphs under their Heading-style trail, and tables as one record per row.

A heading is a paragraph in a Heading style (or a style based on one), or a short paragraph set in
bold throughout that does not end as a sentence or a lead-in does ("Who this applies to"): many
documents head their sections that way. Such a bold heading nests under the styled heading before it.
A paragraph that opens with bold words ending as a sentence or a question ("Money. The Medium Term
Financial Strategy requires ...") is filed under them too, and keeps them as text (`base.run_in_trail`).

A cell's paragraphs and line breaks are joined into one line, mending words a narrow column broke
("Recommende" / "d"), so a record reads `Column: value` with the value as one phrase.

Reads the body in document order (paragraphs and tables interleaved) and the core
properties for a classification label.
"""

from __future__ import annotations

import io
import re
import zipfile

from assistant.core.models import ParsedDocument
from assistant.core.text import reads_as_clause, trail_titles, update_trail
from assistant.retrieval.parsing.base import (
    ParseError,
    TextBuilder,
    key_value_table,
    pair_records,
    record_text,
    run_in_trail,
)
from assistant.retrieval.parsing.cells import join_cell_lines, vocabulary

_HEADING_STYLE = re.compile(r"^heading\s*(\d)$", re.IGNORECASE)
_BOLD_HEADING_WORDS = 14  # a bold paragraph of at most this many words may head a section


def parse(data: bytes, stem: str) -> ParsedDocument:
    """Parse a DOCX into blocks; a file that is not a Word document is refused with a reason."""
    import docx
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    if not zipfile.is_zipfile(io.BytesIO(data)):
        raise ParseError("not a valid DOCX file (not a zip archive)")
    try:
        document = docx.Document(io.BytesIO(data))
    except Exception as exc:  # noqa: BLE001 - python-docx raises many kinds here
        raise ParseError(f"not a valid DOCX file: {type(exc).__name__}: {exc}") from exc
    builder = TextBuilder()
    trail: list[tuple[int, str]] = []
    props = document.core_properties
    title = (props.title or "").strip()
    opening: list[str] = []
    vocab = vocabulary(p.text for p in document.paragraphs)
    tables = 0
    for element in document.element.body.iterchildren():
        tag = element.tag.rsplit("}", 1)[-1]
        if tag == "p":
            paragraph = Paragraph(element, document)
            text = paragraph.text.strip()
            if len(opening) < 8 and text:
                opening.append(text)
            title = _add_paragraph(builder, trail, paragraph, text, title)
        elif tag == "tbl":
            tables += 1
            _add_table(builder, trail, Table(element, document), vocab, f"Table {tables}")
    header_text = "\n".join(_section_headers(document) + opening)
    return ParsedDocument(
        title=title or stem,
        text=builder.text,
        blocks=builder.blocks,
        format="docx",
        metadata_label=props.category or (props.keywords if "classif" in (props.keywords or "").lower() else None),
        header_text=header_text,
    )


def _add_paragraph(builder: TextBuilder, trail: list[tuple[int, str]], paragraph, text: str, title: str) -> str:
    """Add a paragraph as a heading or a body block; return the (possibly found) title."""
    if not text:
        return title
    style = (paragraph.style.name if paragraph.style is not None else "") or ""
    if style.lower() == "title":
        builder.add_plain(text)
        return title or text
    level = _heading_level(paragraph.style)
    if level is None and _bold_heading(paragraph, text, style):
        styled = [lvl for lvl, _ in trail if lvl < _BOLD_LEVEL]
        level = min(_BOLD_LEVEL, (styled[-1] if styled else 0) + 1)
    if level is not None:
        update_trail(trail, level, text)
        builder.add_plain(text)
        return title
    separator = "\n" if "list" in style.lower() and builder.blocks else "\n\n"
    run_in = run_in_trail(_bold_lead(paragraph))  # "Money. The Medium Term Financial Strategy requires ..."
    builder.add(text, separator=separator, trail=trail_titles(trail) + run_in)
    return title


def _bold_lead(paragraph) -> str:
    """The bold words a paragraph opens with, when text not in bold follows them; else ""."""
    inherited = bool(paragraph.style is not None and paragraph.style.font.bold)
    lead: list[str] = []
    for run in paragraph.runs:
        if not run.text.strip():
            lead.append(run.text)
            continue
        if run.bold or (run.bold is None and inherited):
            lead.append(run.text)
            continue
        return "".join(lead) if "".join(lead).strip() else ""
    return ""  # bold throughout, or no bold at all


_BOLD_LEVEL = 9  # how deep a bold heading may sit: under every styled heading before it


def _heading_level(style) -> int | None:
    """The level of a Heading style, or of a style based on one ("Policy Heading 2" built on "Heading 2")."""
    seen = 0
    while style is not None and seen < 5:
        match = _HEADING_STYLE.match(style.name or "")
        if match:
            return int(match.group(1))
        style, seen = style.base_style, seen + 1
    return None


def _bold_heading(paragraph, text: str, style: str) -> bool:
    """Whether a paragraph outside the Heading styles heads a section: short, all bold, not a sentence or list item."""
    if (len(text) > 110 or len(text.split()) > _BOLD_HEADING_WORDS or text[-1] in ".,;:" or "list" in style.lower()
            or reads_as_clause(text) or paragraph._p.pPr is not None and paragraph._p.pPr.numPr is not None):
        return False
    inherited = bool(paragraph.style is not None and paragraph.style.font.bold)
    runs = [run for run in paragraph.runs if run.text.strip()]
    return bool(runs) and all(run.bold or (run.bold is None and inherited) for run in runs)


def _add_table(builder: TextBuilder, trail: list[tuple[int, str]], table, vocab: set[str], table_name: str) -> None:
    """Add a table: one record block per body row with its header's column names."""
    rows = [[join_cell_lines(cell.text, vocab) for cell in row.cells] for row in table.rows]
    rows = [_dedupe_merged(row) for row in rows if any(row)]
    if not rows:
        return
    if key_value_table(rows):  # a document's control block: each row names its own value
        for number, text in enumerate(pair_records(rows), start=1):
            builder.add(text, trail=trail_titles(trail), sheet=table_name, row=number, record=True)
        return
    header = rows[0]
    if len(rows) == 1:
        builder.add(" | ".join(header), trail=trail_titles(trail))
        return
    for number, row in enumerate(rows[1:], start=2):
        builder.add(record_text(header, row[: len(header)]), trail=trail_titles(trail), sheet=table_name, row=number,
                    record=True)


def _dedupe_merged(row: list[str]) -> list[str]:
    """Blank out repeats that python-docx returns for horizontally merged cells."""
    return [cell if i == 0 or cell != row[i - 1] else "" for i, cell in enumerate(row)]


def _section_headers(document) -> list[str]:
    texts = []
    for section in document.sections:
        try:
            texts.extend(p.text for p in section.header.paragraphs if p.text.strip())
        except Exception:  # noqa: BLE001 - a broken header part must not lose the body
            continue
    return texts
