"""The LLM's choice of evidence, against a local chat-completions server with scripted replies.

The model is shown the best-ranked sentences of the role's own documents and names those that
state the answer: they lead the answer; NONE makes it `partial`; the deterministic value check and
an unreadable or missing reply keep the ranker's order and the judge's verdict.
"""

from __future__ import annotations

import pytest

from assistant.answering.choice import parse_choice
from assistant.config import load_settings
from assistant.service import Assistant

from .fake_openai import FakeOpenAI, is_choice_request, passages_in_prompt, sentences_in_prompt

QUESTION = "May I make a marketing flyer with an AI image generator?"


@pytest.fixture
def fake():
    with FakeOpenAI() as server:
        yield server


def _assistant(sample_index, embedder, fake, **overrides) -> Assistant:
    index, _ = sample_index
    settings = load_settings(index=index.home, llm="openai", llm_base_url=fake.base_url, llm_model="fake-model",
                             **overrides)
    return Assistant(settings, embedder=embedder)


@pytest.fixture
def llm_assistant(sample_index, embedder, fake):
    assistant = _assistant(sample_index, embedder, fake)
    yield assistant
    assistant.close()


def _norm(text: str) -> str:
    return " ".join(text.split())


@pytest.mark.parametrize("reply, shown, expected", [
    ("3, 1", 8, [3, 1]),
    ("NONE", 8, []),
    ("none", 8, []),
    ("Sentences 2 and 5 state it.", 8, [2, 5]),
    ("4, 4, 12, 0, 1", 8, [4, 1]),  # repeats once, out of range dropped, order kept
    ("2 (none of the others)", 8, [2]),
    ("I am not sure.", 8, None),
    ("", 8, None),
    ("9", 8, None),  # only a number that was never shown: unreadable, not NONE
    # a model that cannot follow the instruction echoes the prompt: its example "4, 1" is not a choice
    ("You pick evidence for questions about an organisation's documents. Rules: 1. Reply with the numbers "
     "of the sentences that state the answer, most useful first, for example: 4, 1", 8, None),
])
def test_parse_choice(reply, shown, expected):
    choice = parse_choice(reply, shown)
    assert (choice.chosen if choice is not None else None) == expected


def test_the_reply_is_read_no_further_than_a_choice_needs():
    from assistant.answering.choice import MAX_REPLY_CHARS, read_reply

    produced = []

    def endless():
        try:
            while True:
                produced.append("word ")
                yield "word "
        finally:
            produced.append("closed")

    reply = read_reply(endless())
    assert len(reply) >= MAX_REPLY_CHARS and len(reply) < MAX_REPLY_CHARS + 5
    assert produced[-1] == "closed"  # the stream was closed: a local model stops generating there
    assert read_reply(iter(["3", ", ", "1"])) == "3, 1"


def test_the_chosen_sentence_leads_the_answer(llm_assistant, fake, sample_index):
    plain = sample_index[0].ask_traced(QUESTION, role="staff")[1]
    shown: dict[int, tuple[str, str]] = {}

    def choose_third(messages):
        shown.update(sentences_in_prompt(messages))
        return "3"

    fake.choice_replies.append(choose_third)
    fake.replies.append(lambda m: f"{_norm(passages_in_prompt(m)[1]).split('. ')[0]}. [1]")
    answer, found = llm_assistant.ask_traced(QUESTION, role="staff")
    assert len(shown) == 8 and [_norm(u.text) for u in plain.units[:2]] == [shown[1][1], shown[2][1]]
    assert found.chosen == 1 and _norm(found.units[0].text) == shown[3][1]
    assert found.verdict.status == "answered" and found.verdict.signals["llm_chosen"] == 1.0
    assert answer.status == "answered"
    # the prose is written over the chosen sentence's passage first
    prose = next(r for r in fake.requests if not is_choice_request(r["messages"]))
    assert shown[3][1] in _norm(passages_in_prompt(prose["messages"])[1])


