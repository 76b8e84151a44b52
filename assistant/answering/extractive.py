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

from assistant.core.chunks import quote_spans
from assistant.core.models import Answer, Chunk, Citation

# Text in a document that tries to instruct the reader (or a model) is data, never an answer.
INJECTION = re.compile(
    r"\b(ignore|disregard|forget|override)\b.{0,40}\b(previous|prior|above|all|your|earlier)\b.{0,30}"
    r"\b(instructions?|rules|prompts?|guidelines)\b|\byou are now\b|\bsystem prompt\b|\bnew instructions?\b",
    re.IGNORECASE,
)
QUESTION_WORDS = frozenset(
    "what who when where which how why whom whose can could may might should must do doe did is are was were "
    "will would shall have has had ani tell explain pleas know need want allow".split()
)

# Weights of the sentence score; the refusal threshold is calibrated on held-out questions.
W_SENTENCE, W_CHUNK, W_COVERAGE, W_RANK = 0.45, 0.20, 0.35, 0.01


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
    tokenize: Callable[[list[str]], list[list[str]]],
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
        chunk_sim = float(passage.vector @ query_vector)
        cover = coverage(question_weights, tokens)
        score = W_SENTENCE * semantic + W_CHUNK * chunk_sim + W_COVERAGE * cover - W_RANK * passage.rank
        scored.append(Scored(passage, start, end, semantic, chunk_sim, cover, score))
    scored.sort(key=lambda s: s.score, reverse=True)
    return scored


def evidence_strength(best: Scored) -> float:
    """How well the best unit answers: meaning and coverage of the question's rarer words, together."""
    return 0.5 * best.semantic + 0.5 * best.coverage


def compose(question: str, role: str, scored: list[Scored], k: int, threshold: float,
            searched: list[Chunk]) -> Answer:
    """An answer of up to k quoted sentences, most relevant first, or a refusal below the threshold."""
    if not scored or evidence_strength(scored[0]) < threshold:
        return refusal(question, role, searched)
    best = scored[0].score
    chosen: list[Scored] = []
    for unit in scored:
        if len(chosen) >= k or unit.score < best - 0.12:
            break
        if any(_overlaps(unit, other) or _similar(unit.text, other.text) for other in chosen):
            continue
        chosen.append(unit)
    return _render(question, role, chosen)


def _overlaps(a: Scored, b: Scored) -> bool:
    return a.passage.chunk.id == b.passage.chunk.id and a.start < b.end and b.start < a.end


def _words(text: str) -> set[str]:
    return set(re.findall(r"[a-z0-9]+", text.lower()))


def _similar(a: str, b: str) -> bool:
    wa, wb = _words(a), _words(b)
    return bool(wa and wb) and len(wa & wb) / len(wa | wb) > 0.7


def _render(question: str, role: str, chosen: list[Scored]) -> Answer:
    citations = []
    lines = []
    for n, unit in enumerate(chosen, start=1):
        chunk = unit.passage.chunk
        citations.append(Citation(n=n, source=chunk.source, page=chunk.page, section=locator(chunk), quote=unit.text,
                                  score=round(unit.score, 4)))
        lines.append(f"{' '.join(unit.text.split())} [{n}]")
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
