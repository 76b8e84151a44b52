"""The tuned question model: stored as low-rank changes to MiniLM, applied over it, one ranker feature.

Why: it is the one part of ranking learned from text rather than fitted over hand-made features, so what
is checked is that the shipped file is the one the code reads, that it changes questions (and only
questions), that turning it off gives the plain similarity, and that it was trained on no eval material.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from assistant.retrieval.question_tuning import TunedQuestionEncoder, load_deltas, save_deltas, shipped_tuning

ROOT = Path(__file__).resolve().parent.parent
TRAINING = ROOT / "evals" / "training"
BATCHES = (TRAINING, ROOT / "evals" / "training-next")  # the tuning averages one tuning made from each
MATERIAL = [batch / name for batch in BATCHES for name in sorted(p.name for p in batch.iterdir() if p.is_dir())]
QUESTIONS = ["How quickly do I have to tell someone if the chatbot gave a customer wrong advice?",
             "Who signs off a new AI system before it goes live?"]
SENTENCES = ["Report any AI incident to the service desk within 24 hours of finding it.",
             "The AI Governance Committee approves every new high-risk AI system before it goes live.",
             "Our offices are closed on public holidays."]


def test_low_rank_changes_round_trip(tmp_path):
    import torch

    rng = np.random.default_rng(0)
    base = {"w": torch.from_numpy(rng.normal(size=(8, 6)).astype(np.float32)),
            "b": torch.zeros(6), "same": torch.ones(3)}
    change = np.outer(rng.normal(size=8), rng.normal(size=6)).astype(np.float32)  # rank 1
    tuned = {"w": base["w"] + torch.from_numpy(change), "b": base["b"] + 0.5, "same": base["same"].clone()}
    info = save_deltas(base, tuned, tmp_path / "t.npz", rank=2, meta={"note": "test"})
    deltas, meta = load_deltas(tmp_path / "t.npz")
    assert meta["note"] == "test" and meta["rank"] == 2 and info["tensors"] == 2
    assert set(deltas) == {"w", "b"}  # an unchanged weight is not stored
    assert np.allclose(deltas["w"], change, atol=2e-3)  # float16 factors of a rank-1 change
    assert np.allclose(deltas["b"], 0.5)


def test_the_shipped_tuning_is_small_and_says_what_it_was_trained_on():
    path = shipped_tuning()
    assert path is not None, "assistant/retrieval/question_tuning.npz is missing: run evals/train_question_tuning.py"
    assert path.stat().st_size < 5_000_000
    _, meta = load_deltas(path)
    assert meta["trained_on"] == [sorted(p.name for p in batch.iterdir() if p.is_dir()) for batch in BATCHES]
    assert meta["averaged"] == 2 and meta["rank"] == 32 and all(lists > 400 for lists in meta["lists"])


def test_tuned_questions_move_but_stay_near_the_plain_ones(embedder):
    tuned = TunedQuestionEncoder(embedder.model_path, shipped_tuning()).encode(QUESTIONS)
    plain = embedder.encode(QUESTIONS)
    cosines = (tuned * plain).sum(axis=1)
    assert tuned.shape == plain.shape and np.allclose(np.linalg.norm(tuned, axis=1), 1.0, atol=1e-5)
    assert np.all(cosines < 0.999) and np.all(cosines > 0.6)
    # the tuned question still prefers its own answer to an unrelated sentence
    sims = tuned @ embedder.encode(SENTENCES).T
    assert sims[0, 0] > sims[0, 2] and sims[1, 1] > sims[1, 2]


def test_the_setting_turns_it_off_and_the_feature_falls_back_to_the_plain_similarity(tmp_path):
    from assistant.answering.features import FEATURES
    from assistant.config import load_settings
    from assistant.parts import open_embedder
    from assistant.service import Assistant

    assert open_embedder(load_settings(index=tmp_path)).encode_tuned(["A question?"]) is not None
    off = open_embedder(load_settings(index=tmp_path, question_tuning=False))
    assert off.encode_tuned(["A question?"]) is None
    docs = tmp_path / "docs"
    docs.mkdir()
    (docs / "policy.md").write_text("# AI policy\n\n" + " ".join(SENTENCES) + "\n")
    assistant = Assistant(load_settings(index=tmp_path / "home", question_tuning=False), embedder=off)
    assistant.ingest([docs])
    try:
        units = assistant.evidence(QUESTIONS[1], ["public", "internal"]).units
    finally:
        assistant.close()
    rows = np.stack([u.features for u in units])
    assert np.array_equal(rows[:, FEATURES.index("tuned_sim")], rows[:, FEATURES.index("sentence_sim")])


def test_the_tuned_feature_is_fitted_in_the_shipped_ranker():
    from assistant.resources import shipped_calibration

    weights = json.loads(shipped_calibration().read_text())["ranker"]["weights"]
    assert weights["tuned_sim"] != 0.0


@pytest.mark.parametrize("folder", MATERIAL, ids=lambda folder: folder.name)
def test_training_material_shares_no_question_or_quote_with_any_eval_set(folder):
    from assistant.cli.eval import load_sets

    def quotes(path):
        rows = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
        return {r["question"].lower() for r in rows}, {g["quote"].lower() for r in rows for g in r["gold"]}

    train_questions, train_quotes = quotes(folder / "questions.jsonl")
    for spec in load_sets():
        eval_questions, eval_quotes = quotes(spec.questions)
        assert not train_questions & eval_questions and not train_quotes & eval_quotes, spec.name
    # no training document repeats a line of an eval document kept as text (names like ai-policy.md recur)
    eval_text = " ".join(" ".join(p.read_text(errors="ignore").split()).lower()
                         for spec in load_sets() for root in spec.paths() if root.exists()
                         for p in ([root] if root.is_file() else root.rglob("*"))
                         if p.suffix in {".md", ".txt", ".html", ".csv"})
    lines = {" ".join(line.split()).lower() for p in (folder / "docs").iterdir()
             for line in p.read_text().splitlines() if len(line.split()) >= 15}
    assert lines and not [line for line in lines if line in eval_text]


def test_the_tuned_copy_leaves_the_plain_model_alone(embedder):
    from assistant.retrieval.embedder import Embedder

    tuned_embedder = Embedder(question_tuning=shipped_tuning())
    before = tuned_embedder.encode(QUESTIONS)
    tuned = tuned_embedder.encode_tuned(QUESTIONS)  # copied from the plain model loaded above
    assert np.array_equal(tuned_embedder.encode(QUESTIONS), before)
    assert np.allclose(before, embedder.encode(QUESTIONS), atol=1e-6)
    from_disk = TunedQuestionEncoder(embedder.model_path, shipped_tuning()).encode(QUESTIONS)
    assert np.allclose(tuned, from_disk, atol=1e-6)
