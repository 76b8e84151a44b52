"""Gather each section's evidence: relevant documents first, the fact slots, then the best quotes.

Relevance before quoting: a section quotes the organisation's own document of the draft's kind
first, then documents of the kinds that plausibly govern it (the kind's `related` and the section's
`sources`); a unit from any other kind of document must beat the best relevant unit by the ranker's
margin, and page furniture or `Column N:` blobs are never taken. The question pipeline
(handed in by the façade as `DraftSources.search`) does the ranking; nothing here knows any
organisation's words.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from assistant.core.text import near_duplicates
from assistant.drafting.doctypes import quotable
from assistant.drafting.kinds import DraftKind, DraftSection
from assistant.drafting.slots import Filled, fill

OWN_BONUS = 0.5  # of the ranker margin: a unit of the organisation's own document of this kind
UNRELATED_MARGIN = 1.0  # of the ranker margin: how much better a unit of an unrelated kind must score
MAX_QUOTES = 3


@dataclass
class DraftSources:
    """What the façade hands the drafter: the ranked search, the judge, and each document's kind."""

    search: Callable[[str], object]  # question -> the pipeline's Evidence (ranked `units`)
    status: Callable[[list, object], str]  # (units, evidence) -> answered | partial | none
    kinds: dict[str, str]  # source -> document kind
    margin: float = 3.0
    titles: dict[str, str] = field(default_factory=dict)  # source -> document title
    _cache: dict = field(default_factory=dict)

    def evidence(self, question: str):
        if question not in self._cache:
            self._cache[question] = self.search(question)
        return self._cache[question]


@dataclass
class SectionEvidence:
    """One section's material: its template wording, its slot values and its quotes."""

    section: DraftSection
    wording: str
    slots: dict[str, Filled]
    quotes: list = field(default_factory=list)  # pipeline units, best first
    status: str = "none"
    prose: list[tuple[str, list]] | None = None  # verified LLM sentences with their (unit-like) citations


def mentions(unit, subject: str, titles: dict[str, str]) -> bool:
    """Whether a unit's passage (text, heading trail, document title or file name) names the subject."""
    chunk = unit.passage.chunk
    needle = subject.lower()
    return any(needle in (text or "").lower() for text in (chunk.text, chunk.title, chunk.section, chunk.source,
                                                            titles.get(chunk.source)))


class Relevance:
    """Which documents plausibly govern a section, and the gate other documents must pass."""

    def __init__(self, kind: DraftKind, section: DraftSection, sources: DraftSources, subject: str = "") -> None:
        self.own = {kind.document} if kind.document else set()
        self.related = set(kind.related) | set(section.sources)
        self.sources = sources
        self.subject = subject

    def grade(self, source: str) -> str:
        kind = self.sources.kinds.get(source, "other")
        return "own" if kind in self.own else "related" if kind in self.related else "other"

    def is_own(self, unit) -> bool:
        return self.grade(unit.passage.chunk.source) == "own"

    def choose(self, found, used: set | None = None) -> list:
        """The quotable, relevant units of a search, best first (own-kind units lifted a little)."""
        used = used or set()
        margin = self.sources.margin
        units = [u for u in found.units if quotable(u.text) and _key(u) not in used
                 and (not self.subject or mentions(u, self.subject, self.sources.titles))]
        relevant = [u.score for u in units if self.grade(u.passage.chunk.source) != "other"]
        if relevant:
            bar = max(relevant) + UNRELATED_MARGIN * margin
            units = [u for u in units if self.grade(u.passage.chunk.source) != "other" or u.score >= bar]
        elif units and self.sources.status(units[:3], found) != "answered":
            return []  # only unrelated documents, and they do not answer it: quote nothing
        bonus = {"own": OWN_BONUS * margin, "related": 0.0, "other": 0.0}
        return sorted(units, key=lambda u: -(u.score + bonus[self.grade(u.passage.chunk.source)]))


def gather(kind: DraftKind, values: dict[str, str], sources: DraftSources) -> list[SectionEvidence]:
    """Every section's slots and quotes, sections in order; a unit is quoted by one section only."""
    wording = kind.wording()
    used: set = set()
    out = []
    for section in kind.sections:
        subject = values.get(section.about_input, "") if section.about_input else ""
        relevance = Relevance(kind, section, sources, subject)
        slots = {}
        for slot in section.slots:
            found = sources.evidence(kind.fill(slot.ask, values))
            slots[slot.name] = fill(slot, relevance.choose(found))
        found = sources.evidence(kind.fill(section.question, values))
        in_facts = {_key(unit) for filled in slots.values() for _, unit in filled.values}
        own = relevance.is_own
        everything = relevance.choose(found)
        ranked = [u for u in everything if _key(u) not in used | in_facts]
        top = _lifted(everything[0], sources.margin, own) if everything else None
        quotes = pick_quotes(ranked, min(MAX_QUOTES, section.max_sentences), sources.margin, own, top)
        status = sources.status(quotes, found) if quotes else "none"
        if status == "none":
            quotes = []
        used |= {_key(u) for u in quotes}
        out.append(SectionEvidence(section, wording.get(section.id, ""), slots, quotes, status))
    return out


def _lifted(unit, margin: float, own: Callable[[object], bool]) -> float:
    return unit.score + (OWN_BONUS * margin if own(unit) else 0.0)


def pick_quotes(ranked: list, k: int, margin: float, own: Callable[[object], bool], top: float | None = None) -> list:
    """Up to k units within the margin of the section's best evidence (`top`, which may be a unit already
    cited for a fact), never overlapping or near-duplicate."""
    chosen: list = []
    if not ranked:
        return chosen
    best = top if top is not None else _lifted(ranked[0], margin, own)
    for unit in ranked:
        if len(chosen) >= k:
            break
        if _lifted(unit, margin, own) < best - margin:
            break
        if any(unit.overlaps(other) or near_duplicates(unit.text, other.text) for other in chosen):
            continue
        chosen.append(unit)
    return chosen


def _key(unit) -> tuple[str, int]:
    return unit.passage.chunk.id, unit.start


