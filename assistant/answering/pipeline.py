"""The question pipeline: candidates, then features, then the ranker, then the judge; the composer renders.

Its parts (the retrieval sources, the ranker, the judge, the vocabulary bridge) are handed to it
when it is built, so it imports nothing of `retrieval` and the façade only wires it. Each stage's
output stays on the `Evidence` it returns, so `aims eval --diagnose` can say where gold is lost.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

import numpy as np

from assistant.answering.candidates import (
    KEY_TERMS,
    POOL,
    STAGES,
    Candidate,
    Query,
    Sources,
    content_terms,
    gather,
    rarest_terms,
    split_parts,
)
from assistant.answering.features import Unit, answer_types, describe
from assistant.answering.followup import CONTEXT_TOKEN_WEIGHT, ThreadQuery
from assistant.answering.judge import TOPIC_WORDS, Judge, Verdict, permissive
from assistant.answering.ranker import prior
from assistant.answering.thesaurus import Thesaurus
from assistant.answering.values import asked_words

BRIDGE_WEIGHT = 0.35  # an expansion term's weight beside the question's own (its IDF times this)


@dataclass
class Evidence:
    """What the pipeline found for one question, stage by stage."""

    query: Query
    candidates: list[Candidate]
    units: list[Unit]  # ranked, best first
    verdict: Verdict
    missing: list[str] = field(default_factory=list)  # question words no top unit contains, rarest first
    discussed: bool = True  # a top unit holds one of the question's rarest topic words (`discusses`)
    chosen: int | None = None  # with an LLM: how many of the first units it chose as stating the answer
    llm_choice: str | None = None  # with an LLM: chose | none | unreadable | unavailable; None when not asked

    @property
    def searched(self):
        """The candidate chunks, in the order retrieval gave them."""
        return [c.chunk for c in self.candidates]


PART_WINDOW = 30  # a part's own best unit is looked for among this many of the best-ranked units


def cover_parts(units: list[Unit], parts: int) -> list[Unit]:
    """For a multi-part question, move each part's best unit up behind the overall best, so the answer
    quotes something for every part asked, not only for the part the ranking favours.

    A part's best unit is the one most similar to that part among the best-ranked units; the overall
    best stays first and the order is otherwise kept.
    """
    if parts < 2 or len(units) < 3:
        return units
    window = units[:PART_WINDOW]
    lifted: list[Unit] = [units[0]]
    for part in range(parts):
        best = max(window, key=lambda u: u.part_sims[part] if len(u.part_sims) > part else -1.0)
        if all(best is not u for u in lifted):
            best.for_part = True
            lifted.append(best)
    rest = [u for u in units if all(u is not x for x in lifted)]
    return lifted + rest


def thread_vector(vectors: np.ndarray, weights: list[float]) -> np.ndarray:
    """One vector for a thread's texts (the question first): their normalised weighted sum, the question's own
    vector when it stands alone. Both readings of a question, the plain and the tuned, are blended alike."""
    if len(vectors) == 1:
        return vectors[0]
    vector = sum(w * v for w, v in zip(weights, vectors))
    return (vector / max(float((vector @ vector) ** 0.5), 1e-12)).astype(vectors[0].dtype)


class Ranker(Protocol):
    """The ranking stage as the pipeline uses it: order the units best first, and the citation margin.

    `ranker.LinearRanker` is the fitted one; any object with these two members can stand in for it.
    """

    margin: float  # units within this of the best score join it in an answer

    def rank(self, units: list[Unit]) -> list[Unit]: ...


class QuestionPipeline:
    """Answers 'which sentences answer this question?' over the sources it is given."""

    def __init__(self, sources: Sources, ranker: Ranker | None = None, judge: Judge | None = None,
                 thesaurus: Thesaurus | None = None, pool: int = POOL, stages: frozenset[str] = STAGES) -> None:
        self.sources = sources
        self.pool = pool
        self.stages = stages
        self.ranker = ranker or prior()
        self.judge = judge or permissive()
        self.thesaurus = thesaurus

    def query(self, question: str, context: list[str] | None = None, vector: np.ndarray | None = None,
              thread: ThreadQuery | None = None, labels: list[str] | None = None,
              part_vectors: np.ndarray | None = None) -> Query:
        """What to search for a question (and a follow-up's context): vectors, parts, weighted terms.

        With `labels`, a word only documents outside them use counts as unknown, as if no document used it.
        `vector` and `part_vectors` are `question_vectors`' when the caller has them already.
        """
        thread = thread or ThreadQuery(question, list(context or []))
        parts = split_parts(question)
        if vector is None:
            vector, part_vectors = self.question_vectors(thread)
        elif part_vectors is None and len(parts) > 1:
            part_vectors = self.sources.encode(parts)
        if part_vectors is None or len(parts) == 1:
            part_vectors = vector[None, :]
        terms = list(dict.fromkeys(content_terms(self.sources.tokenize, question)))
        weights = self.sources.idf(terms, labels)
        unknown = [t for t in terms if t not in weights]
        if thread.context:
            replaced = {t for tokens in self.sources.tokenize(thread.replaced_names) for t in tokens}
            extra = [t for t in content_terms(self.sources.tokenize, " ".join(thread.context))
                     if t not in weights and t not in replaced]
            weights |= {t: w * CONTEXT_TOKEN_WEIGHT for t, w in self.sources.idf(extra, labels).items()}
        key_terms = rarest_terms(weights, KEY_TERMS)
        bridge: dict[str, float] = {}
        if self.thesaurus is not None:
            expansions = self.thesaurus.expand(question, vector, self.sources.tokenize)
            idf = self.sources.idf([t for t in expansions if t not in weights], labels)
            bridge = {t: idf[t] * BRIDGE_WEIGHT * s for t, s in expansions.items() if t in idf}
        asked = list(dict.fromkeys(t for tokens in self.sources.tokenize(asked_words(question)) for t in tokens))
        return Query(question, vector, parts, part_vectors, weights, thread.lexical, key_terms, bridge, unknown, asked,
                     tuned_vector=self.tuned_vector(thread))

    def tuned_vector(self, thread: ThreadQuery) -> np.ndarray | None:
        """The question as the tuned question model reads it, a follow-up's earlier questions weighed in as in
        `question_vectors` (alone, "And when is its next review?" is about any review); None when tuning is off."""
        tuned = self.sources.encode_tuned(list(thread.texts))
        return None if tuned is None else thread_vector(tuned, thread.weights)

    def question_vectors(self, thread: ThreadQuery) -> tuple[np.ndarray, np.ndarray]:
        """The question's vector (a follow-up's earlier questions weighed in with less weight) and one vector per
        part of a multi-part question (one row, the question's own, when it has one part), from one encoder call.

        Why one call: each call to the model costs a fixed few milliseconds beside the texts' own, and a
        multi-part question used to make two.
        """
        parts = split_parts(thread.question)
        texts = list(thread.texts) + (parts if len(parts) > 1 else [])
        vectors = self.sources.encode(texts)
        asked, part_vectors = vectors[: len(thread.texts)], vectors[len(thread.texts):]
        vector = thread_vector(asked, thread.weights)
        return vector, part_vectors if len(parts) > 1 else vector[None, :]

    def evidence(self, question: str, labels: list[str], context: list[str] | None = None,
                 vector: np.ndarray | None = None, thread: ThreadQuery | None = None,
                 part_vectors: np.ndarray | None = None) -> Evidence:
        """Every stage for one question among the labels a role may see (`thread`: the follow-up already built)."""
        query = self.query(question, context, vector, thread, labels, part_vectors)
        candidates = gather(query, self.sources, labels, self.pool, self.stages)
        types = answer_types(question) or (answer_types(" ".join(context)) if context else [])
        units = self.ranker.rank(describe(query, candidates, self.sources.tokenize, types))
        if "parts" in self.stages:
            units = cover_parts(units, len(query.part_texts))
        verdict = self.judge.verdict(units, query)
        return Evidence(query, candidates, units, verdict, self.missing_words(question, query, units[:3]),
                        discussed=discusses(query, units[:3]))

    def missing_words(self, question: str, query: Query, units: list[Unit]) -> list[str]:
        """The question's topic words (as asked) that none of the units contains, rarest first.

        The words naming what a "what / which X" question asks for come first ("Which subprocessors ...?":
        the detail not found), then words that no indexed document uses at all: the documents cannot state them.
        """
        found = set().union(*(u.tokens for u in units)) if units else set()
        words = [w.strip(".,;:!?\"'()") for w in question.split()]
        words = [w for w in dict.fromkeys(words) if w]
        stems = self.sources.tokenize(words)
        top = max(query.weights.values(), default=1.0) + 1.0
        missing: dict[str, float] = {}
        for word, stem in zip(words, stems):
            for token in stem:
                weight = top if token in query.unknown else query.weights.get(token)
                if weight is not None and token in query.asked:
                    weight = top + 1.0
                if weight is not None and token not in found and word not in missing:
                    missing[word] = weight
        return [w for w, _ in sorted(missing.items(), key=lambda kv: -kv[1])][:3]


def discusses(query: Query, units: list[Unit]) -> bool:
    """Whether the units hold one of the question's TOPIC_WORDS rarest topic words (words no document uses first).

    Why: a partial answer says the documents discuss the question only when its closest quotes share its
    most specific words; "What is the parking policy for visitors?" answered by quotes that share only
    "policy" is not discussed, and saying so would be a claim no quote supports.
    """
    rarest = set((list(query.unknown) + rarest_terms(query.weights, TOPIC_WORDS))[:TOPIC_WORDS])
    if not rarest or not units:
        return bool(units)
    return bool(rarest & set().union(*(u.tokens for u in units)))
