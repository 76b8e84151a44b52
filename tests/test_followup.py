"""Follow-up questions: searched with the thread's earlier questions when they lean on them, alone otherwise."""

from __future__ import annotations

import pytest

from assistant.answering.followup import ThreadQuery, is_follow_up, thread_query


@pytest.mark.parametrize("question", ["And of FraudLens?", "What about for FraudLens?", "and who approves it?",
                                      "Who is its secretary?", "For PriceRight?", "How often does that happen?"])
def test_elliptical_questions_are_follow_ups(question):
    assert is_follow_up(question)


@pytest.mark.parametrize("question", ["Who chairs the AI Governance Committee?",
                                      "May I make a marketing flyer with an AI image generator?",
                                      "How often are Tier 1 suppliers re-assessed?",
                                      "May I paste a customer's claim email into a free chatbot if I remove the "
                                      "policy number from it first?"])
def test_self_contained_questions_are_not(question):
    assert not is_follow_up(question)


def test_thread_query_takes_what_the_follow_up_leans_on():
    history = ["Who chairs the AI Governance Committee?", "Who is the business owner of ClaimSight?",
               "And of FraudLens?"]
    assert thread_query("When was it last reviewed?", history).context == history[1:]  # a chain of follow-ups
    assert thread_query("And of FraudLens?", history[:2]).context == history[1:2]
    assert thread_query("Who approves the AI policy?", history).context == []
    assert thread_query("And of FraudLens?", None).context == []
    assert thread_query("And of FraudLens?", []).context == []


def test_the_current_question_weighs_most():
    query = ThreadQuery("When was it last reviewed?", ["Who owns ClaimSight?", "And FraudLens?"])
    assert query.texts == ["When was it last reviewed?", "And FraudLens?", "Who owns ClaimSight?"]
    weights = query.weights
    assert weights[0] > weights[1] > weights[2] and abs(sum(weights) - 1) < 1e-9
    assert query.lexical.count("When was it last reviewed?") == 2 and "Who owns ClaimSight?" in query.lexical
    assert ThreadQuery("Who owns ClaimSight?").lexical == "Who owns ClaimSight?"


def _flat(text: str) -> str:
    return " ".join(text.split())


@pytest.mark.parametrize("earlier, follow_up, source, expected", [
    ("When was the AI policy approved?", "And when is its next review?", "ai-policy.pdf", "March 2027"),
    ("Who is the business owner of ClaimSight?", "And of FraudLens?", None, "Business owner: Joe Whitaker"),
])
def test_a_follow_up_finds_its_answer_with_the_thread_and_not_without(sample_index, earlier, follow_up, source,
                                                                      expected):
    assistant = sample_index[0]
    alone = assistant.ask(follow_up, role="implementer")
    threaded = assistant.ask(follow_up, role="implementer", history=[earlier])
    assert threaded.question == follow_up  # the answer is to what was asked
    assert threaded.grounded and expected in _flat(threaded.citations[0].quote)
    assert source is None or threaded.citations[0].source == source
    assert alone.citations and expected not in _flat(alone.citations[0].quote)
    assert source is None or source not in {c.source for c in alone.citations}
    assert any("follow-up" in note for note in threaded.notes)
    assert "notes" not in threaded.model_dump()  # the `aims ask --json` contract is unchanged


def test_a_self_contained_question_is_not_changed_by_the_thread(sample_index):
    assistant = sample_index[0]
    question = "May I make a marketing flyer with an AI image generator?"
    alone = assistant.ask(question, role="staff")
    threaded = assistant.ask(question, role="staff", history=["Who is the business owner of ClaimSight?",
                                                                "And of FraudLens?"])
    assert threaded.model_dump() == alone.model_dump() and not threaded.notes


def test_the_thread_never_widens_what_a_role_may_see(sample_index):
    assistant = sample_index[0]
    labels = {doc.source: doc.label.value for doc in assistant.catalog.documents()}
    history = ["What did the management review decide about FraudLens?"]
    auditor = assistant.ask("and who owns that action?", role="auditor", history=history)
    assert auditor.citations[0].source == "management-review-minutes-2026-10.docx"  # confidential
    assert "Owner: Joe Whitaker" in _flat(auditor.citations[0].quote)
    staff = assistant.ask("and who owns that action?", role="staff", history=history)
    assert staff.citations and {labels[c.source] for c in staff.citations} <= {"public", "internal"}
