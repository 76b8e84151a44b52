"""The learned parts of answering: the listwise ranker fit, the judge's fit and thresholds, the stored forms."""

import numpy as np
import pytest

from assistant.answering.features import FEATURES
from assistant.answering.judge import CANDIDATE_SIGNALS, MAX_HELD_BACK, SIGNALS, Judge, fit_judge
from assistant.answering.ranker import L2_GRID, LinearRanker, fit, prior, ranker_from


def _groups(rng, n_questions=60, n_units=30, signal=FEATURES.index("rare_coverage")):
    """Questions whose gold unit stands out on one feature only, among noise on all the others."""
    groups = []
    for _ in range(n_questions):
        matrix = rng.normal(size=(n_units, len(FEATURES))).astype(np.float32)
        gold = np.zeros(n_units, dtype=bool)
        gold[rng.integers(n_units)] = True
        matrix[gold, signal] += 4.5
        groups.append((matrix, gold))
    return groups


def test_the_listwise_fit_finds_the_feature_that_marks_gold_and_ranks_it_first():
    rng = np.random.default_rng(7)
    ranker, summary = fit(_groups(rng))
    weights = dict(zip(FEATURES, ranker.weights))
    assert max(weights, key=lambda name: abs(weights[name])) == "rare_coverage" and weights["rare_coverage"] > 0
    assert summary["train_hit@1"] >= 0.85 and summary["questions"] == 60
    held_out = _groups(np.random.default_rng(8), n_questions=40)
    hits = sum(bool(gold[int(np.argmax(ranker.scores(matrix)))]) for matrix, gold in held_out)
    assert hits / 40 >= 0.8


def test_questions_without_gold_among_candidates_are_skipped_and_the_stored_form_round_trips(tmp_path):
    rng = np.random.default_rng(1)
    groups = _groups(rng, n_questions=20) + [(np.zeros((5, len(FEATURES)), np.float32), np.zeros(5, bool))]
    ranker, summary = fit(groups)
    assert summary["skipped_no_gold"] == 1 and summary["l2"] in (*L2_GRID, "prior kept")
    ranker.margin = 1.5
    again = LinearRanker.from_dict(ranker.to_dict())
    assert np.allclose(again.weights, ranker.weights, atol=1e-4) and again.margin == 1.5
    assert ranker_from({}).weights.tolist() == prior().weights.tolist()


def test_the_prior_is_kept_when_no_fit_beats_it_on_held_out_questions():
    # Gold is exactly the unit the prior ranks first (its own signals), and a handful of questions
    # carry a spurious extra feature that a fit could chase: nothing a fit learns helps held-out hit@1.
    rng = np.random.default_rng(5)
    plain = prior()
    groups = []
    for n in range(12):
        matrix = rng.normal(size=(20, len(FEATURES))).astype(np.float32)
        gold = np.zeros(20, dtype=bool)
        gold[int(np.argmax(plain.scores(matrix)))] = True
        if n % 4 == 0:
            matrix[rng.integers(20), FEATURES.index("length")] += 6.0
        groups.append((matrix, gold))
    ranker, summary = fit(groups)
    assert summary["cv_hit@1_prior"] == 1.0 and summary["l2"] == "prior kept"
    for matrix, gold in groups:
        assert gold[int(np.argmax(ranker.scores(matrix)))]


def test_the_judge_holds_back_at_most_its_share_of_answerable_questions():
    rng = np.random.default_rng(3)
    rows = [(rng.normal(1.0, 1.0, len(CANDIDATE_SIGNALS)).astype(np.float32), True) for _ in range(50)]
    rows += [(rng.normal(-1.0, 1.0, len(CANDIDATE_SIGNALS)).astype(np.float32), False) for _ in range(20)]
    judge, summary = fit_judge(rows)
    assert summary["answerable_held_back"] <= MAX_HELD_BACK
    assert summary["unanswerable_not_answered"] >= 0.7  # well-separated signals: most are caught
    assert judge.related <= judge.answered
    again = Judge.from_dict(judge.to_dict())
    assert abs(again.probability(rows[0][0]) - judge.probability(rows[0][0])) < 1e-3


