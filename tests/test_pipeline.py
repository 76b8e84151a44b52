"""The question pipeline and the Answerer as units: in-memory sources, a fake embedder, a stand-in ranker.

No model, Chroma or BM25: the pipeline reads only what its `Sources` give it, and the ranker is
anything with `rank` and `margin`, so each stage can be exercised (and swapped) on its own.
"""

from __future__ import annotations

import math
import re
import zlib

import numpy as np
import pytest

from assistant.answering.answerer import Answerer
from assistant.answering.followup import ThreadQuery
from assistant.answering.judge import Verdict, permissive
from assistant.answering.pipeline import QuestionPipeline, Ranker
from assistant.answering.ranker import prior
from assistant.core.chunks import make_chunks
from assistant.core.models import Chunk, Label
from assistant.retrieval.parsing import parse_bytes

POLICY = b"""---
title: AI Policy
---
# AI Policy

## Approval

The Board approves this policy every year in March. The Chief Risk Officer keeps the policy register.

## Suppliers

Procurement reassesses every AI supplier once a year against the due diligence checklist.

## Incidents

Staff report an AI incident to the service desk within one working day.
"""


class FakeEmbedder:
    """Hashed bag of words: texts that share words have similar vectors; counts its calls."""

    dim = 256

    def __init__(self) -> None:
        self.calls = 0

    def encode(self, texts: list[str]) -> np.ndarray:
        self.calls += 1
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for row, text in enumerate(texts):
            for word in _words(text):
                out[row, zlib.crc32(word.encode()) % self.dim] += 1.0
            norm = float(np.linalg.norm(out[row]))
            if norm:
                out[row] /= norm
        return out


def _words(text: str) -> list[str]:
    return [w for w in re.findall(r"[a-z]+", text.lower()) if len(w) > 2]


class MemorySources:
    """The `Sources` a pipeline reads, over a few chunks held in memory."""

    def __init__(self, chunks: list[Chunk], embedder: FakeEmbedder) -> None:
        self.by_id = {c.id: c for c in chunks}
        self.embedder = embedder
        self.vectors_of = dict(zip([c.id for c in chunks], embedder.encode([c.embed_text for c in chunks])))

    def dense(self, vector, k, labels):
        scored = [(cid, float(v @ vector)) for cid, v in self.vectors_of.items()
                  if self.by_id[cid].label.value in labels]
        return sorted(scored, key=lambda item: -item[1])[:k]

    def lexical(self, query, k, labels):
        wanted = set(_words(query))
        scored = [(c.id, float(len(wanted & set(_words(c.text))))) for c in self.by_id.values()
                  if c.label.value in labels]
        return sorted([s for s in scored if s[1] > 0], key=lambda item: -item[1])[:k]

    def chunks(self, ids):
        return {i: self.by_id[i] for i in ids if i in self.by_id}

    def section_chunks(self, chunk):
        return [c for c in self.by_id.values() if c.section == chunk.section]

    def vectors(self, chunks):
        return {c.chunk_hash: (self.vectors_of[c.id], np.zeros((0, FakeEmbedder.dim), np.float32)) for c in chunks}

    def encode(self, texts):
        return self.embedder.encode(texts)

    def encode_tuned(self, texts):
        return None

    def tokenize(self, texts):
        return [_words(t) for t in texts]

    def idf(self, tokens, labels=None):
        docs = [set(_words(c.text)) for c in self.by_id.values()]
        seen = [set(_words(c.text)) for c in self.by_id.values() if labels is None or c.label.value in labels]
        return {t: math.log(1 + len(docs) / n) for t in tokens
                if (n := sum(t in d for d in docs)) and any(t in d for d in seen)}


@pytest.fixture()
def sources() -> MemorySources:
    doc = parse_bytes(POLICY, "ai-policy.md")
    chunks = make_chunks(doc, root="/corpus", source="ai-policy.md", doc_hash="0" * 64, label=Label.PUBLIC,
                         target_words=40)
    return MemorySources(chunks, FakeEmbedder())


class ReversingRanker:
    """A stand-in ranker: the prior's order, reversed; records that it was asked."""

    margin = 0.25

    def __init__(self) -> None:
        self.calls = 0

    def rank(self, units):
        self.calls += 1
        ranked = prior().rank(units)
        for n, unit in enumerate(reversed(ranked)):
            unit.score = float(len(ranked) - n)
        return list(reversed(ranked))


