"""Whether the ranked evidence answers the question: answered, related only (partial), or none.

"The documents discuss this" is not "the documents say this": a question about the fee for a notice
finds passages about the notice. The judge reads question-level signals of the ranked evidence (the
best unit's ranker score and meaning, how much of the question's rarer terms the best units contain,
whether the asked-for kind of answer is there, whether a specific value asked for (an amount, a phone
number, a date) is stated at all) through a small logistic model, fitted with its two
thresholds by `aims eval --calibrate` on the calibration splits: at most 10 % of answerable
calibration questions may be held back from `answered`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from assistant.answering.candidates import Query, rarest_terms
from assistant.answering.features import FEATURES, Unit, coverage
from assistant.answering.values import missing_values
from assistant.core.stats import wilson_bounds

# Every question-level signal `signals` computes, in order; the model reads the SIGNALS among them.
CANDIDATE_SIGNALS = ("top_score", "top_sentence_sim", "best_sentence_sim", "best_coverage", "best_rare_coverage",
                     "union_coverage", "unknown_share", "top_answer_type", "score_gap", "value_missing",
                     "asked_missing")
# Chosen by leave-one-organisation-out cross-validation on the calibration splits (`evals/judge_cv.py`):
# these four caught more unanswerable questions, holding back fewer answerable ones, than all ten; `asked_missing`
# (the thing a "what / which X" question asks for, named in none of the best units) was added later the same way.
SIGNALS = ("top_score", "best_sentence_sim", "best_rare_coverage", "value_missing", "asked_missing")
JUDGED_UNITS = 3  # the best units the signals read (those an answer leads with)
TOPIC_WORDS = 2  # a unit holding one of the question's this many rarest words is on its topic (`values`)
MAX_HELD_BACK = 0.10  # share of answerable questions the `answered` threshold may hold back
MAX_NONE = 0.02  # share of answerable questions the `none` threshold may drop to no evidence
# Share of answerable calibration questions the similarity floor (`Judge.floor`) may hold back, within MAX_HELD_BACK.
# Under the least similarity of all of them, one outlier set the floor (0.274; the next is 0.353), and everyday
# questions off every topic (`evals/offtopic-questions.jsonl`) sat between the two. Chosen leave one set out over
# the calibration splits and that set (`python evals/judge_cv.py --work-dir DIR --offtopic --l2 0.1`): shares 0,
# 0.005, 0.01, 0.015 and 0.02 left 43, 43, 47, 49 and 50 of the 60 off-topic questions not answered, at 12, 12,
# 12, 14 and 16 of 240 answerable held back in all (69, 69, 69, 69 and 66 of 127 unanswerable caught).
MAX_FLOOR_HELD_BACK = 0.01
# How sure the thresholds are to keep those shares on questions they were not fitted on: a threshold
# fitted to hold back exactly 10 % of the calibration questions held back 10.5-13.9 % of the test
# splits' answerable questions, so the share allowed on calibration is the largest whose one-sided
# Wilson upper bound at this confidence is within the limit (about 7 % of 173 questions for 10 %).
CONFIDENCE = 0.90
# The limit holds for each question set (each deployment) too, not only for all of them together: fitted on the
# pooled questions alone, the threshold held back 12 % of two sets' calibration questions (and 15 % of one
# when that set was left out of the fit), where a set that answered easily made room for them. So `answered`
# is also the highest threshold at which no set's calibration questions lose more than this share (`fit_judge`).
# The direction each signal should push the confidence in: more similarity, score or coverage never
# against answering, a value or asked-for word missing never for it. `fit_judge(signed=True)` holds each
# weight to its sign (tried, and a tie on held-out sets: `evals/judge_cv.py`; the shipped fit is free).
SIGN = {"top_score": 1, "top_sentence_sim": 1, "best_sentence_sim": 1, "best_coverage": 1, "best_rare_coverage": 1,
        "union_coverage": 1, "unknown_share": -1, "top_answer_type": 1, "score_gap": 1, "value_missing": -1,
        "asked_missing": -1}
_INDEX = {name: FEATURES.index(name) for name in ("sentence_sim", "coverage", "rare_coverage", "text_coverage",
                                                  "answer_type")}


_RARE = CANDIDATE_SIGNALS.index("best_rare_coverage")
_SIM = CANDIDATE_SIGNALS.index("best_sentence_sim")


@dataclass
class Verdict:
    """The kind of answer the evidence supports, with the model's confidence."""

    status: str  # answered | partial | none
    confidence: float
    signals: dict[str, float] = field(default_factory=dict)
    missing_values: list[str] = field(default_factory=list)  # kinds of value asked for that no best unit states