def test_the_judge_holds_back_at_most_its_share_of_each_sets_answerable_questions():
    """A set whose answerable questions look weak may not spend the room a set that answers easily leaves:
    pooled, the threshold holds back a fifth of the weak set's; by set, at most a tenth of each."""
    rng = np.random.default_rng(11)
    width = len(CANDIDATE_SIGNALS)
    rows, sets = [], []
    for name, answerable_mean, count in (("easy", 2.5, 100), ("weak", 0.3, 50)):
        rows += [(rng.normal(answerable_mean, 1.0, width).astype(np.float32), True) for _ in range(count)]
        rows += [(rng.normal(-1.0, 1.0, width).astype(np.float32), False) for _ in range(30)]
        sets += [name] * (count + 30)
    pooled, pooled_summary = fit_judge(rows)
    by_set, summary = fit_judge(rows, sets=sets)
    weak = [values for (values, answerable), name in zip(rows, sets) if answerable and name == "weak"]
    held = lambda judge: sum(not judge.answers(values) for values in weak)  # noqa: E731  (the floor's too)
    assert held(pooled) > 5, "the pooled rule alone lets the weak set lose more than a tenth"
    assert held(by_set) <= 5 and summary["held_back_by_set"]["weak"] == f"{held(by_set)} of 50"
    assert by_set.answered <= pooled.answered
    assert summary["answerable_held_back"] <= pooled_summary["answerable_held_back"] <= MAX_HELD_BACK


def _rows_with_similarity(seed: int, count: int, every: int, answerable_low: float) -> list[tuple[np.ndarray, bool]]:
    """Random signals for `count` questions, every `every`-th unanswerable; the best-sentence similarity of
    the answerable ones drawn from [answerable_low, 0.8], of the others from [0.3, 0.6]."""
    rng = np.random.default_rng(seed)
    sim = CANDIDATE_SIGNALS.index("best_sentence_sim")
    rows = []
    for n in range(count):
        values = rng.normal(0.0, 1.0, len(CANDIDATE_SIGNALS)).astype(np.float32)
        values[sim] = rng.uniform(answerable_low, 0.8) if n % every else rng.uniform(0.3, 0.6)
        rows.append((values, n % every != 0))
    return rows


def test_evidence_weaker_than_any_answerable_questions_is_never_answered():
    """With under 100 answerable questions (1 % of them is none) the floor sits just under the least best-sentence
    similarity of those it was fitted on, so none is held back by it; evidence below it is not answered however
    the model reads it."""
    sim = CANDIDATE_SIGNALS.index("best_sentence_sim")
    rows = _rows_with_similarity(7, 90, 3, 0.35)
    judge, _ = fit_judge(rows)
    lowest = min(values[sim] for values, answerable in rows if answerable)
    assert lowest - 1e-3 < judge.floor < lowest
    assert not any(judge.probability(v) >= judge.answered and not judge.answers(v) for v, a in rows if a)
    weak = max((values for values, _ in rows), key=judge.probability).copy()
    assert judge.answers(weak)
    weak[sim] = judge.floor - 0.01
    assert judge.probability(weak) >= judge.answered and not judge.answers(weak)
    assert Judge.from_dict(judge.to_dict()).floor == pytest.approx(judge.floor)
    assert Judge.from_dict({k: v for k, v in judge.to_dict().items() if k != "floor"}).floor == 0.0  # older fits


