"""The pure metric functions behind `aims eval`: hits, ranks, AUC, the diagnosis and the gate."""

from assistant.core.models import Citation
from assistant.evaluation import EvalQuestion, Gold, auc, calibrate, citation_hits, diagnose, gate, gold_rank


def _question(answerable: bool = True) -> EvalQuestion:
    gold = [Gold(source="policy.md", quote="Report incidents within 24 hours")] if answerable else []
    return EvalQuestion(id="q", question="How fast?", role="staff", category="c", answerable=answerable,
                        gold=gold, must_not_contain=[], split="test")


def _cite(source: str, quote: str, page: int | None = None) -> Citation:
    return Citation(n=1, source=source, page=page, section=None, quote=quote, score=0.0)


def test_a_hit_needs_the_gold_document_and_an_overlapping_quote():
    gold = Gold(source="policy.md", quote="Report incidents within 24 hours")
    assert citation_hits(_cite("policy.md", "Staff must report incidents within 24 hours of noticing them."), gold)
    assert not citation_hits(_cite("other.md", "Report incidents within 24 hours"), gold)
    assert not citation_hits(_cite("policy.md", "Training is annual."), gold)
    assert citation_hits(_cite("a.pdf", "anything", page=3), Gold(source="a.pdf", quote="x", page=3))


def test_gold_rank_finds_the_first_hitting_candidate():
    candidates = [_cite("policy.md", "Training is annual."), _cite("policy.md", "Report incidents within 24 hours.")]
    assert gold_rank(candidates, _question()) == 2
    assert gold_rank(candidates[:1], _question()) is None


def test_auc_counts_ties_as_half_and_needs_both_classes():
    assert auc([0.9, 0.8], [0.1]) == 1.0
    assert auc([0.5], [0.5]) == 0.5
    assert auc([0.1], [0.9]) == 0.0
    assert auc([], [0.1]) is None


def test_diagnose_splits_losses_between_retrieval_choice_and_refusal():
    rows = [
        {"question": _question(), "sentence_rank": 1, "passage_rank": 1, "strength": 0.9},
        {"question": _question(), "sentence_rank": 7, "passage_rank": 2, "strength": 0.7},
        {"question": _question(), "sentence_rank": None, "passage_rank": None, "strength": 0.4},
        {"question": _question(answerable=False), "sentence_rank": None, "passage_rank": None, "strength": 0.5},
    ]
    found = diagnose(rows)
    assert found["answerable"] == 3
    assert abs(found["gold_among_scored"] - 2 / 3) < 1e-9
    assert abs(found["gold_sentence_at_1"] - 1 / 3) < 1e-9
    assert abs(found["gold_passage_in_5"] - 2 / 3) < 1e-9
    assert abs(found["refusal_auc"] - 2 / 3) < 1e-9


def test_calibration_maximises_accuracy_and_the_gate_fails_on_leaks_and_floors():
    fitted = calibrate([(0.9, True), (0.8, True), (0.3, False), (0.2, False)])
    assert 0.3 < fitted["threshold"] <= 0.8 and fitted["accuracy"] == 1.0
    ours = {"hit@1": 0.5, "hit@5": 0.9, "refusal": 1.0, "leaks": 1}
    regressions, missed = gate(ours, {"hit@1": 0.45}, {"hit@1": 0.6})
    assert any("leaks" in r for r in regressions) and any("hit@1" in r for r in regressions)
    assert any("margin" in m for m in missed)