def test_the_pipeline_finds_the_sentence_that_answers(sources):
    pipeline = QuestionPipeline(sources, prior(), permissive())
    found = pipeline.evidence("Who approves the AI policy?", ["public", "internal"])
    assert found.verdict.status == "answered"
    assert "Board approves" in found.units[0].text
    assert {c.chunk.source for c in found.candidates} == {"ai-policy.md"}


def test_the_role_filter_applies_inside_the_search(sources):
    found = QuestionPipeline(sources).evidence("Who approves the AI policy?", ["confidential"])
    assert found.candidates == [] and found.units == [] and found.verdict.status == "none"


def test_the_ranker_is_anything_with_rank_and_margin(sources):
    ranker: Ranker = ReversingRanker()
    expected = QuestionPipeline(sources, prior()).evidence("Who approves the AI policy?", ["public"]).units
    found = QuestionPipeline(sources, ranker).evidence("Who approves the AI policy?", ["public"])
    assert ranker.calls == 1
    assert [(u.candidate.chunk.id, u.start) for u in found.units] == \
        [(u.candidate.chunk.id, u.start) for u in reversed(expected)]


def _answerer(sources, judge=None) -> Answerer:
    pipeline = QuestionPipeline(sources, prior(), judge or permissive())
    return Answerer(pipeline, top_k=4, llm_passages=4, chat_model=lambda: None, prompt=lambda name: "",
                    encode=sources.encode)


def test_the_answerer_quotes_and_cites(sources):
    answerer = _answerer(sources)
    answer, found = answerer.answer(answerer.thread("Who approves the AI policy?"), "staff", ["public"])
    assert answer.status == "answered" and answer.grounded
    assert answer.citations[0].source == "ai-policy.md" and "Board approves" in answer.citations[0].quote
    assert found.verdict.status == "answered"


class RefusingJudge:
    """A stand-in judge: every question has no evidence."""

    def verdict(self, units, query):
        return Verdict("none", 0.0)


def test_the_judge_alone_decides_a_refusal(sources):
    answerer = _answerer(sources, RefusingJudge())
    answer, found = answerer.answer(answerer.thread("Who approves the AI policy?"), "staff", ["public"])
    assert found.units and "Board approves" in found.units[0].text  # the evidence was there
    assert answer.status == "none" and not answer.grounded and answer.citations == []
    assert "ai-policy.md" in answer.answer  # the closest documents searched are named


def test_evidence_holding_a_rarer_word_asked_about_is_shown_as_partial_not_none(sources):
    judge = permissive()
    judge.answered = judge.related = 2.0  # no probability reaches it: the model alone says `none`
    answerer = _answerer(sources, judge)
    # the words asked about are spread over three sections: each quote holds one of the rarer ones
    answer, _ = answerer.answer(answerer.thread("Does procurement report incidents to the Board?"), "staff",
                                ["public"])
    assert answer.status == "partial" and not answer.grounded and answer.citations
    assert answer.answer.startswith("The documents available to the staff role discuss this, but")
    answer, _ = answerer.answer(answerer.thread("Who approves the AI policy?"), "staff", ["public"])
    assert answer.status == "partial" and not answer.grounded and answer.citations


def test_a_partial_answer_says_the_documents_discuss_it_only_when_its_quotes_share_the_rarest_words(sources):
    """Quotes that share only a common word ("policy") with a question about parking do not discuss it:
    the lead names what they do not mention instead of claiming what no quote supports."""
    judge = permissive()
    judge.answered, judge.related = 2.0, 0.0  # every answer with evidence is partial
    answerer = _answerer(sources, judge)
    answer, found = answerer.answer(answerer.thread("What is the parking policy for visitors?"), "staff", ["public"])
    assert answer.status == "partial" and answer.citations and not found.discussed
    assert answer.answer.startswith("The closest passages in the documents available to the staff role do not "
                                    "mention 'parking' or 'visitors'. They are quoted below; they do not answer the "
                                    "question as asked.")
    assert "discuss" not in answer.answer
    answer, found = answerer.answer(answerer.thread("Does procurement report incidents to the Board?"), "staff",
                                    ["public"])
    assert found.discussed and answer.answer.startswith("The documents available to the staff role discuss this")


