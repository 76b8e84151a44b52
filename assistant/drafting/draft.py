"""Assemble a draft from per-section cited answers: bodies, TO COMPLETE markers, coverage, sources.

Nothing here writes prose of its own: a section body is cited sentences (quotes, or verified LLM
sentences) or a visible marker naming what is needed and which clause or control asks for it.
"""

from __future__ import annotations

import re
from pathlib import Path

from pydantic import BaseModel

from assistant.core.labels import classification_line, highest_label
from assistant.core.models import Answer
from assistant.drafting.kinds import DraftKind


class DraftError(ValueError):
    """The draft cannot be made or written (missing input, existing file without --force...)."""


class DraftCitation(BaseModel):
    """A source of the draft, for the appendix."""

    n: int
    source: str
    page: int | None
    section: str | None
    quote: str
    doc_hash: str


class Coverage(BaseModel):
    """How much of the draft the documents supported."""

    filled: list[str]
    to_complete: list[str]
    controls: list[str]


class Draft(BaseModel):
    """A finished draft: its Markdown and what it rests on."""

    kind: str
    title: str
    markdown: str
    citations: list[DraftCitation]
    coverage: Coverage
    bodies: dict[str, str]
    classification: str = "internal"  # the most sensitive label among the quoted documents


def to_complete(needed: str, supports: list[str]) -> str:
    """The visible marker for content the documents do not hold."""
    return f"[TO COMPLETE: {needed}; asked for by {', '.join(supports)}]"


def assemble(kind: DraftKind, values: dict[str, str], answers: dict[str, Answer | None],
             doc_hash_of, label_of=None) -> Draft:
    """Number citations across sections, fill or mark each section, and render the template.

    The draft is classified at the most sensitive label (`label_of(source)`) among the documents it
    quotes, stated under its title, so a draft quoting confidential minutes is marked confidential.
    """
    citations: list[DraftCitation] = []
    numbers: dict[tuple[str, str], int] = {}
    bodies: dict[str, str] = {}
    filled, missing, controls = [], [], []
    for section in kind.sections:
        answer = answers.get(section.id)
        if answer is None or not answer.grounded or not answer.citations:
            bodies[section.id] = to_complete(section.needed, section.supports)
            missing.append(section.id)
            continue
        local = {}
        for citation in answer.citations:
            key = (citation.source, citation.quote)
            if key not in numbers:
                numbers[key] = len(citations) + 1
                citations.append(DraftCitation(n=numbers[key], source=citation.source, page=citation.page,
                                               section=citation.section, quote=citation.quote,
                                               doc_hash=doc_hash_of(citation.source)))
            local[citation.n] = numbers[key]
        lines = [_as_body_line(_renumber(line, local)) for line in answer.answer.splitlines() if line.strip()]
        bodies[section.id] = "\n\n".join(lines)
        filled.append(section.id)
        controls += [c for c in section.supports if c not in controls]
    label = highest_label(label_of(c.source) for c in citations if label_of and label_of(c.source))
    text = _with_header(kind.render(values, bodies), classification_line(label))
    text += _appendix(citations, filled, missing, controls)
    return Draft(kind=kind.kind, title=kind.fill(kind.title, values), markdown=text, citations=citations,
                 coverage=Coverage(filled=filled, to_complete=missing, controls=controls), bodies=bodies,
                 classification=label.value)


def _with_header(text: str, line: str) -> str:
    """Put a header line under the document's title (or first, when it has none)."""
    first, _, rest = text.partition("\n")
    if first.startswith("# "):
        return f"{first}\n\n{line}\n\n{rest.lstrip(chr(10))}"
    return f"{line}\n\n{text}"


def _as_body_line(line: str) -> str:
    """A quoted table row is shown as a quotation, so no renderer mistakes it for a table."""
    return f"> {line}" if line.startswith("|") else line


def _renumber(line: str, mapping: dict[int, int]) -> str:
    """Replace a section's citation numbers with the draft's."""
    return re.sub(r"\[(\d+)\]", lambda m: f"[{mapping.get(int(m.group(1)), m.group(1))}]", line)


def _appendix(citations: list[DraftCitation], filled: list[str], missing: list[str], controls: list[str]) -> str:
    lines = ["", "", "## Coverage", "",
             f"Sections filled from evidence: {len(filled)} ({', '.join(filled) or 'none'}).",
             "",
             f"Sections to complete: {len(missing)} ({', '.join(missing) or 'none'}).",
             "",
             f"Clauses and controls this draft supports: {', '.join(controls) or 'none yet'}.",
             "", "## Sources", "",
             "| # | Document | Locator | Quote | Document hash |", "|---|---|---|---|---|"]
    for c in citations:
        where = ", ".join(x for x in (f"page {c.page}" if c.page else "", c.section or "") if x) or "-"
        quote = " ".join(c.quote.split()).replace("|", "\\|")
        lines.append(f"| {c.n} | {c.source} | {where.replace('|', '/')} | {quote} | {c.doc_hash[:12]} |")
    return "\n".join(lines) + "\n"


def write(draft: Draft, out: Path, fmt: str, force: bool = False) -> Path:
    """Write the draft to exactly `out` as Markdown or DOCX; refuse to overwrite unless forced."""
    out = Path(out).expanduser()
    if fmt not in ("md", "docx"):
        raise DraftError(f"unknown format {fmt!r}; choose md or docx")
    if out.exists() and not force:
        raise DraftError(f"{out} exists; add --force to overwrite it")
    if not out.parent.exists():
        raise DraftError(f"the folder {out.parent} does not exist")
    if fmt == "md":
        out.write_text(draft.markdown, encoding="utf-8")
    else:
        markdown_to_docx(draft.markdown, draft.title, out, classification=draft.classification)
    return out


def markdown_to_docx(markdown: str, title: str, out: Path, classification: str | None = None) -> None:
    """Our drafts' Markdown as a Word document: real headings, paragraphs and tables.

    A classification goes into the core properties too (category, and keywords
    `classification: X`), where our DOCX reader and document-management tools look for it.
    """
    import docx

    document = docx.Document()
    document.core_properties.title = title
    if classification:
        document.core_properties.category = classification
        document.core_properties.keywords = f"classification: {classification}"
    lines = markdown.splitlines()
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
