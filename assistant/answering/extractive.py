"""The extractive answerer: choose the sentences that answer, quote them verbatim, cite each one.

Nothing is stated that is not a quote or a fixed connective phrase. When no sentence is close
enough to the question, the answer says the documents hold no evidence and names what was searched.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from assistant.core.models import Answer, Chunk, Citation
from assistant.core.text import sentence_spans

# Text in a document that tries to instruct the reader (or a model) is data, never an answer.
_INJECTION = re.compile(
    r"\b(ignore|disregard|forget)\b.{0,40}\b(previous|prior|above|all)\b.{0,30}\b(instructions?|rules|prompts?)\b"
    r"|\byou are now\b|\bsystem prompt\b|\bnew instructions?\b",
    re.IGNORECASE,
)
_WORD = re.compile(r"[a-z0-9]+(?:\.[0-9]+)*")
_STOP = frozenset(
    "a an and are as at be by can could do does for from has have how i if in is it its may me my of on or our "
    "should so that the their them there these this to was we what when where which who whom why will with "
    "would you your am been being did shall must not no any all".split()
)


@dataclass
class Candidate:
    """A sentence of a retrieved chunk, with where it sits."""

    chunk: Chunk
    start: int
    end: int
    rank: int

    @property
    def text(self) -> str:
        """The sentence, verbatim."""
        return self.chunk.text[self.start : self.end]


def content_words(text: str) -> set[str]:
    """Lower-cased words minus stop words, crudely singularised: the lexical evidence of a match."""
    words = set()
    for word in _WORD.findall(text.lower()):
        if word in _STOP:
            continue
        words.add(word[:-1] if len(word) > 4 and word.endswith("s") and not word.endswith("ss") else word)
    return words


def candidates(chunks: list[Chunk]) -> list[Candidate]:
    """The quotable sentences of the chunks: table rows whole, prose split at sentence ends."""
    found: list[Candidate] = []
    for rank, chunk in enumerate(chunks):
        if chunk.row is not None:
            found.append(Candidate(chunk, 0, min(len(chunk.text), _row_end(chunk.text)), rank))
            continue
        for start, end in sentence_spans(chunk.text):
            sentence = chunk.text[start:end]
            if len(sentence.split()) < 4 or _INJECTION.search(sentence):
                continue
            found.append(Candidate(chunk, start, end, rank))
    return found


def _row_end(text: str, limit: int = 600) -> int:
    """Quote a table row whole, or its first lines up to `limit` characters."""
    if len(text) <= limit:
        return len(text)
    cut = text.rfind("\n", 0, limit)
    return cut if cut > 0 else limit


def compose(question: str, role: str, chunks: list[Chunk], embed: Callable[[list[str]], np.ndarray],
            k: int, min_similarity: float) -> Answer:
    """An answer of up to k quoted sentences, most relevant first, or a refusal."""
    pool = candidates(chunks)
    if not pool:
        return refusal(question, role, chunks)
    vectors = embed([question] + [c.text for c in pool])
    sims = vectors[1:] @ vectors[0]
    q_words = content_words(question)
    scores = []
    for cand, sim in zip(pool, sims):
        overlap = len(q_words & content_words(cand.text)) / max(1, len(q_words))
        scores.append(float(sim) + 0.25 * overlap - 0.01 * cand.rank)
    order = np.argsort(scores)[::-1]
    best = scores[order[0]]
    if float(sims[order[0]]) < min_similarity and best < min_similarity + 0.1:
        return refusal(question, role, chunks)
    chosen: list[tuple[Candidate, float]] = []
    for index in order:
        cand, score = pool[index], scores[index]
        if len(chosen) >= k or score < best - 0.2:
            break
        if any(_similar(cand.text, other.text) for other, _ in chosen):
            continue
        chosen.append((cand, score))
    return _render(question, role, chosen)


def _similar(a: str, b: str) -> bool:
    wa, wb = content_words(a), content_words(b)
    return bool(wa and wb) and len(wa & wb) / len(wa | wb) > 0.7


def _render(question: str, role: str, chosen: list[tuple[Candidate, float]]) -> Answer:
    citations = []
    lines = []
    for n, (cand, score) in enumerate(chosen, start=1):
        chunk = cand.chunk
        section = chunk.section
        if chunk.row is not None:
            where = f"{chunk.sheet} row {chunk.row}" if chunk.sheet else f"row {chunk.row}"
            section = f"{section} > {where}" if section and (chunk.sheet or "") not in section else (section or where)
        quote = cand.text
        citations.append(Citation(n=n, source=chunk.source, page=chunk.page, section=section, quote=quote,
                                  score=round(score, 4)))
        lines.append(f"{' '.join(quote.split())} [{n}]")
    return Answer(question=question, role=role, answer="\n".join(lines), grounded=True, citations=citations)


def refusal(question: str, role: str, chunks: list[Chunk]) -> Answer:
    """The plain 'no evidence' answer, naming the closest documents that were searched."""
    names = list(dict.fromkeys(chunk.source for chunk in chunks))[:3]
    searched = f" The closest documents searched were: {', '.join(names)}." if names else ""
    text = f"I could not find evidence in the documents available to the {role} role that answers this.{searched}"
    return Answer(question=question, role=role, answer=text, grounded=False, citations=[])