def test_one_thread_is_passed_down_and_its_vector_is_remembered(sources):
    answerer = _answerer(sources)
    thread = answerer.thread("and who keeps its register?", ["Who approves the AI policy?"])
    assert thread == ThreadQuery("and who keeps its register?", ["Who approves the AI policy?"])
    before = sources.embedder.calls
    first = answerer.query_vector(thread)
    again = answerer.query_vector(ThreadQuery(thread.question, list(thread.context)))
    assert again is first and sources.embedder.calls == before + 1
    answer, found = answerer.answer(thread, "staff", ["public"])
    assert found.query.lexical_text == thread.lexical  # the follow-up's context reached the BM25 query
    assert any("register" in c.quote for c in answer.citations)


def test_the_words_a_partial_answer_says_are_missing_are_topics_not_how_it_asks(sources):
    pipeline = QuestionPipeline(sources, prior(), permissive())
    found = pipeline.evidence("How many auditors does procurement employ?", ["public"])
    assert "auditors" in found.missing and "many" not in found.missing


def test_a_partial_answer_names_first_the_thing_a_question_asked_for(sources):
    """"Which insurer ...?" asks for an insurer: that is the detail not found, ahead of the question's rarer words."""
    pipeline = QuestionPipeline(sources, prior(), permissive())
    found = pipeline.evidence("For quantum suppliers, which insurer covers procurement?", ["public"])
    assert found.query.asked and found.missing[0] == "insurer"


@pytest.mark.parametrize("question", ["How long do we keep chat transcripts?",
                                      "How soon and how often are chat transcripts checked?",
                                      "How much do chat transcripts cost, and how many are kept?",
                                      "We're still keeping chat transcripts: you'll tell me how long?"])
def test_the_words_of_asking_for_an_amount_or_a_time_are_no_topic(sources, question):
    """"long" in "how long" is rare in policies, so as a topic word it would outweigh what is asked about."""
    pipeline = QuestionPipeline(sources, prior(), permissive())
    query = pipeline.query(question)
    topics = set(query.weights) | set(query.unknown)
    assert {"long", "soon", "often", "much", "mani", "many", "still", "re", "ll"}.isdisjoint(topics)
    assert {"chat", "transcripts"} <= topics or {"chat", "transcript"} <= topics


def test_each_tokenizer_gets_its_own_common_words():
    """The stop words are stemmed by the tokenizer in use: the first one used in a process must not decide for
    the next (a BM25 tokenizer turns "many" into "mani" and drops "and"; a plain word splitter keeps both)."""
    from assistant.answering.candidates import common_stems
    from assistant.retrieval.lexical import tokenize

    def plain(texts):
        return [_words(t) for t in texts]

    stemmed = common_stems(tokenize)
    assert "mani" in stemmed and "many" not in stemmed
    assert {"many", "and", "long"} <= common_stems(plain)
    assert common_stems(tokenize) is stemmed


def test_contraction_tails_and_fillers_are_no_topic_words_to_the_bm25_tokenizer():
    from assistant.answering.candidates import content_terms
    from assistant.retrieval.lexical import tokenize

    terms = content_terms(tokenize, "We're still unsure: how long will you keep the chat transcripts, and they'll say?")
    assert set(terms) == {"unsur", "keep", "chat", "transcript"}


def test_a_torn_table_layout_is_never_a_unit_to_quote():
    torn = POLICY + b"""
## Figure 3

| Al Mode    | /erify and  Validate   | TEVV include model testing | incident report   |
"""
    doc = parse_bytes(torn, "ai-policy.md")
    chunks = make_chunks(doc, root="/corpus", source="ai-policy.md", doc_hash="0" * 64, label=Label.PUBLIC,
                         target_words=40)
    pipeline = QuestionPipeline(MemorySources(chunks, FakeEmbedder()))
    evidence = pipeline.evidence("How do staff report an AI incident?", ["public"])
    assert evidence.units and not any("|" in unit.text for unit in evidence.units)
    assert any("| Al Mode" in c.chunk.text for c in evidence.candidates)  # found, only never quoted
