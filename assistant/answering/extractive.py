"""The extractive answerer: choose the sentences that answer, quote them verbatim, cite each one.

Nothing is stated that is not a quote or a fixed connective phrase. Sentences are scored with
vectors computed at ingest (no model call here) plus lexical coverage of the question; when the
best evidence does not cover what is asked, the answer says so and names what was searched.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from assistant.core.chunks import quote_spans, record_line
from assistant.core.models import Answer, Chunk, Citation
from assistant.core.text import INJECTION

QUESTION_WORDS = frozenset(
    "what who when where which how why whom whose can could may might should must do doe did is are was were "
    "will would shall have has had ani tell explain pleas know need want allow".split()
)

# Weights of the sentence score, chosen on the calibration split of evals/questions.jsonl (never
# on the test split); the refusal threshold is calibrated on the same split.
W_SENTENCE, W_CHUNK, W_COVERAGE, W_TYPE, W_FRAGMENT = 0.6, 0.4, 0.5, 0.2, 0.1
MAX_JOINED_GAP = 60  # characters of unquoted text (a short lead-in) that may sit between joined sentences

_MONTH = r"(?:January|February|March|April|May|June|July|August|September|October|November|December)"
# What a question asks for, and how a sentence that supplies it looks: a generic answer-type check.
ANSWER_TYPES: dict[str, tuple[re.Pattern, re.Pattern]] = {
    "time": (
        re.compile(r"\b(when|what date|which date|deadline|how long|how quickly|how soon|how fast|how often|"
                   r"frequency|by when|what time|within what)\b", re.I),
        re.compile(rf"\b(\d{{1,2}} {_MONTH}( \d{{4}})?|{_MONTH} \d{{4}}|\d{{4}}-\d{{2}}-\d{{2}}|Q[1-4] \d{{4}}|"
                   r"within \w+|every \w+|\d+ (working |calendar |business )?(days?|hours?|weeks?|months?|years?|"
                   r"minutes?)|annual(ly)?|monthly|quarterly|weekly|daily|yearly|immediately|same day|"
                   r"next working day)\b", re.I),
    ),
    "number": (
        re.compile(r"\b(how much|how many|what percentage|what share|what proportion|what score|what ratio|"
                   r"what threshold|cut-?off|budget|cost|price|amount|number of|what level|what rate|minimum|"
                   r"maximum)\b", re.I),
        re.compile(r"(£\s?\d|\d+(\.\d+)?\s?%|\b\d[\d,.]*\b)"),
    ),
    "person": (
        re.compile(r"\b(who|whom|whose|which person|which role|which team|which committee)\b", re.I),
        re.compile(r"\b([A-Z][a-z]+ [A-Z][a-z]+|Dr [A-Z][a-z]+)\b|\b(Chief|Head|Director|Manager|Officer|"
                   r"Committee|Board|chair|owner|CEO|Counsel|Secretary|team)\b"),
    ),
    "policy": (
        re.compile(r"^(can|may|could|am i|are we|is it|is that|do i|do we|should i|must i|have i)\b|"
                   r"\b(allowed|permitted|ok to|okay to|is it ok|am i allowed)\b", re.I),
        re.compile(r"\b(must|may|never|only|not permitted|not allowed|allowed|permitted|prohibited|forbidden|"
                   r"do not|don't|cannot|can't|required|approved|should)\b", re.I),
    ),
}


def answer_types(question: str) -> list[str]:
    """The kinds of answer a question asks for (a time, a number, a person or role, a permission)."""
    return [name for name, (asks, _) in ANSWER_TYPES.items() if asks.search(question)]


def type_match(types: list[str], sentence: str) -> float:
    """Share of the asked-for answer kinds the sentence supplies (0.5 when the question asks none)."""
    if not types:
        return 0.5
    return sum(ANSWER_TYPES[name][1].search(sentence) is not None for name in types) / len(types)


@dataclass
class Passage:
    """A retrieved chunk with the vectors computed for it at ingest."""

    chunk: Chunk
    vector: np.ndarray
    sentence_vectors: np.ndarray
    rank: int


@dataclass
class Scored:
    """One quotable unit of a passage and its evidence features."""

    passage: Passage
    start: int
    end: int
    semantic: float
    chunk_similarity: float
    coverage: float
    type_match: float
    score: float

    @property
    def text(self) -> str:
        """The quoted words, verbatim from the source."""
        return self.passage.chunk.text[self.start : self.end]


def coverage(question_weights: dict[str, float], tokens: set[str]) -> float:
    """Share of the question's IDF weight whose tokens the evidence contains."""
    total = sum(question_weights.values())
    if total <= 0:
        return 0.0
    return sum(w for token, w in question_weights.items() if token in tokens) / total


