"""Assemble a draft: template wording, fact slots filled with cited spans, quotes under each section,
TO COMPLETE markers, a coverage table and the sources.

Nothing here writes prose of its own. Template wording comes from prompts/drafts/KIND.md and is the
organisation's to adopt (the coverage table lists it as template text); every fact in it is a
verbatim span of a cited document or a visible marker naming what is needed and which clause or
control asks for it; quotes are verbatim; LLM prose is only what the citation verifier kept.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from pydantic import BaseModel

from assistant.core.chunks import display_quote
from assistant.core.labels import classification_line, highest_label
from assistant.core.models import Answer
from assistant.core.where import locator
from assistant.drafting.docx_out import markdown_to_docx
from assistant.drafting.kinds import DraftKind

__all__ = ["DraftError", "Draft", "assemble", "assemble_sections", "to_complete", "write", "markdown_to_docx"]

DOCUMENTS_SAY = "*What your documents already say:*"


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


class SectionReport(BaseModel):
    """What one section of the draft rests on: template wording, facts found or to complete, quotes."""

    id: str
    title: str
    template: str
    facts: dict[str, str]  # slot name -> "found" | "to complete"
    quotes: int
    prose: bool = False  # the quotes were written up as verified LLM prose


class Coverage(BaseModel):
    """How much of the draft the documents supported."""

    filled: list[str]
    to_complete: list[str]
    controls: list[str]
    template: list[str] = []  # sections carrying template wording to adopt
    facts_found: list[str] = []
    facts_to_complete: list[str] = []


class Inferred(BaseModel):
    """An input the drafter found in the documents rather than being told (e.g. the organisation's name)."""

    name: str
    value: str
    source: str
    quote: str
    documents: int = 1  # how many documents agree on it


class Draft(BaseModel):
    """A finished draft: its Markdown and what it rests on."""

    kind: str
    title: str
    markdown: str
    citations: list[DraftCitation]
    coverage: Coverage
    bodies: dict[str, str]
    classification: str = "internal"  # the most sensitive label among the quoted documents
    sections: list[SectionReport] = []
    inferred: list[Inferred] = []
    review: object | None = None  # the requirements check (a review.Review) when the organisation has one


@dataclass
class Cited:
    """A verbatim span of an indexed document and where it is."""

    quote: str
    source: str
    page: int | None = None
    locator: str | None = None

    @classmethod
    def of(cls, unit) -> Cited:
        """A pipeline unit (sentence or table row) as a citation."""
        chunk = unit.passage.chunk
        return cls(unit.text, chunk.source, chunk.page, locator(chunk))

    def line(self) -> str:
        return display_quote(self.quote, self.locator)


@dataclass
class SectionMaterial:
    """What assembly needs for one section: filled slots, quotes or verified prose."""

    facts: dict[str, list[tuple[list[str], Cited]]]  # slot name -> [(spans, citation)], empty when not found
    quotes: list[Cited]
    prose: list[tuple[str, list[Cited]]] | None = None


def to_complete(needed: str, supports: list[str]) -> str:
    """The visible marker for content the documents do not hold."""
    return f"[TO COMPLETE: {needed}; asked for by {', '.join(supports)}]"


class _Numbering:
    def __init__(self, doc_hash_of) -> None:
        self.citations: list[DraftCitation] = []
        self.numbers: dict[tuple[str, str], int] = {}
        self.doc_hash_of = doc_hash_of

    def cite(self, cited: Cited) -> int:
        key = (cited.source, cited.quote)
        if key not in self.numbers:
            self.numbers[key] = len(self.citations) + 1
            self.citations.append(DraftCitation(n=self.numbers[key], source=cited.source, page=cited.page,
                                                section=cited.locator, quote=cited.quote,
                                                doc_hash=self.doc_hash_of(cited.source)))
        return self.numbers[key]


def assemble(kind: DraftKind, values: dict[str, str], answers: dict[str, Answer | None],
             doc_hash_of, label_of=None) -> Draft:
    """A draft from one cited answer per section (quotes only, no fact slots found)."""
    material = {}
    for section in kind.sections:
        answer = answers.get(section.id)
        quotes = []
        if answer is not None and answer.grounded:
            quotes = [Cited(c.quote, c.source, c.page, c.section) for c in answer.citations]
        material[section.id] = SectionMaterial({}, quotes)
    return assemble_sections(kind, values, material, doc_hash_of, label_of)


def assemble_sections(kind: DraftKind, values: dict[str, str], material: dict[str, SectionMaterial],
                      doc_hash_of, label_of=None, inferred: list[Inferred] | None = None, review=None) -> Draft:
    """Number citations across sections, fill the fact slots and evidence blocks, and render the template.

    The draft is classified at the most sensitive label (`label_of(source)`) among the documents it
    quotes, stated under its title, so a draft quoting confidential minutes is marked confidential.
    """
    numbering = _Numbering(doc_hash_of)
    wording = kind.wording()
    inferred = inferred or []
    notes = [f"{item.name.capitalize()} \"{item.value}\" was found in {item.documents} of your documents "
             f"[{numbering.cite(Cited(item.quote, item.source))}]; correct it if it is wrong." for item in inferred]
    bodies, facts, reports = {}, {}, []
    filled, missing, controls, found_facts, missing_facts = [], [], [], [], []
    for section in kind.sections:
        got = material.get(section.id) or SectionMaterial({}, [])
        section_facts = {}
        for slot in section.slots:
            values_found = got.facts.get(slot.name) or []
            if values_found:
                facts[slot.name] = _render_fact(values_found, numbering, slot.shape == "records")
                section_facts[slot.name] = "found"
                found_facts.append(slot.name)
            else:
                facts[slot.name] = to_complete(slot.needed, slot.supports)
                section_facts[slot.name] = "to complete"
                missing_facts.append(slot.name)
        body = _evidence_block(got, numbering)
        has_evidence = bool(got.quotes or got.prose or any(v == "found" for v in section_facts.values()))
        if not body and not has_evidence:
            body = to_complete(section.needed, section.supports)
        bodies[section.id] = body
        (filled if has_evidence else missing).append(section.id)
        if has_evidence:
            controls += [c for c in section.supports if c not in controls]
        reports.append(SectionReport(id=section.id, title=section.title, template=wording.get(section.id, ""),
                                     facts=section_facts, quotes=len(got.quotes), prose=bool(got.prose)))
    if review is not None:
        notes.insert(0, f"Your documents already include {review.article} {review.label}: "
                        f"{', '.join(review.documents)}. A requirements check of it follows the coverage table.")
        checked = {(c.source, c.quote): numbering.cite(Cited(c.quote, c.source, c.page, c.locator))
                   for c in review.checks if c.quote}
    citations = numbering.citations
    label = highest_label(label_of(c.source) for c in citations if label_of and label_of(c.source))
    header = classification_line(label) + "".join(f"\n\n{note}" for note in notes)
    text = _with_header(kind.render(values, bodies, facts), header)
    coverage = Coverage(filled=filled, to_complete=missing, controls=controls,
                        template=[r.id for r in reports if r.template], facts_found=found_facts,
                        facts_to_complete=missing_facts)
    appendix = _appendix(citations, reports, coverage)
    if review is not None:
        from assistant.drafting.review import review_markdown

        head, _, tail = appendix.partition("## Sources")
        appendix = f"{head}{review_markdown(review, checked)}\n## Sources{tail}"
    return Draft(kind=kind.kind, title=kind.fill(kind.title, values), markdown=text + appendix, citations=citations,
                 coverage=coverage, bodies=bodies, classification=label.value, sections=reports, inferred=inferred,
                 review=review)


def _render_fact(found: list[tuple[list[str], Cited]], numbering: _Numbering, records: bool) -> str:
    if not records:
        spans, cited = found[0]
        return f"{spans[0]} [{numbering.cite(cited)}]"
    lines = [f"- {' – '.join(' '.join(s.split()) for s in spans)} [{numbering.cite(cited)}]" for spans, cited in found]
    return "\n".join(lines)


def _evidence_block(got: SectionMaterial, numbering: _Numbering) -> str:
    """'What your documents already say': verified prose, else the best quotes, each cited."""
    if got.prose:
        lines = [f"{sentence} {''.join(f'[{numbering.cite(c)}]' for c in cites)}" for sentence, cites in got.prose]
        return DOCUMENTS_SAY + "\n\n" + "\n\n".join(lines)
    if not got.quotes:
        return ""
    return DOCUMENTS_SAY + "\n\n" + "\n\n".join(f"> {c.line()} [{numbering.cite(c)}]" for c in got.quotes)


def _with_header(text: str, line: str) -> str:
    """Put a header line under the document's title (or first, when it has none)."""
    first, _, rest = text.partition("\n")
    if first.startswith("# "):
        return f"{first}\n\n{line}\n\n{rest.lstrip(chr(10))}"
    return f"{line}\n\n{text}"


def _cell(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


def _appendix(citations: list[DraftCitation], reports: list[SectionReport], coverage: Coverage) -> str:
    lines = ["", "", "## Coverage", "",
             "Template wording is model text for the organisation to adopt or change; it states no fact about "
             "the organisation. Facts are verbatim spans of the cited documents.", "",
             "| Section | Wording | Facts from your documents | To complete | Quotes |", "|---|---|---|---|---|"]
    for r in reports:
        found = [n for n, v in r.facts.items() if v == "found"]
        todo = [n for n, v in r.facts.items() if v != "found"]
        lines.append(f"| {_cell(r.title)} | {'template' if r.template else '-'} | "
                     f"{', '.join(found) or '-'} | {', '.join(todo) or '-'} | "
                     f"{('verified prose' if r.prose else r.quotes) or '-'} |")
    lines += ["", f"Sections filled from evidence: {len(coverage.filled)} ({', '.join(coverage.filled) or 'none'}).",
              "", f"Sections to complete: {len(coverage.to_complete)} ({', '.join(coverage.to_complete) or 'none'}).",
              "", f"Clauses and controls this draft supports: {', '.join(coverage.controls) or 'none yet'}.",
              "", "## Sources", "",
              "| # | Document | Locator | Quote | Document hash |", "|---|---|---|---|---|"]
    for c in citations:
        where = ", ".join(x for x in (f"page {c.page}" if c.page else "", c.section or "") if x) or "-"
        lines.append(f"| {c.n} | {c.source} | {where.replace('|', '/')} | {_cell(c.quote)} | {c.doc_hash[:12]} |")
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
