"""Review mode: check the organisation's existing document of a kind against what the standard asks of it.

Each requirement element (declared, in our own words, in the kind's YAML with the clause or control it
comes from) is searched with the question pipeline within the existing document only, and graded:
present when the judge says the document answers it and a quote shows it; partial when the document
only touches it; missing when it holds nothing on it. Every grade but missing carries its quote.
"""

from __future__ import annotations

import re

from pydantic import BaseModel

from assistant.core.where import locator
from assistant.drafting.build import DraftSources
from assistant.drafting.doctypes import quotable
from assistant.drafting.kinds import DraftKind

LOOK = 5  # best units of the document searched for the element's telltale words


class Check(BaseModel):
    """One requirement element, graded, with the quote that shows it."""

    id: str
    text: str
    supports: list[str]
    grade: str  # present | partial | missing
    quote: str = ""
    source: str = ""
    page: int | None = None
    locator: str | None = None


class Review(BaseModel):
    """The requirements check of one existing document (or of none, when the organisation has none)."""

    kind: str
    label: str
    article: str
    documents: list[str]
    checks: list[Check]

    def counts(self) -> dict[str, int]:
        return {grade: sum(c.grade == grade for c in self.checks) for grade in ("present", "partial", "missing")}


def subject_of(kind: DraftKind, values: dict[str, str]) -> str:
    """The input a kind is about (the system of an impact assessment), if any."""
    inputs = {s.about_input for s in kind.sections if s.about_input}
    return values.get(next(iter(inputs)), "") if len(inputs) == 1 else ""


def existing_documents(kind: DraftKind, values: dict[str, str], sources: DraftSources) -> list[str]:
    """The organisation's documents of this kind (about the kind's subject, if it has one)."""
    if not kind.document:
        return []
    mine = [s for s, k in sources.kinds.items() if k == kind.document]
    subject = subject_of(kind, values).lower()
    if subject:
        mine = [s for s in mine if subject in f"{s} {sources.titles.get(s, '')}".lower()]
    return sorted(mine)


def review(kind: DraftKind, values: dict[str, str], sources: DraftSources) -> Review:
    """Grade every requirement element of the kind against the organisation's own document(s)."""
    documents = existing_documents(kind, values, sources)
    label = re.sub(r"\bai\b", "AI", (kind.document or kind.kind).replace("-", " "))
    article = "an" if label[:1].lower() in "aeiou" else "a"
    checks = []
    for item in kind.requirements:
        found = sources.evidence(kind.fill(item.question, values))
        units = [u for u in found.units if u.passage.chunk.source in documents and quotable(u.text)]
        status = sources.status(units[:3], found) if units else "none"
        look = re.compile(item.look_for, re.IGNORECASE) if item.look_for else None
        shown = next((u for u in units[:LOOK] if look is None or look.search(u.text)), None)
        if status == "answered" and shown is not None:
            grade = "present"
        elif units and (shown is not None or status == "partial"):
            grade, shown = "partial", shown or units[0]
        else:
            grade, shown = "missing", None
        check = Check(id=item.id, text=item.text, supports=item.supports, grade=grade)
        if shown is not None:
            chunk = shown.passage.chunk
            check = check.model_copy(update={"quote": shown.text, "source": chunk.source, "page": chunk.page,
                                             "locator": locator(chunk)})
        checks.append(check)
    return Review(kind=kind.kind, label=label, article=article, documents=documents, checks=checks)


def review_markdown(checked: Review, numbers: dict[tuple[str, str], int] | None = None) -> str:
    """The check as a Markdown section: one row per element, then the counts."""
    numbers = numbers or {}
    where = ", ".join(checked.documents) or f"no {checked.label} among the indexed documents"
    lines = ["## Requirements check", "",
             f"What the standard asks of {checked.article} {checked.label}, checked against: {where}.", "",
             "| Element | Asked for by | Status | What shows it |", "|---|---|---|---|"]
    for c in checked.checks:
        quote = " ".join(c.quote.split()).replace("|", "\\|")
        cite = f" [{numbers[(c.source, c.quote)]}]" if (c.source, c.quote) in numbers else ""
        shown = f"\"{quote}\"{cite} ({c.source})" if quote else "-"
        lines.append(f"| {c.text} | {', '.join(c.supports)} | {c.grade} | {shown} |")
    counts = checked.counts()
    lines += ["", f"{counts['present']} present, {counts['partial']} partial, {counts['missing']} missing.", ""]
    return "\n".join(lines)
