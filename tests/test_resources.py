"""The bundled files are found through assistant.resources; the calibration is read from the data dir first."""

import json

import pytest

from assistant import resources
from assistant.cli import main
from assistant.config import load_settings
from assistant.service import Assistant

from .conftest import REPO


def test_a_checkout_reads_the_folders_contributors_edit():
    for folder, _ in resources.SHIPPED.values():
        assert (REPO / folder).is_dir(), folder
    assert resources.standard_dir() == REPO / "corpus" / "standard"
    assert resources.prompts_dir() == REPO / "prompts"
    assert resources.sample_corpus() == REPO / "corpus" / "sample"
    assert resources.eval_questions() == REPO / "evals" / "questions.jsonl"
    assert resources.shipped_calibration() == REPO / "assistant" / "answering" / "ranker.json"
    assert resources.eval_sets() == REPO / "evals" / "sets.toml"
    settings = load_settings()
    assert settings.prompts_dir == resources.prompts_dir() and settings.standard_dir == resources.standard_dir()


def test_the_data_dirs_calibration_beats_the_shipped_one(tmp_path):
    shipped = json.loads(resources.shipped_calibration().read_text())
    home = tmp_path / "home"
    assert resources.load_calibration(home) == shipped
    assert Assistant(load_settings(index=home)).pipeline.judge.answered == pytest.approx(shipped["judge"]["answered"])
    home.mkdir(exist_ok=True)
    mine = json.loads(json.dumps(shipped))
    mine["judge"]["answered"] = 0.25
    resources.calibration_file(home).write_text(json.dumps(mine))
    assert Assistant(load_settings(index=home)).pipeline.judge.answered == 0.25
    # a setting beats both
    assert Assistant(load_settings(index=home, refusal_threshold=0.5)).pipeline.judge.answered == 0.5
    resources.calibration_file(home).write_text("{not json")
    assert resources.load_calibration(home) == shipped  # an unreadable file counts as absent


def test_eval_out_goes_with_calibrate(capsys):
    assert main(["eval", "--out", "somewhere.json"]) == 2
    assert "--out goes with --calibrate" in capsys.readouterr().err


def test_the_training_sets_join_the_judges_fit_and_are_found_next_to_the_eval_sets(tmp_path):
    """`aims eval --calibrate` adds the training sets' questions to the judge's weights: they are every folder of
    evals/training with questions and documents, and none where there is no such folder."""
    from assistant.cli.eval import training_sets

    found = training_sets()
    assert [spec.name for spec in found] == [f"tr{n}" for n in range(1, 9)]
    assert all(spec.questions.exists() and spec.corpus.is_dir() for spec in found)
    shipped = json.loads(resources.shipped_calibration().read_text())["fitted_on"]
    assert shipped["judge_weights_also_from"] == {spec.name: 100 for spec in found}
    (tmp_path / "sets.toml").write_text("")
    assert training_sets(tmp_path / "sets.toml") == []
