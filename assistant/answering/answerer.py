"""From a question in a thread to an answer: the pipeline's evidence, then the extractive or verified LLM answer.

Every part it reads (the question pipeline over the index's sources, the chat model, the prompts,
the encoder) is handed to it when it is built, so it imports nothing of `retrieval` or the façade.
One `ThreadQuery` is built per question and passed all the way down; the refusal rule is the
judge's verdict (`Judge.verdict`), read here and nowhere restated.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from assistant.answering.extractive import compose, refusal
from assistant.answering.followup import ThreadQuery, thread_query
from assistant.answering.pipeline import Evidence, QuestionPipeline
from assistant.answering.verify import evidence_block, passages_for_llm, render_prompt, to_answer, verify
from assistant.core.models import Answer, LLMUnavailable


class Answerer:
    """Answers questions over one index with the parts it is given."""

    def __init__(self, pipeline: QuestionPipeline, *, top_k: int, llm_passages: int,
                 chat_model: Callable[[], object | None], prompt: Callable[[str], str],
                 encode: Callable[[list[str]], np.ndarray]) -> None:
        self.pipeline = pipeline
        self.top_k = top_k
        self.llm_passages = llm_passages
        self._chat_model = chat_model  # built on first use: a refused question never builds an LLM client
        self.prompt = prompt
        self.encode = encode
        self._last_query: tuple[tuple[str, tuple[str, ...]], np.ndarray] | None = None

    def thread(self, question: str, history: list[str] | None = None) -> ThreadQuery:
        """The question (whitespace normalised) with the earlier questions it leans on."""
        return thread_query(question, history)

    def query_vector(self, thread: ThreadQuery) -> np.ndarray:
        """The question's vector (with a follow-up's context weighed in), remembered for the last question.

        Retrieval and related controls share it.
        """
        key = (thread.question, tuple(thread.context))
        last = self._last_query
        if last is None or last[0] != key:
            last = (key, self.pipeline.thread_vector(thread))
            self._last_query = last
        return last[1]

    def evidence(self, thread: ThreadQuery, labels: list[str]) -> Evidence:
        """Every stage of the question pipeline for a question among the allowed labels.

        A follow-up's context joins the search: in the query vector and BM25 query with less weight
        than the question, and in the words an answer should contain at half weight. The role's
        labels filter every search inside the query.
        """
        return self.pipeline.evidence(thread.question, labels, thread.context, vector=self.query_vector(thread),
                                      thread=thread)

    def answer(self, thread: ThreadQuery, role: str, labels: list[str], k: int | None = None,
               on_token=None) -> tuple[Answer, Evidence]:
        """The answer (answered, partial or none, as the judge rules) and the evidence it was made from."""
        found = self.evidence(thread, labels)
        status = found.verdict.status
        answer = compose(thread.question, role, found.units, k or self.top_k, found.searched, status=status,
                         missing=found.missing, margin=self.pipeline.ranker.margin,
                         missing_values=found.verdict.missing_values)
        if status == "answered" and self.chat_model is not None:
            answer = self.generate(thread.question, role, found.units, answer, on_token, asked=thread.prompt_question)
        return answer, found

    def empty(self, question: str, role: str) -> Answer:
        """The answer when the index holds nothing: no evidence, nothing searched."""
        return refusal(question, role, [])

    @property
    def chat_model(self):
        """The configured LLM, or None (the default: answers are extractive)."""
        if "_built_chat_model" not in self.__dict__:
            self.__dict__["_built_chat_model"] = self._chat_model()
        return self.__dict__["_built_chat_model"]

    def generate(self, question: str, role: str, scored, extractive: Answer, on_token,
                 asked: str | None = None) -> Answer:
        """The LLM's prose over the best passages, kept only where the citation verifier supports it."""
        chunks = passages_for_llm(scored, self.llm_passages)
        user = render_prompt(self.prompt("answer_user"), question=asked or question, role=role,
                             evidence=evidence_block(chunks))
        pieces = []
        try:
            for piece in self.chat_model.stream(self.prompt("answer_system"), user):
                pieces.append(piece)
                if on_token is not None:
                    on_token(piece)
        except LLMUnavailable as exc:
            extractive.notes.append(f"LLM not used ({exc}); extractive answer")
            return extractive
        verdict, quotes = verify("".join(pieces), chunks, self.encode)
        notes = [f"dropped unsupported sentence: {s!r} ({why})" for s, why in verdict.dropped]
        notes += [f"stripped invented citation [{k}]" for k in verdict.invented_keys]
        if not verdict.kept:
            extractive.notes.extend(notes + ["nothing the LLM wrote was supported; extractive answer"])
            return extractive
        answer = to_answer(question, role, verdict, quotes, chunks)
        answer.notes.extend(notes)
        return answer
