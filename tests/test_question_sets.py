"""Every eval question set stays valid, and its later calibration questions never repeat its test split.

Why: the sets are what every quality figure is measured on. A gold quote the parser no longer
finds, a gold source the role may not see, or a calibration question that repeats a test
question's evidence would each make the README's figures quietly wrong.
"""

from __future__ import annotations

import importlib.util
import json

import pytest

from assistant.cli.eval import load_sets

from .conftest import REPO

SETS = {s.name: s for s in load_sets()}


def _script(name: str):
    spec = importlib.util.spec_from_file_location(name, REPO / "evals" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("name", sorted(SETS))
def test_every_gold_quote_is_found_verbatim_in_a_document_its_role_may_see(name):
    spec = SETS[name]
    if not spec.corpus.exists():
        pytest.skip(f"{spec.corpus} is absent")
    assert _script("check_questions").check(spec.questions, spec.corpus) == []


@pytest.mark.parametrize("name", sorted(SETS))
def test_later_calibration_questions_repeat_no_test_question(name):
    questions = [json.loads(line) for line in SETS[name].questions.read_text().splitlines() if line.strip()]
    later = [q for q in questions if "-c0" in q["id"]]
    if not later:
        pytest.skip(f"{name} has no calibration questions added after its test split was drawn")
    assert all(q["split"] == "calibration" for q in later)
    kept, dropped = _script("screen_calibration").screen(later, questions)
    assert dropped == [] and len(kept) == len(later)


def test_the_screen_drops_a_repeated_question_and_repeated_evidence():
    screen = _script("screen_calibration").screen
    test = {"id": "t1", "split": "test", "question": "How many AI incidents were reported in 2024?",
            "gold": [{"source": "log.md", "quote": "Fourteen AI incidents were reported in 2024", "page": None}]}
    same_words = {"id": "c1", "split": "calibration", "question": "How many AI incidents were reported in 2024?",
                  "gold": []}
    same_evidence = {"id": "c2", "split": "calibration", "question": "Was last year busy for AI problems?",
                     "gold": [{"source": "log.md", "quote": "AI incidents were reported in 2024", "page": None}]}
    other_document = {"id": "c3", "split": "calibration", "question": "Was last year busy for AI problems?",
                      "gold": [{"source": "other.md", "quote": "AI incidents were reported in 2024", "page": None}]}
    kept, dropped = screen([same_words, same_evidence, other_document], [test])
    assert [q["id"] for q in kept] == ["c3"] and [q["id"] for q, _ in dropped] == ["c1", "c2"]


@pytest.mark.parametrize("name", ["kestrelbay", "marrowvale"])
def test_rerunning_a_split_script_keeps_every_split_and_draws_only_new_questions(name, tmp_path, capsys):
    source = SETS[name].questions
    records = [json.loads(line) for line in source.read_text().splitlines() if line.strip()]
    added = [{**records[i], "id": f"{name}-new{i}", "split": None} for i in range(10)]
    for record in added:
        del record["split"]
    path = tmp_path / "questions.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in records + added))
    _script("category_split").assign(path, seed=1)
    after = {r["id"]: r["split"] for r in map(json.loads, path.read_text().splitlines())}
    assert all(after[r["id"]] == r["split"] for r in records)  # no frozen question moved
    assert {after[r["id"]] for r in added} == {"calibration", "test"}  # the new ones were drawn, both ways