def test_a_signed_judge_keeps_each_weight_on_its_signals_side():
    """A signal that, given the others, points the wrong way (a higher top score going with unanswerable
    questions) gets a negative weight in the free fit and none in the signed one; the others keep theirs."""
    from assistant.answering.judge import SIGN

    rng = np.random.default_rng(5)
    top, sim = CANDIDATE_SIGNALS.index("top_score"), CANDIDATE_SIGNALS.index("best_sentence_sim")
    rows = []
    for n in range(120):
        answerable = n % 3 != 0
        values = rng.normal(0.0, 1.0, len(CANDIDATE_SIGNALS)).astype(np.float32)
        values[sim] += 1.5 if answerable else -1.5
        values[top] += -1.0 if answerable else 1.0
        rows.append((values, answerable))
    names = ("top_score", "best_sentence_sim")
    free, _ = fit_judge(rows, names=names)
    signed, _ = fit_judge(rows, names=names, signed=True)
    assert set(SIGN) == set(CANDIDATE_SIGNALS)  # every signal the judge may read has a direction
    assert SIGN["top_score"] == 1 and free.weights[0] < 0 and signed.weights[0] == 0
    assert free.weights[1] > 0 and signed.weights[1] > 0


def test_a_question_whose_topic_words_no_document_uses_has_no_evidence():
    from assistant.answering.candidates import Candidate, Query
    from assistant.answering.features import Unit
    from assistant.answering.judge import permissive
    from assistant.core.models import Chunk, Label

    chunk = Chunk(id="c", root="r", source="a.md", ordinal=0, text="Report incidents within a day.",
                  embed_text="x", start=0, end=30, chunk_hash="h", doc_hash="d", label=Label.INTERNAL, title="t")
    unit = Unit(Candidate(chunk, np.zeros(3), np.zeros((0, 3))), 0, 30, np.zeros(len(FEATURES)), frozenset(), 1.0)
    vector = np.zeros(3)
    off_topic = Query("capital of France?", vector, ["q"], vector[None, :], {}, "q", [], unknown=["capit", "franc"])
    on_topic = Query("report incidents?", vector, ["q"], vector[None, :], {"report": 1.0}, "q", ["report"])
    assert permissive().verdict([unit], off_topic).status == "none"
    assert permissive().verdict([unit], on_topic).status == "answered"


def test_evidence_holding_a_rare_word_asked_about_is_never_none():
    from assistant.answering.candidates import Candidate, Query
    from assistant.answering.features import Unit
    from assistant.answering.judge import Judge
    from assistant.core.models import Chunk, Label

    n = len(SIGNALS)
    strict = Judge(np.zeros(n, np.float32), -5.0, np.zeros(n, np.float32), np.ones(n, np.float32),
                   answered=0.9, related=0.5)  # the model alone says `none` to everything
    chunk = Chunk(id="c", root="r", source="a.md", ordinal=0, text="FraudLens is owned by Joe Whitaker.",
                  embed_text="x", start=0, end=35, chunk_hash="h", doc_hash="d", label=Label.INTERNAL, title="t")
    vector = np.zeros(3)
    query = Query("owner of FraudLens?", vector, ["q"], vector[None, :], {"fraudlen": 2.0, "owner": 1.0}, "q",
                  ["fraudlen"])

    def unit(rare_coverage: float) -> Unit:
        features = np.zeros(len(FEATURES), np.float32)
        features[FEATURES.index("rare_coverage")] = rare_coverage
        return Unit(Candidate(chunk, np.zeros(3), np.zeros((0, 3))), 0, 35, features, frozenset({"fraudlen"}), 1.0)

    assert strict.verdict([unit(0.0)], query).status == "none"
    assert strict.verdict([unit(0.5)], query).status == "partial"  # one of the rarer words: related evidence
    assert strict.verdict([unit(1.0)], query).status == "partial"