def test_none_chosen_makes_the_answer_partial(llm_assistant, fake):
    fake.choice_replies.append("NONE")
    answer, found = llm_assistant.ask_traced(QUESTION, role="staff")
    assert answer.status == "partial" and answer.grounded is False and answer.citations
    assert found.chosen == 0 and any("none of the 8 best-ranked sentences" in note for note in answer.notes)
    assert len(fake.requests) == 1, "no prose is asked for when the evidence does not answer"
    assert answer.answer.startswith("The documents available to the staff role discuss this")


def test_a_value_no_chosen_sentence_states_keeps_the_answer_partial(llm_assistant, fake):
    question = "What's the phone number for the Head of Data Protection?"
    fake.choice_replies.append("1, 2")
    answer, found = llm_assistant.ask_traced(question, role="staff")
    assert found.chosen == 2 and found.verdict.missing_values
    assert answer.status == "partial" and "phone" in answer.answer.split("\n")[0]
    assert len(fake.requests) == 1


def test_an_unreadable_choice_keeps_the_rankers_order(llm_assistant, fake, sample_index):
    plain, plain_found = sample_index[0].ask_traced(QUESTION, role="staff")
    fake.choice_replies.append("Well, it depends on the flyer.")
    fake.replies.append(lambda m: f"{_norm(passages_in_prompt(m)[1]).split('. ')[0]}. [1]")
    answer, found = llm_assistant.ask_traced(QUESTION, role="staff")
    assert found.chosen is None and [u.text for u in found.units] == [u.text for u in plain_found.units]
    assert found.verdict.status == plain_found.verdict.status
    assert any("could not be read" in note for note in answer.notes)


def test_the_choice_prompt_holds_only_what_the_role_may_see(llm_assistant, fake):
    hidden = {name for name, (label, _) in llm_assistant.document_texts().items()
              if label not in llm_assistant.labels_for("staff")}
    assert hidden, "the sample has documents staff may not see"
    seen: list[str] = []

    def record(messages):
        seen.extend(where.split(",")[0] for where, _ in sentences_in_prompt(messages).values())
        return "NONE"

    fake.choice_replies.append(record)
    llm_assistant.ask("Which AI systems did the internal audit find problems with?", role="staff")
    assert seen and not set(seen) & hidden


def test_the_choice_can_be_switched_off(sample_index, embedder, fake):
    assistant = _assistant(sample_index, embedder, fake, llm_choose_evidence=False)
    fake.replies.append(lambda m: f"{_norm(passages_in_prompt(m)[1]).split('. ')[0]}. [1]")
    answer = assistant.ask(QUESTION, role="staff")
    assistant.close()
    assert answer.grounded and not any(is_choice_request(r["messages"]) for r in fake.requests)


def test_with_prose_off_the_answer_quotes_the_choice_and_asks_for_nothing_more(sample_index, embedder, fake):
    assistant = _assistant(sample_index, embedder, fake, llm_prose=False)
    try:
        shown: dict[int, tuple[str, str]] = {}

        def choose_second(messages):
            shown.update(sentences_in_prompt(messages))
            return "2"

        fake.choice_replies.append(choose_second)
        answer, found = assistant.ask_traced(QUESTION, role="staff")
    finally:
        assistant.close()
    assert found.chosen == 1 and answer.status == "answered"
    assert shown[2][1] in _norm(answer.citations[0].quote)  # the chosen sentence is quoted first, verbatim
    assert all(is_choice_request(r["messages"]) for r in fake.requests)  # no prose was asked for


def test_the_eval_counts_how_the_llm_choice_went(llm_assistant, fake):
    from assistant.cli.eval import llm_choice_counts
    from assistant.core.models import Answer

    fake.choice_replies.extend(["2", "NONE", "Well, it depends on the flyer."])
    pairs = [llm_assistant.ask_traced(QUESTION, role="staff") for _ in range(3)]
    assert [found.llm_choice for _, found in pairs] == ["chose", "none", "unreadable"]
    # no reply scripted: the server answers with an error, the extractive answer stands, no choice was made
    pairs.append(llm_assistant.ask_traced(QUESTION, role="staff"))
    assert pairs[-1][1].llm_choice == "unavailable"
    pairs.append((Answer(question="q", role="staff", answer="a", grounded=False, citations=[]), None))
    assert llm_choice_counts(pairs) == {"chose": 1, "none": 1, "unreadable": 1, "no choice": 2}
