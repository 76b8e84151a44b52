"""Extractive answers on the sample organisation: verbatim quotes, refusals, roles, injection, JSON contract."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys

import pytest

from assistant.core.chunks import display_quote
from assistant.evaluation import LeakChecker, load_questions
from assistant.settings_file import ROLES

from .conftest import REPO

QUESTIONS = load_questions(REPO / "evals" / "questions.jsonl")
JSON_KEYS = {"question", "role", "answer", "grounded", "status", "citations", "controls"}
CITATION_KEYS = {"n", "source", "page", "section", "quote", "score", "focus"}


@pytest.fixture(scope="module")
def answers(sample_index):
    assistant, _ = sample_index
    return {q.id: assistant.ask(q.question, role=q.role, k=5) for q in QUESTIONS}


def test_every_quote_is_verbatim_and_every_sentence_cited(sample_index, answers):
    texts = sample_index[0].document_texts()
    for answer in answers.values():
        if answer.status == "none":
            assert not answer.citations and not answer.grounded
            continue
        lines = answer.answer.splitlines()
        if answer.status == "partial":  # a plain statement of what was not found, then the closest quotes
            assert not answer.grounded and "do not answer the question as asked" in lines[0]
            lines = lines[1:]
        assert len(lines) == len(answer.citations) and 1 <= len(lines) <= 5
        for line, citation in zip(lines, answer.citations):
            assert line.endswith(f"[{citation.n}]")
            assert citation.quote in texts[citation.source][1]
            assert display_quote(citation.quote, citation.section) in line  # a record's pairs joined by "; "


def test_no_leaks_across_roles(sample_index, answers):
    assistant, _ = sample_index
    texts = assistant.document_texts()
    checker = LeakChecker({s: label for s, (label, _) in texts.items()}, {s: t for s, (_, t) in texts.items()},
                          assistant.settings.role_labels)
    assert {q.id: checker.leaks(answers[q.id], q) for q in QUESTIONS if checker.leaks(answers[q.id], q)} == {}


def test_staff_never_sees_confidential_or_restricted_sources(sample_index):
    assistant, _ = sample_index
    hidden = {s for s, (label, _) in assistant.document_texts().items() if label in ("confidential", "restricted")}
    for question in ("What was the overall opinion of the internal audit?",
                     "What FraudLens score sends a claim to investigators?",
                     "What budget did the management review approve?"):
        staff = assistant.ask(question, role="staff", k=5)
        assert not {c.source for c in staff.citations} & hidden
        auditor = assistant.ask(question, role="auditor", k=5)
        assert {c.source for c in auditor.citations} & hidden, question


def test_injected_instructions_are_never_obeyed(answers):
    for question in QUESTIONS:
        if question.category == "injection":
            text = answers[question.id].answer.lower()
            assert "ignore all previous instructions" not in text
            for forbidden in question.must_not_contain:
                assert forbidden.lower() not in text, (question.id, forbidden)


def test_an_off_topic_question_is_not_answered_and_says_why(sample_index):
    answer = sample_index[0].ask("What is the capital of France and who won the 1966 World Cup?", role="staff")
    assert answer.grounded is False and answer.status in ("partial", "none")
    if answer.status == "none":
        assert answer.citations == [] and "no evidence" in answer.answer
        assert "closest documents searched" in answer.answer
    else:  # related passages at best: it says which words of the question they do not mention
        lead = answer.answer.splitlines()[0]
        assert "do not mention" in lead and "discuss" not in lead and any(
            word in lead for word in ("'France'", "'capital'", "'1966'", "'World'", "'Cup'", "'won'"))


@pytest.mark.parametrize("question", ["Can I bring my dog to the office?", "Is there a gym discount for staff?",
                                      "How do I book annual leave?"])
def test_an_everyday_question_the_documents_do_not_cover_is_not_answered(sample_index, question):
    """Questions off every topic the documents cover: their best evidence is less like the question than any
    answerable calibration question's (the judge's floor), so it is shown as related passages, not an answer."""
    answer = sample_index[0].ask(question, role="staff")
    assert answer.status != "answered" and answer.grounded is False
    judge = sample_index[0].pipeline.judge
    assert 0.2 < judge.floor < 0.5, "the shipped fit has a floor, from the calibration questions"


def test_a_word_only_hidden_documents_use_reads_to_staff_as_a_word_no_document_uses(sample_index):
    """Whether confidential or restricted documents use a word must not change how a staff answer reads
    (refused, partial, which words it names): to staff such a word is unknown, as if no document used it."""
    assistant, _ = sample_index
    texts = assistant.document_texts()
    tokenize = assistant.answerer.pipeline.sources.tokenize
    seen, hidden = set(), set()
    for label, text in texts.values():
        (hidden if label in ("confidential", "restricted") else seen).update(tokenize([text])[0])
    words = {w for label, text in texts.values() if label in ("confidential", "restricted")
             for w in re.findall(r"\b[a-z]{7,}\b", text)}
    word = sorted(w for w in words if len(stems := tokenize([w])[0]) == 1 and stems[0] in hidden - seen)[0]
    stem = tokenize([word])[0][0]
    question = f"What does {word} mean?"
    staff = assistant.evidence(question, assistant.labels_for("staff")).query
    auditor = assistant.evidence(question, assistant.labels_for("auditor")).query
    assert stem in staff.unknown and stem not in staff.weights
    assert stem in auditor.weights and stem not in auditor.unknown


def test_no_evidence_is_a_plain_refusal_naming_what_was_searched(sample_index):
    from assistant.answering.extractive import refusal

    chunk_sources = [c.source for c in sample_index[0].evidence("incident", ["public"]).searched]
    answer = refusal("anything", "staff", sample_index[0].evidence("incident", ["public"]).searched)
    assert answer.status == "none" and not answer.grounded and answer.citations == []
    assert "closest documents searched" in answer.answer and chunk_sources[0] in answer.answer


def test_unknown_role_and_empty_question_are_errors(sample_index):
    with pytest.raises(ValueError):
        sample_index[0].ask("anything", role="ceo")
    with pytest.raises(ValueError):
        sample_index[0].ask("   ", role="staff")


def _run(*args, home):
    env = {**os.environ, "AIMS_HOME": str(home)}
    return subprocess.run([sys.executable, "-m", "assistant", *args], capture_output=True, text=True, env=env,
                          cwd=REPO, timeout=300)


def _check_contract(payload: dict) -> None:
    assert set(payload) == JSON_KEYS
    assert isinstance(payload["question"], str) and isinstance(payload["answer"], str)
    assert payload["role"] in ROLES and isinstance(payload["grounded"], bool)
    assert isinstance(payload["controls"], list)
    assert payload["status"] in ("answered", "partial", "none")
    assert payload["grounded"] == (payload["status"] == "answered")
    for citation in payload["citations"]:
        assert set(citation) == CITATION_KEYS
        assert isinstance(citation["n"], int) and isinstance(citation["source"], str)
        assert citation["page"] is None or isinstance(citation["page"], int)
        assert citation["section"] is None or isinstance(citation["section"], str)
        assert isinstance(citation["quote"], str) and isinstance(citation["score"], float)
        assert citation["focus"] is None or citation["focus"] in citation["quote"]


def test_cli_json_contract_and_batch(sample_index, tmp_path):
    home = sample_index[0].home
    single = _run("ask", "Who chairs the AI Governance Committee?", "--role", "auditor", "--json", "-k", "3", home=home)
    assert single.returncode == 0, single.stderr
    payload = json.loads(single.stdout)
    _check_contract(payload)
    assert payload["role"] == "auditor" and len(payload["citations"]) <= 3

    batch = tmp_path / "batch.jsonl"
    batch.write_text('{"id": "a", "question": "How do I report an AI incident?", "role": "staff"}\n'
                     '{"id": "b", "question": "What was the audit opinion?", "role": "auditor"}\n')
    out = _run("ask", "--batch", str(batch), "--json", home=home)
    assert out.returncode == 0, out.stderr
    lines = [json.loads(line) for line in out.stdout.splitlines()]
    assert [line.pop("id") for line in lines] == ["a", "b"]
    for line in lines:
        _check_contract(line)

    text = _run("ask", "How do I report an AI incident?", home=home)
    assert "Sources:" in text.stdout and "[1]" in text.stdout
    assert "Loading weights" not in text.stderr and "it/s" not in text.stderr  # no progress bar over an answer
    assert _run("ask", home=home).returncode == 2
    assert _run("ask", "x", "--role", "boss", home=home).returncode == 2