def score_sentences(
    query_vector: np.ndarray, passages: list[Passage], question_weights: dict[str, float],
    tokenize: Callable[[list[str]], list[list[str]]], types: list[str] | None = None,
) -> list[Scored]:
    """Every quotable unit of the passages with its score, best first; injected instructions are skipped."""
    units: list[tuple[Passage, int, int, float]] = []
    for passage in passages:
        spans = quote_spans(passage.chunk)
        vectors = passage.sentence_vectors
        if len(vectors) != len(spans):  # vectors from an older chunking: fall back to the chunk's
            vectors = np.repeat(passage.vector[None, :], len(spans), axis=0)
        for (start, end), vector in zip(spans, vectors):
            if INJECTION.search(passage.chunk.text[start:end]):
                continue
            units.append((passage, start, end, float(vector @ query_vector)))
    if not units:
        return []
    contexts = [f"{p.chunk.title} {p.chunk.section or ''} {p.chunk.text[s:e]}" for p, s, e, _ in units]
    token_sets = [set(tokens) for tokens in tokenize(contexts)]
    scored = []
    for (passage, start, end, semantic), tokens in zip(units, token_sets):
        text = passage.chunk.text[start:end]
        chunk_sim = float(passage.vector @ query_vector)
        cover = coverage(question_weights, tokens)
        typed = type_match(types or [], text)
        fragment = text.rstrip().endswith(":") or len(text.split()) < 6  # a list lead-in answers nothing
        score = (W_SENTENCE * semantic + W_CHUNK * chunk_sim + W_COVERAGE * cover + W_TYPE * typed
                 - W_FRAGMENT * fragment)
        scored.append(Scored(passage, start, end, semantic, chunk_sim, cover, typed, score))
    scored.sort(key=lambda s: s.score, reverse=True)
    return scored


def evidence_strength(best: Scored) -> float:
    """How well the best unit answers: its score (meaning, coverage of rarer words, answer kind)."""
    return best.score


def compose(question: str, role: str, scored: list[Scored], k: int, threshold: float,
            searched: list[Chunk]) -> Answer:
    """An answer of up to k quoted sentences, most relevant first, or a refusal below the threshold."""
    if not scored or evidence_strength(scored[0]) < threshold:
        return refusal(question, role, searched)
    best = scored[0].score
    chosen: list[Scored] = []
    for unit in scored:
        if len(chosen) >= k or (len(chosen) >= 2 and unit.score < best - 0.25):
            break
        if any(_overlaps(unit, other) or _similar(unit.text, other.text) for other in chosen):
            continue
        chosen.append(unit)
    return _render(question, role, group_adjacent(chosen))


def group_adjacent(chosen: list[Scored]) -> list[list[Scored]]:
    """The chosen units with neighbouring sentences of one passage joined, in the order of each group's best.

    Two sentences that follow each other in a passage read as the passage wrote them, under one
    citation, rather than as separate claims in score order; units are never joined across a gap.
    """
    positions = {id(unit): _position(unit) for unit in chosen}
    groups: list[list[Scored]] = []
    for unit in chosen:
        touching = [group for group in groups if any(_neighbours(unit, other, positions) for other in group)]
        if not touching:
            groups.append([unit])
            continue
        touching[0].append(unit)
        for other in touching[1:]:  # the unit bridged two groups
            touching[0].extend(other)
            groups.remove(other)
    for group in groups:
        group.sort(key=lambda unit: unit.start)
    return groups


def _neighbours(unit: Scored, other: Scored, positions: dict[int, int]) -> bool:
    """Consecutive quotable units of one passage, with nothing between them but a short fragment that
    is not an instruction (a list lead-in such as "This covers:" is quoted with them)."""
    if unit.passage.chunk.id != other.passage.chunk.id or abs(positions[id(unit)] - positions[id(other)]) != 1:
        return False
    first, second = sorted((unit, other), key=lambda u: u.start)
    gap = unit.passage.chunk.text[first.end : second.start]
    return len(gap) <= MAX_JOINED_GAP and not INJECTION.search(gap)


def _position(unit: Scored) -> int:
    """The unit's index among its passage's quotable units (worked out once per chosen unit)."""
    starts = [start for start, _ in quote_spans(unit.passage.chunk)]
    return starts.index(unit.start) if unit.start in starts else -10


def _overlaps(a: Scored, b: Scored) -> bool:
    return a.passage.chunk.id == b.passage.chunk.id and a.start < b.end and b.start < a.end


def _words(text: str) -> set[str]:
    return set(re.findall(r"[a-z0-9]+", text.lower()))


def _similar(a: str, b: str) -> bool:
    wa, wb = _words(a), _words(b)
    return bool(wa and wb) and len(wa & wb) / len(wa | wb) > 0.7


def _render(question: str, role: str, groups: list[list[Scored]]) -> Answer:
    citations = []
    lines = []
    for n, group in enumerate(groups, start=1):
        chunk = group[0].passage.chunk
        quote = chunk.text[group[0].start : group[-1].end]
        citations.append(Citation(n=n, source=chunk.source, page=chunk.page, section=locator(chunk), quote=quote,
                                  score=round(max(unit.score for unit in group), 4)))
        lines.append(f"{record_line(quote) if chunk.row is not None else ' '.join(quote.split())} [{n}]")
    return Answer(question=question, role=role, answer="\n".join(lines), grounded=True, citations=citations)


def locator(chunk: Chunk) -> str | None:
    """The section trail, with the sheet and row of a table record."""
    if chunk.row is None:
        return chunk.section
    where = f"{chunk.sheet} row {chunk.row}" if chunk.sheet else f"row {chunk.row}"
    if chunk.section and chunk.section != chunk.sheet:
        return f"{chunk.section} > {where}" if chunk.sheet else f"{chunk.section}, {where}"
    return where


def refusal(question: str, role: str, searched: list[Chunk]) -> Answer:
    """The plain 'no evidence' answer, naming the closest documents that were searched."""
    names = list(dict.fromkeys(chunk.source for chunk in searched))[:3]
    closest = f" The closest documents searched were: {', '.join(names)}." if names else ""
    text = (f"The documents available to the {role} role hold no evidence that answers this, "
            f"so I cannot answer it.{closest}")
    return Answer(question=question, role=role, answer=text, grounded=False, citations=[])