def signals(units: list[Unit], query: Query | None = None, missing: list[str] | None = None) -> np.ndarray:
    """The question-level signals of ranked units (best first), in the order of CANDIDATE_SIGNALS.

    `unknown_share` is the share of the question's topic words that no indexed document uses at all
    (a question about a fee in documents that never mention fees); `value_missing` is 1 when the
    question asks for a specific value (an amount, a contact, a time, a date, a count) that none of
    the best units states (`missing`, when the caller has worked it out already); `asked_missing` is the
    share of the words naming what a "what / which X" question asks for ("Which subprocessors ...?") that
    none of the best units (with their headings) contains: 0 for a question that names no such thing.
    """
    if not units:
        return np.zeros(len(CANDIDATE_SIGNALS), dtype=np.float32)
    top = units[0].features
    best = np.stack([u.features for u in units[:JUDGED_UNITS]])
    gap = units[0].score - units[1].score if len(units) > 1 else 1.0
    weights = query.weights if query is not None else {}
    union = set().union(*(u.tokens for u in units[:JUDGED_UNITS]))
    union_coverage = coverage(weights, union) if weights else 0.0
    topics = len(weights) + len(query.unknown) if query is not None else 0
    unknown_share = len(query.unknown) / topics if topics else 0.0
    value_missing = float(bool(missing_value_kinds(units, query) if missing is None else missing))
    asked = query.asked if query is not None else []
    asked_missing = sum(term not in union for term in asked) / len(asked) if asked else 0.0
    return np.asarray([units[0].score, top[_INDEX["sentence_sim"]], best[:, _INDEX["sentence_sim"]].max(),
                       best[:, _INDEX["coverage"]].max(), best[:, _INDEX["rare_coverage"]].max(), union_coverage,
                       unknown_share, top[_INDEX["answer_type"]], min(gap, 3.0), value_missing, asked_missing],
                      dtype=np.float32)


def missing_value_kinds(units: list[Unit], query: Query | None) -> list[str]:
    """How the kinds of value the question asks for, and none of the best units states, are described.

    Read over the first JUDGED_UNITS units: those an answer leads with (the judge's, or the LLM's choice).
    """
    if query is None:
        return []
    best = units[:JUDGED_UNITS]
    rarest = set(rarest_terms(query.weights, TOPIC_WORDS))
    on_topic = [bool(rarest & u.tokens) for u in best] if rarest else None
    return [kind.named_for(query.text) for kind in missing_values(query.text, [u.text for u in best], on_topic)]