def test_a_strong_pull_returns_the_priors_ranking_exactly_whatever_its_scale():
    # The pull is towards the prior's direction with a free scale: a fit pulled hard must rank every
    # question as the prior does (an earlier fit, pulled towards the prior's small raw weights, did not).
    from assistant.answering.ranker import _fit_weights, _prior_standardised

    rng = np.random.default_rng(11)
    groups = _groups(rng, n_questions=30)
    stacked = np.concatenate([m for m, _ in groups])
    scale = stacked.std(axis=0)
    normed = [((m - stacked.mean(axis=0)) / scale, g) for m, g in groups]
    anchor = _prior_standardised(scale)
    weights = _fit_weights(normed, anchor, l2=1e5)
    for x, _ in normed:
        assert np.array_equal(np.argsort(-(x @ weights)), np.argsort(-(x @ anchor)))
    free = _fit_weights(normed, anchor, l2=1e-4)
    assert np.linalg.norm(free) > 2 * np.linalg.norm(anchor)  # free to sharpen the softmax


@pytest.mark.parametrize("text, states_nothing", [
    ("The register is reviewed every quarter by the AIMS Manager.", False),
    ("Each impact assessment records the following:", True),
    ("- An AI tool gave an answer that could have harmed someone?", True),
    ("Report it now.", True),
])
def test_a_lead_in_a_question_or_a_scrap_is_marked_as_stating_nothing(text, states_nothing):
    from assistant.answering.features import states_nothing as marked

    assert marked(text) is states_nothing


def test_the_floor_may_hold_back_its_share_of_answerable_questions_within_the_limit():
    """One outlier among the answerable questions no longer sets the floor: it sits between the k-th and the
    (k+1)-th least similarity (k its share of them), and what it holds back counts within the held-back limit."""
    from assistant.answering.judge import MAX_FLOOR_HELD_BACK, floor_for

    sim = CANDIDATE_SIGNALS.index("best_sentence_sim")
    rows = _rows_with_similarity(5, 400, 4, 0.45)
    answerable = sorted(float(v[sim]) for v, a in rows if a)
    k = int(MAX_FLOOR_HELD_BACK * len(answerable))
    assert k >= 2
    judge, summary = fit_judge(rows)
    assert judge.floor == pytest.approx((answerable[k - 1] + answerable[k]) / 2)
    assert sum(v[sim] < judge.floor for v, a in rows if a) == k
    assert summary["answerable_held_back"] <= MAX_HELD_BACK  # the floor's k are within the limit
    assert floor_for(np.asarray(answerable), 0.0) == pytest.approx(answerable[0] - 1e-6)
    assert floor_for(np.asarray([]), 0.01) == 0.0


def test_questions_of_other_sets_shape_the_judges_weights_but_not_its_thresholds():
    """`weight_rows` (the training sets' questions) join the model's fit; the floor and the thresholds are set on
    the calibration rows alone, so their shares hold there, and a better-informed model catches more elsewhere."""
    width = len(CANDIDATE_SIGNALS)
    informative = [CANDIDATE_SIGNALS.index(name) for name in SIGNALS[:2]]

    def draw(seed: int, count: int) -> list[tuple[np.ndarray, bool]]:
        rng = np.random.default_rng(seed)
        rows = []
        for n in range(count):
            answerable = n % 3 != 0
            values = rng.normal(0.0, 1.0, width).astype(np.float32)
            values[informative] += 1.2 if answerable else -1.2
            rows.append((values, answerable))
        return rows

    calibration, training, unseen = draw(1, 45), draw(2, 900), draw(3, 3000)
    alone, alone_summary = fit_judge(calibration)
    helped, summary = fit_judge(calibration, weight_rows=training)
    assert summary["questions"] == len(calibration) and summary["answerable_held_back"] <= MAX_HELD_BACK
    sim = CANDIDATE_SIGNALS.index("best_sentence_sim")
    assert helped.floor == alone.floor < min(v[sim] for v, a in calibration if a)  # set on the calibration rows
    assert not np.allclose(helped.weights, alone.weights)

    def not_answered(judge, answerable: bool) -> int:
        return sum(not judge.answers(v) for v, a in unseen if a == answerable)

    # on unseen questions: more unanswerable caught (984 against 980) and fewer answerable held back (179, 191)
    assert not_answered(helped, False) > not_answered(alone, False)
    assert not_answered(helped, True) < not_answered(alone, True)
