"""Checklist rows: each catalogue item joined with its assessment and the freshness of its evidence.

One declaration (the catalogue item) rendered many ways: a CLI table, a JSON object, a Markdown
line; gaps are computed from the same rows, ordered by severity.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from pydantic import BaseModel

from assistant.checklist.assessment import Assessment, EvidenceLink, Status
from assistant.checklist.catalogue import Catalogue

DocLookup = Callable[[str | None, str], tuple[str, str] | None]
"""(root, source) -> (current doc hash, current text), or None when the document is gone."""


class ChecklistRow(BaseModel):
    """One clause or control with the organisation's position on it."""

    id: str
    kind: str
    title: str
    group: str
    documented_information: bool
    applicable: bool | None
    justification: str
    status: str
    owner: str
    evidence: int
    stale: int
    links: list[EvidenceLink]


class Suggestion(BaseModel):
    """Candidate evidence for an item: a proposal until a person links it."""

    item_id: str
    source: str
    page: int | None
    section: str | None
    quote: str
    score: float
    confidence: str


class Gap(BaseModel):
    """Something an auditor would raise, with how serious it is (1 = most)."""

    severity: int
    item_id: str
    title: str
    problem: str


def find_quote(text: str, quote: str) -> tuple[int, int] | None:
    """The span of `quote` in `text`, tolerant of differences in whitespace only."""
    words = quote.split()
    if not words:
        return None
    pattern = r"\s+".join(re.escape(word) for word in words)
    match = re.search(pattern, text)
    return (match.start(), match.end()) if match else None


def check_link(link: EvidenceLink, lookup: DocLookup) -> EvidenceLink:
    """The link with its stale flag: stale when the document is gone or no longer holds the quote."""
    current = lookup(link.root, link.source)
    if current is None:
        return link.model_copy(update={"stale": True, "stale_reason": "the document is no longer in the index"})
    doc_hash, text = current
    if find_quote(text, link.quote) is None:
        reason = "the quoted words are no longer in the document"
        return link.model_copy(update={"stale": True, "stale_reason": reason})
    if doc_hash != link.doc_hash:
        reason = "document changed since linking; quote still present"
        return link.model_copy(update={"stale": False, "stale_reason": reason})
    return link


def build_rows(catalogue: Catalogue, assessments: dict[str, Assessment], lookup: DocLookup,
               only: set[str] | None = None) -> list[ChecklistRow]:
    """A row for every clause and control (or those in `only`), in catalogue order."""
    group_titles = {g.id: g.title for g in catalogue.groups}
    rows = []
    for item in [*catalogue.clauses, *catalogue.controls]:
        if only is not None and item.id not in only:
            continue
        assessment = assessments.get(item.id) or Assessment(item_id=item.id)
        links = [check_link(link, lookup) for link in assessment.links]
        is_control = item.id.startswith("A.")
        group_id = ".".join(item.id.split(".")[:2])
        group = group_titles.get(group_id, "") if is_control else f"Clause {item.id.split('.')[0]}"
        rows.append(ChecklistRow(
            id=item.id, kind="control" if is_control else "clause", title=item.title, group=group,
            documented_information=getattr(item, "documented_information", False), applicable=assessment.applicable,
            justification=assessment.justification, status=assessment.status.value, owner=assessment.owner,
            evidence=sum(not link.stale for link in links), stale=sum(link.stale for link in links), links=links,
        ))
    return rows


SEVERITIES = {
    1: "nonconformity: excluded (not applicable) without a justification",
    2: "no evidence: a clause requiring documented information, or an applicable control, has none linked",
    3: "stale evidence: a linked quote is no longer in its document",
    4: "not yet assessed: no applicability or status recorded yet",
}
"""What each gap severity means (1 is the most serious), for the legend every rendering shows."""


def gaps(rows: list[ChecklistRow]) -> list[Gap]:
    """Gaps ordered by severity (see SEVERITIES).

    A control never assessed is "not yet assessed", not "applicable with no evidence": nobody has
    said it applies. A control assessed (a status set) without excluding it is taken as applicable.
    """
    found: list[Gap] = []

    def add(severity: int, row: ChecklistRow, problem: str) -> None:
        found.append(Gap(severity=severity, item_id=row.id, title=row.title, problem=problem))

    for row in rows:
        unassessed = row.status == Status.NOT_ASSESSED.value and row.applicable is None
        if row.applicable is False and not row.justification.strip():
            add(1, row, "not applicable without a justification")
        if row.kind == "clause" and row.documented_information and row.evidence == 0:
            add(2, row, "requires documented information; no evidence linked")
        if row.kind == "control" and row.applicable is not False and row.evidence == 0 and not unassessed:
            add(2, row, "applicable control with no evidence")
        if row.stale:
            add(3, row, f"{row.stale} stale evidence link(s)")
        if row.kind == "control" and unassessed:
            add(4, row, "not yet assessed" + ("" if row.evidence else "; no evidence linked"))
        elif row.kind == "control" and row.status == Status.NOT_ASSESSED.value:
            add(4, row, "status not yet assessed")
    return sorted(found, key=lambda gap: (gap.severity, _order(gap.item_id)))


def _order(item_id: str) -> tuple:
    parts = item_id.removeprefix("A.").split(".")
    return (item_id.startswith("A."), *[int(p) for p in parts if p.isdigit()])
