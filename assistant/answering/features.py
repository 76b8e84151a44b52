"""Stage 2 of answering: every quotable unit of the candidates, described by explicit features.

The ranker (stage 3) weighs these; nothing here decides. Features cover meaning (sentence and chunk
similarity to the question, to its parts, and to the question as the tuned question model reads it),
words (BM25 of the chunk, IDF-weighted coverage of the question's terms and of its rarest terms, in the
sentence and in its headings), retrieval (fused rank, how many lists held the chunk, its section's
score), the kind of answer asked for, and shape (position, length, a list lead-in, a table row).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from assistant.answering.candidates import Candidate, Query, rarest_terms
from assistant.answering.values import DATE, DURATION
from assistant.core.chunks import quote_spans
from assistant.core.text import INJECTION, is_furniture

FEATURES = (
    "sentence_sim", "part_sim", "neighbour_sim", "chunk_best_sim", "chunk_sim", "coverage", "text_coverage",
    "rare_coverage", "heading_match", "bridge_coverage", "answer_type", "fused", "fused_rank", "lists", "bm25",
    "dense_rank", "section", "expanded", "under_heading", "first_in_chunk", "length", "fragment", "table_row",
    "tuned_sim",
)

# What a question asks for, and how a sentence that supplies it looks: a generic answer-type check.
ANSWER_TYPES: dict[str, tuple[re.Pattern, re.Pattern]] = {
    "time": (
        re.compile(r"\b(when|what date|which date|deadline|how long|how quickly|how soon|how fast|how often|"
                   r"frequency|by when|what time|within what)\b", re.I),
        # one definition of a date and of a length of time, shared with the judge's value check
        re.compile(rf"{DATE.pattern}|(?i:{DURATION.pattern})"),
    ),
    "number": (
        re.compile(r"\b(how much|how many|what percentage|what share|what proportion|what score|what ratio|"
                   r"what threshold|cut-?off|budget|cost|price|amount|number of|what level|what rate|minimum|"
                   r"maximum)\b", re.I),
        re.compile(r"(£\s?\d|€\s?\d|\$\s?\d|\d+(\.\d+)?\s?%|\b\d[\d,.]*\b)"),
    ),
    "person": (
        re.compile(r"\b(who|whom|whose|which person|which role|which team|which committee)\b", re.I),
        # a name as written (two capitalised words), or a role word in any case: a statute set in capitals
        # ("THE ATTORNEY GENERAL", "A DEPLOYER SHALL") names its roles too
        re.compile(r"\b([A-Z][a-z]+ [A-Z][a-z]+|Dr [A-Z][a-z]+)\b|(?i:\b(chief|head|director|manager|officer|"
                   r"committee|board|chair|owner|CEO|counsel|secretary|team|authority|provider|deployer)\b)"),
    ),
    "policy": (
        # asked at the start of any of its sentences ("We're hiring. Can I ...?"), or as an obligation
        re.compile(r"(?:^|[.?!:]\s+)(can|may|could|am i|are we|is it|is that|do i|do we|should i|must i|have i)\b|"
                   r"\b(allowed|permitted|ok to|okay to|is it ok|am i allowed|banned|legal|have to|has to|need to|"
                   r"needs to|required to|obliged to)\b", re.I),
        # a rule stated as a rule: an instruction ("Do not ...", "Use ..."), an obligation or a ban; a
        # sentence that merely mentions what is "approved" or what someone "may" do is not one
        re.compile(r"^\s*(?:[-•*]\s*)?(?:do not|don't|never|always|only|you must|you may|you can|you should|use|ask|"
                   r"tell|report|check|make sure|ensure)\b|\b(?:must|must not|shall|shall not|may not|may only|"
                   r"cannot|can't|do not|don't|(?:is|are) not (?:allowed|permitted)|(?:is|are) (?:allowed|permitted|"
                   r"forbidden|prohibited|banned)|forbidden|prohibited|requires?|required)\b", re.I),
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


def states_nothing(text: str) -> bool:
    """A span that cannot state an answer on its own: a list's lead-in ("It covers:"), a question (a
    document's FAQ entry, "Pasted customer data by mistake?"), or under six words (the `fragment` feature)."""
    return text.rstrip().endswith((":", "?")) or len(text.split()) < 6


@dataclass
class Unit:
    """One quotable span of a candidate chunk, with its feature vector (in the order of FEATURES)."""

    candidate: Candidate
    start: int
    end: int
    features: np.ndarray
    tokens: frozenset[str]  # stemmed words of the span and its headings
    score: float = 0.0  # set by the ranker
    part_sims: tuple[float, ...] = ()  # similarity to each part of a multi-part question
    for_part: bool = False  # moved up as the best unit for one part of a multi-part question

    @property
    def text(self) -> str:
        """The quoted words, verbatim from the source."""
        return self.candidate.chunk.text[self.start : self.end]

    @property
    def passage(self) -> Candidate:
        """The candidate chunk the unit is quoted from (its `.chunk` is the Chunk)."""
        return self.candidate

    def overlaps(self, other: Unit) -> bool:
        """Whether the two units share characters of one passage (quoting both would repeat words)."""
        return (self.candidate.chunk.id == other.candidate.chunk.id and self.start < other.end
                and other.start < self.end)


