"""From a question in a thread to an answer: the pipeline's evidence, then the extractive or verified LLM answer.

Every part it reads (the question pipeline over the index's sources, the chat model, the prompts,
the encoder) is handed to it when it is built, so it imports nothing of `retrieval` or the façade.
One `ThreadQuery` is built per question and passed all the way down; the refusal rule is the
judge's verdict (`Judge.verdict`), read here and nowhere restated.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import numpy as np

from assistant.answering.choice import apply_choice, parse_choice, read_reply, sentences_block, shown_units
from assistant.answering.extractive import compose, refusal
from assistant.answering.followup import ThreadQuery, thread_query
from assistant.answering.pipeline import Evidence, QuestionPipeline
from assistant.answering.verify import evidence_block, passages_for_llm, render_prompt, to_answer, verify
from assistant.core.models import Answer, LLMUnavailable

UNREADABLE_CHOICE = "the LLM's choice of evidence could not be read"  # how the note on such a reply begins
LLM_UNUSED = "LLM not used"  # how the note on an unreachable LLM begins


class Answerer:
    """Answers questions over one index with the parts it is given."""

    def __init__(self, pipeline: QuestionPipeline, *, top_k: int, llm_passages: int,
                 chat_model: Callable[[], object | None], prompt: Callable[[str], str],
                 encode: Callable[[list[str]], np.ndarray], choose_evidence: bool = True,
                 choice_sentences: int = 8, context: int = 0, prose: bool = True) -> None:
        self.pipeline = pipeline
        self.top_k = top_k
        self.llm_passages = llm_passages
        self.choose_evidence = choose_evidence  # with an LLM: it chooses which of the best sentences answer
        self.choice_sentences = choice_sentences
        self.prose = prose  # with an LLM: it also rewrites an answered question's quotes as checked prose
        self.context = context  # sentences either side of the best quote, quoted with it
        self._chat_model = chat_model  # built on first use: a refused question never builds an LLM client
        self.prompt = prompt
        self.encode = encode
        self._last_query: tuple[tuple[str, tuple[str, ...]], tuple[np.ndarray, np.ndarray]] | None = None

    def thread(self, question: str, history: list[str] | None = None) -> ThreadQuery:
        """The question (whitespace normalised) with the earlier questions it leans on."""
        return thread_query(question, history)

    def query_vector(self, thread: ThreadQuery) -> np.ndarray:
        """The question's vector (with a follow-up's context weighed in), remembered for the last question.

        Retrieval and related controls share it.
        """
        return self.question_vectors(thread)[0]

    def question_vectors(self, thread: ThreadQuery) -> tuple[np.ndarray, np.ndarray]:
        """The question's vector and its parts' (`QuestionPipeline.question_vectors`), remembered for the last
        question."""
        key = (thread.question, tuple(thread.context))
        last = self._last_query
        if last is None or last[0] != key:
            last = (key, self.pipeline.question_vectors(thread))
            self._last_query = last
        return last[1]

    def evidence(self, thread: ThreadQuery, labels: list[str]) -> Evidence:
        """Every stage of the question pipeline for a question among the allowed labels.

        A follow-up's context joins the search: in the query vector and BM25 query with less weight
        than the question, and in the words an answer should contain at half weight. The role's
        labels filter every search inside the query.
        """
        vector, part_vectors = self.question_vectors(thread)
        return self.pipeline.evidence(thread.question, labels, thread.context, vector=vector, thread=thread,
                                      part_vectors=part_vectors)

    def answer(self, thread: ThreadQuery, role: str, labels: list[str], k: int | None = None,
               on_token=None) -> tuple[Answer, Evidence]:
        """The answer (answered, partial or none, as the judge rules) and the evidence it was made from.

        With an LLM configured (and `choose_evidence`), the LLM first chooses which of the best-ranked
        sentences state the answer (`choice`); the answer then quotes those, or is `partial` when it
        chose none. Its prose follows for an answered question (unless `prose` is off), checked by the
        citation verifier.
        """
        found = self.evidence(thread, labels)
        notes: list[str] = []
        llm_usable = self.chat_model is not None
        if llm_usable and self.choose_evidence:
            found, notes, llm_usable = self.choose(thread, found)
        status = found.verdict.status
        units = found.units[: found.chosen] if found.chosen else found.units
        margin = float("inf") if found.chosen else self.pipeline.ranker.margin  # every chosen sentence joins
        answer = compose(thread.question, role, units, k or self.top_k, found.searched, status=status,
                         missing=found.missing, margin=margin, missing_values=found.verdict.missing_values,
                         context=self.context, context_pool=found.units, discussed=found.discussed)
        answer.notes.extend(notes)
        if status == "answered" and llm_usable and self.prose:
            written = self.generate(thread.question, role, found.units, answer, on_token, asked=thread.prompt_question)
            if written is not answer:  # the LLM's prose replaced the extractive answer: keep the choice's notes
                written.notes[:0] = notes
            answer = written
        return answer, found

    def choose(self, thread: ThreadQuery, found: Evidence) -> tuple[Evidence, list[str], bool]:
        """The evidence after the LLM's choice, the notes to add, and whether the LLM answered at all.

        Not asked when there is nothing to choose from, or when no document uses any word of the
        question (that stays `none`). An unreachable LLM or an unreadable reply leaves the ranker's
        order and the judge's verdict.
        """
        query = found.query
        if not found.units or (query.unknown and not query.weights):
            return found, [], True
        shown = shown_units(found.units, self.choice_sentences)
        user = render_prompt(self.prompt("choose_user"), question=thread.prompt_question,
                             sentences=sentences_block(shown))
        try:
            reply = read_reply(self.chat_model.stream(self.prompt("choose_system"), user))
        except LLMUnavailable as exc:
            return replace(found, llm_choice="unavailable"), [f"{LLM_UNUSED} ({exc}); extractive answer"], False
        choice = parse_choice(reply, len(shown))
        if choice is None:
            return replace(found, llm_choice="unreadable"), [f"{UNREADABLE_CHOICE} ({' '.join(reply.split())[:80]!r}); "
                                                             "the ranker's order is kept"], True
        chosen = replace(apply_choice(found, shown, choice), llm_choice="chose" if choice.chosen else "none")
        chosen.missing = self.pipeline.missing_words(thread.question, query, chosen.units[:3])
        if not choice.chosen:
            return chosen, [f"the LLM found that none of the {len(shown)} best-ranked sentences states the "
                            "answer"], True
        return chosen, [], True

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
            extractive.notes.append(f"{LLM_UNUSED} ({exc}); extractive answer")
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