@dataclass
class Judge:
    """P(the evidence answers) = logistic(w · standardised signals + b), and the thresholds on it."""

    weights: np.ndarray  # one per name in `names`
    bias: float
    mean: np.ndarray
    scale: np.ndarray
    answered: float  # at or above: answered
    related: float  # at or above (and below `answered`): partial; below: none
    names: tuple[str, ...] = SIGNALS  # the candidate signals the model reads
    # The least best-sentence similarity an answer may rest on: under that of all but MAX_FLOOR_HELD_BACK of the
    # answerable calibration questions (`floor_for`). The unanswerable calibration questions ask a detail of a topic
    # the documents cover, so the model learnt little about questions off every topic ("Can I bring my dog to the
    # office?"), and it weighs a low top score as a sign of an answerable question; evidence this weak is not one.
    floor: float = 0.0

    def probability(self, values: np.ndarray) -> float:
        """The model's probability that evidence with these signals (all of CANDIDATE_SIGNALS) answers the question."""
        chosen = values[[CANDIDATE_SIGNALS.index(name) for name in self.names]]
        z = float(((chosen - self.mean) / self.scale) @ self.weights + self.bias)
        return 1.0 / (1.0 + np.exp(-z))

    def answers(self, values: np.ndarray) -> bool:
        """Whether evidence with these signals (all of CANDIDATE_SIGNALS) is `answered`."""
        return self.probability(values) >= self.answered and values[_SIM] >= self.floor

    def verdict(self, units: list[Unit], query: Query | None = None) -> Verdict:
        """answered / partial / none for the ranked units of one question.

        A question none of whose topic words any document uses is `none` whatever the model says; one
        with any of its rarer topic words in a best unit is at least `partial` (the documents discuss
        it, so there is related evidence to show, whether or not it states what was asked): `none`
        shows no quotes at all, so it is kept for evidence that shares nothing rare with the question.
        """
        if not units:
            return Verdict("none", 0.0)
        if query is not None and query.unknown and not query.weights:
            return Verdict("none", 0.0)  # no document uses any of the words asked about: nothing to quote on it
        missing = missing_value_kinds(units, query)
        values = signals(units, query, missing)
        p = self.probability(values)
        status = "answered" if self.answers(values) else "partial" if p >= self.related else "none"
        if status == "none" and values[_RARE] > 0.0:
            status = "partial"  # the best units hold a rarer word asked about: related evidence exists to show
        return Verdict(status, round(p, 4), {n: round(float(v), 4) for n, v in zip(CANDIDATE_SIGNALS, values)},
                       missing)

    def to_dict(self) -> dict:
        """The stored form."""
        return {"signals": list(self.names),
                "weights": {n: float(w) for n, w in zip(self.names, self.weights)},
                "bias": float(self.bias), "mean": [float(v) for v in self.mean],
                "scale": [float(v) for v in self.scale], "answered": float(self.answered),
                "related": float(self.related),  # unrounded: a calibration question sits on each threshold
                "floor": float(self.floor)}

    @classmethod
    def from_dict(cls, data: dict) -> Judge:
        """A judge from its stored form (its signals must all be ones `signals` computes)."""
        names = tuple(data.get("signals") or ())
        if not names or any(name not in CANDIDATE_SIGNALS for name in names):
            raise ValueError("the judge was fitted on other signals; run aims eval --calibrate")
        return cls(np.asarray([data["weights"][n] for n in names], dtype=np.float32), float(data["bias"]),
                   np.asarray(data["mean"], dtype=np.float32), np.asarray(data["scale"], dtype=np.float32),
                   float(data["answered"]), float(data["related"]), names, float(data.get("floor", 0.0)))


def permissive() -> Judge:
    """Before any fit: everything with evidence is answered (what the assistant did before the judge)."""
    n = len(SIGNALS)
    return Judge(np.zeros(n, np.float32), 0.0, np.zeros(n, np.float32), np.ones(n, np.float32), 0.0, 0.0)


def judge_from(calibration: dict) -> Judge:
    """The fitted judge of a calibration (`ranker.json`'s content), or the permissive one when there is none."""
    try:
        return Judge.from_dict(calibration["judge"])
    except (ValueError, KeyError, TypeError):
        return permissive()