def coverage(weights: dict[str, float], tokens: set[str] | frozenset[str]) -> float:
    """Share of the weighted terms that the tokens contain."""
    total = sum(weights.values())
    return sum(w for t, w in weights.items() if t in tokens) / total if total > 0 else 0.0


def describe(query: Query, candidates: list[Candidate], tokenize, types: list[str]) -> list[Unit]:
    """The quotable units of every candidate with their features; embedded instructions are never units."""
    spans: list[tuple[Candidate, int, int, np.ndarray]] = []
    for candidate in candidates:
        chunk_spans = quote_spans(candidate.chunk)
        vectors = candidate.sentence_vectors
        if len(vectors) != len(chunk_spans):  # vectors from an older chunking: fall back to the chunk's
            vectors = np.repeat(candidate.vector[None, :], len(chunk_spans), axis=0)
        for (start, end), vector in zip(chunk_spans, vectors):
            span = candidate.chunk.text[start:end]
            if INJECTION.search(span) or is_furniture(span):
                continue  # an instruction is data, furniture (a torn table, an enacting formula) no statement
            spans.append((candidate, start, end, vector))
    if not spans:
        return []
    texts = [c.chunk.text[s:e] for c, s, e, _ in spans]
    headings = [f"{c.chunk.title} {c.chunk.section or ''} {c.chunk.sheet or ''}" for c, _, _, _ in spans]
    text_tokens = tokenize(texts)
    distinct = list(dict.fromkeys(headings))  # a chunk's units share its heading: tokenize each heading once
    by_heading = dict(zip(distinct, tokenize(distinct)))
    heading_tokens = [by_heading[heading] for heading in headings]
    sentence_matrix = np.stack([v for _, _, _, v in spans]).astype(np.float32)
    sentence_sim = sentence_matrix @ query.vector
    # the tuned question model's similarity (retrieval/question_tuning.py); the plain one where tuning is off
    tuned_sim = sentence_matrix @ query.tuned_vector if query.tuned_vector is not None else sentence_sim
    per_part = sentence_matrix @ query.part_vectors.T if len(query.part_texts) > 1 else sentence_sim[:, None]
    part_sim = per_part.max(axis=1)
    rare = {term: query.weights[term] for term in rarest_terms(query.weights, 3)}
    fused_top = max((c.fused for c in candidates), default=1.0) or 1.0
    neighbour = np.zeros(len(spans), dtype=np.float32)  # the better of the units just before and after
    chunk_best: dict[str, float] = {}
    for index, (candidate, _, _, _) in enumerate(spans):
        cid = candidate.chunk.id
        chunk_best[cid] = max(chunk_best.get(cid, -1.0), float(sentence_sim[index]))
        for other in (index - 1, index + 1):
            if 0 <= other < len(spans) and spans[other][0].chunk.id == cid:
                neighbour[index] = max(neighbour[index], float(sentence_sim[other]))
    units = []
    first_seen: set[str] = set()
    for index, (candidate, start, end, _) in enumerate(spans):
        in_text = set(text_tokens[index])
        in_heading = set(heading_tokens[index])
        both = frozenset(in_text | in_heading)
        first = candidate.chunk.id not in first_seen
        first_seen.add(candidate.chunk.id)
        words = len(texts[index].split())
        row = [
            float(sentence_sim[index]),
            float(part_sim[index]),
            float(neighbour[index]),
            chunk_best[candidate.chunk.id],
            float(candidate.vector @ query.vector),  # every candidate has its vector by now
            coverage(query.weights, both),
            coverage(query.weights, in_text),
            coverage(rare, both),
            coverage(query.weights, in_heading),
            coverage(query.bridge_terms, both) if query.bridge_terms else 0.0,
            type_match(types, texts[index]),
            candidate.fused / fused_top,
            1.0 / (1.0 + candidate.rank),
            min(candidate.lists, 6) / 6.0,
            candidate.bm25,
            1.0 / (1.0 + candidate.dense_rank) if candidate.dense_rank is not None else 0.0,
            candidate.section,
            float(candidate.expanded),
            float(bool(candidate.chunk.section or candidate.chunk.sheet)),
            float(first),
            min(words, 60) / 60.0,
            float(states_nothing(texts[index])),
            float(candidate.chunk.row is not None),
            float(tuned_sim[index]),
        ]
        units.append(Unit(candidate, start, end, np.asarray(row, dtype=np.float32), both,
                          part_sims=tuple(float(v) for v in per_part[index])))
    return units
