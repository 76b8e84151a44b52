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


def test_a_follow_up_that_names_its_own_subject_replaces_the_earlier_one():
    # "And of FraudLens?" asks the earlier question of FraudLens: ClaimSight no longer counts as a topic word
    assert thread_query("And of FraudLens?", ["Who is the business owner of ClaimSight?"]).replaced_names == [
        "ClaimSight"]
    assert thread_query("What about for Ask Alder?", ["Who owns ClaimSight?"]).replaced_names == ["ClaimSight"]
    # one that points back, or names nothing, replaces nothing
    assert thread_query("And who approves it?", ["Who owns ClaimSight?"]).replaced_names == []
    assert thread_query("And when is its next review?", ["When was the AI Policy approved?"]).replaced_names == []
    assert thread_query("And of FraudLens?", None).replaced_names == []


def _flat(text: str) -> str:
    return " ".join(text.split())


@pytest.mark.parametrize("earlier, follow_up, source, expected, asked", [
    ("When was the AI policy approved?", "And when is its next review?", "ai-policy.pdf", "March 2027", None),
    ("Who is the business owner of ClaimSight?", "And of FraudLens?", None, "Business owner: Joe Whitaker",
     "business owner"),
])
def test_a_follow_up_finds_its_answer_with_the_thread_and_not_without(sample_index, earlier, follow_up, source,
                                                                      expected, asked):
    assistant = sample_index[0]
    alone = assistant.ask(follow_up, role="implementer")
    threaded = assistant.ask(follow_up, role="implementer", history=[earlier])
    assert threaded.question == follow_up  # the answer is to what was asked
    # the thread finds the quote that answers; whether the judge calls it answered or only related is its own test
    assert threaded.status != "none" and expected in _flat(threaded.citations[0].quote)
    assert source is None or threaded.citations[0].source == source
    assert alone.citations
    # Alone, the answer is about something else. "And when is its next review?" does not lead with the AI policy (a
    # later citation may quote it: "its next review" is about some review, and the AI policy has one; which place
    # it takes hangs on near-ties between checkouts). "And of FraudLens?" alone may lead with FraudLens's register
    # row, which names its owner among its fields (it has since the stop after 5d973f3), so what tells the two
    # apart is what the rest of the answer is about: with the thread, more of its quotes are about what was asked.
    if source is not None:
        assert expected not in _flat(alone.citations[0].quote) and alone.citations[0].source != source
    else:
        def about_it(answer):
            return sum(asked in _flat(c.quote).lower() for c in answer.citations)

        assert about_it(threaded) > about_it(alone)
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
    labels = {doc.source: doc.label.value for doc in assistant.manifest.documents()}
    history = ["What did the management review decide about FraudLens?"]
    auditor = assistant.ask("and who owns that action?", role="auditor", history=history)
    assert auditor.citations[0].source == "management-review-minutes-2026-10.docx"  # confidential
    assert "Owner: Joe Whitaker" in _flat(auditor.citations[0].quote)
    staff = assistant.ask("and who owns that action?", role="staff", history=history)
    # staff may get related evidence or none; whatever is cited is never more than staff may see
    assert {labels[c.source] for c in staff.citations} <= {"public", "internal"}


def test_aims_ask_takes_the_thread_on_the_command_line_and_in_a_batch(sample_index, tmp_path, monkeypatch, capsys):
    import json

    from assistant.cli import main

    assistant = sample_index[0]
    monkeypatch.setenv("AIMS_HOME", str(assistant.home))
    assert main(["ask", "And when is its next review?", "--after", "When was the AI policy approved?",
                 "--role", "implementer", "--json"]) == 0
    answer = json.loads(capsys.readouterr().out)
    assert answer["question"] == "And when is its next review?" and answer["grounded"]
    first = answer["citations"][0]
    assert "March 2027" in _flat(first["quote"]) and first["source"] == "ai-policy.pdf"

    batch = tmp_path / "thread.jsonl"
    batch.write_text(json.dumps({"id": "t1", "question": "And when is its next review?", "role": "implementer",
                                 "history": ["When was the AI policy approved?"]}) + "\n")
    assert main(["ask", "--batch", str(batch), "--json"]) == 0
    line = json.loads(capsys.readouterr().out)
    assert line["id"] == "t1" and line["citations"] == answer["citations"]

    batch.write_text(json.dumps({"id": "t2", "question": "And?", "history": "not a list"}) + "\n")
    assert main(["ask", "--batch", str(batch), "--json"]) == 2
    assert "history" in capsys.readouterr().err