def fit_judge(rows: list[tuple[np.ndarray, bool]], l2: float = 0.1, steps: int = 4000,
              names: tuple[str, ...] = SIGNALS, signed: bool = False,
              sets: list[str] | None = None, floor_share: float = MAX_FLOOR_HELD_BACK,
              weight_rows: list[tuple[np.ndarray, bool]] = ()) -> tuple[Judge, dict]:
    """Fit the model on (signals, answerable) per calibration question, then its thresholds.

    Each row holds every candidate signal (`signals`); the model reads those in `names`. `signed`
    holds each weight to its signal's SIGN (a weight that would cross zero stays at zero). `sets` names
    the question set of each row (all one set when None).

    `answered` is the highest threshold that holds back at most MAX_HELD_BACK of the answerable
    questions, with CONFIDENCE that the share holds beyond the calibration questions (`allowed_below`),
    and at most that share of any one set's, counting those the similarity floor holds back (`floor_for`, at
    `floor_share` of them); `related` the highest that drops at most MAX_NONE of them to "no evidence", with
    the same confidence. `weight_rows` (questions of other document sets, such as the training sets) join
    `rows` in fitting the model's weights only; the thresholds and the floor are set on `rows` alone.
    """
    columns = [CANDIDATE_SIGNALS.index(name) for name in names]
    fitted = list(rows) + list(weight_rows)
    x = np.stack([r[columns] for r, _ in fitted]).astype(np.float64)
    y = np.asarray([a for _, a in fitted], dtype=np.float64)
    mean, scale = x.mean(axis=0), x.std(axis=0)
    scale[scale < 1e-6] = 1.0
    z = (x - mean) / scale
    w, b = np.zeros(x.shape[1]), 0.0
    signs = np.asarray([SIGN[name] for name in names], dtype=np.float64)
    positive_weight = (1 - y.mean()) / max(y.mean(), 1e-6)  # balance the classes
    sample_weight = np.where(y > 0, positive_weight, 1.0)
    for _ in range(steps):
        p = 1 / (1 + np.exp(-(z @ w + b)))
        err = (p - y) * sample_weight / sample_weight.sum()
        w -= 0.5 * (z.T @ err + 2 * l2 * w / len(y))
        b -= 0.5 * err.sum()
        if signed:
            w = np.where(w * signs < 0, 0.0, w)
    judge = Judge(w.astype(np.float32), float(b), mean.astype(np.float32), scale.astype(np.float32), 0.0, 0.0,
                  tuple(names))
    y = np.asarray([a for _, a in rows], dtype=np.float64)  # the thresholds are set on the calibration rows
    similarity = np.asarray([r[_SIM] for r, _ in rows], dtype=np.float64)
    judge.floor = floor_for(similarity[y > 0], floor_share)
    probabilities = np.asarray([judge.probability(r) for r, _ in rows])
    related = np.sort(probabilities[y > 0])
    # what the floor holds back is held back whatever the threshold: it counts within the threshold's limit
    probabilities[similarity < judge.floor] = -1.0
    yes = np.sort(probabilities[y > 0])
    no = probabilities[y == 0]
    per_set = None
    if sets is not None:
        set_of = np.asarray(sets)
        per_set = {str(name): probabilities[(y > 0) & (set_of == name)] for name in sorted(set(set_of[y > 0]))}
    judge.answered = _quantile_threshold(yes, MAX_HELD_BACK, per_set)
    judge.related = _quantile_threshold(related, MAX_NONE)
    answered = np.asarray([judge.answers(r) for r, _ in rows])
    held_back = float((~answered[y > 0]).mean()) if len(yes) else 0.0
    caught = float((~answered[y == 0]).mean()) if len(no) else 0.0
    summary = {"questions": len(rows), "answerable": int(y.sum()), "unanswerable": int((y == 0).sum()),
               "answerable_held_back": round(held_back, 4), "unanswerable_not_answered": round(caught, 4)}
    if per_set is not None:
        summary["held_back_by_set"] = {name: f"{int((p < judge.answered).sum())} of {len(p)}"
                                       for name, p in per_set.items()}
    return judge, summary


def floor_for(similarities: np.ndarray, share: float = MAX_FLOOR_HELD_BACK) -> float:
    """The least best-sentence similarity an answer may rest on: midway between the answerable calibration
    questions' k-th and (k+1)-th least, k = `share` of them (just under the least of them when k is 0)."""
    ranked = np.sort(np.asarray(similarities, dtype=np.float64))
    if not len(ranked):
        return 0.0
    k = min(int(share * len(ranked) + 1e-9), len(ranked) - 1)
    return float((ranked[k - 1] + ranked[k]) / 2) if k else float(ranked[0]) - 1e-6


def allowed_below(n: int, share: float, confidence: float = CONFIDENCE) -> int:
    """How many of n calibration questions a threshold may put below it so that, with `confidence`, the
    share below it on unseen questions is at most `share`: the largest k whose one-sided Wilson upper
    bound on k/n is within `share` (0 when even none is not; then only the lowest is kept above)."""
    from statistics import NormalDist

    z = NormalDist().inv_cdf(confidence)
    best = 0
    for k in range(n + 1):
        if wilson_bounds(k, n, z)[1] > share:
            break
        best = k
    return best


def _quantile_threshold(sorted_yes: np.ndarray, share: float, per_set: dict[str, np.ndarray] | None = None) -> float:
    """A threshold below which at most `allowed_below` of these (sorted) probabilities fall, midway between two,
    and at most `share` of each set's in `per_set` (the highest such threshold)."""
    if not len(sorted_yes):
        return 0.5
    caps = {name: int(share * len(values) + 1e-9) for name, values in (per_set or {}).items()}
    for allowed in range(allowed_below(len(sorted_yes), share), 0, -1):
        threshold = float((sorted_yes[allowed - 1] + sorted_yes[allowed]) / 2)
        if all(int((per_set[name] < threshold).sum()) <= cap for name, cap in caps.items()):
            return threshold
    return float(sorted_yes[0]) - 1e-6
