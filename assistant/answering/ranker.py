"""Stage 3 of answering: one linear ranker over the units' features, its weights fitted and stored as data.

Swapping the ranker means editing this file. The weights are fitted by `aims eval --calibrate` on
the calibration splits of every question set (never a test split) as a listwise logistic model:
for each question, a softmax over its candidate units, trained to put the probability on the units
that quote the gold evidence, pulled towards the prior's direction. Nobody sets them by hand;
`ranker.json` (found through `assistant.resources`) holds the fit and what it was fitted on.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from assistant.answering.features import FEATURES, Unit

# Before any fit: an even blend of the meaning and word signals, so a fresh checkout still ranks sensibly.
_PRIOR = {"sentence_sim": 1.0, "chunk_sim": 0.6, "coverage": 0.8, "answer_type": 0.3, "fused": 0.4,
          "fragment": -0.3}


@dataclass
class LinearRanker:
    """score = w · (x - mean) / scale, over the features named in FEATURES."""

    weights: np.ndarray
    mean: np.ndarray
    scale: np.ndarray
    margin: float = 0.25  # units within this of the best score join it in an answer (fitted with the weights)

    def scores(self, matrix: np.ndarray) -> np.ndarray:
        """One score per row of a units-by-features matrix."""
        return ((matrix - self.mean) / self.scale) @ self.weights

    def rank(self, units: list[Unit]) -> list[Unit]:
        """The units with their scores set, best first."""
        if not units:
            return []
        scores = self.scores(np.stack([u.features for u in units]))
        for unit, score in zip(units, scores):
            unit.score = float(score)
        return sorted(units, key=lambda u: u.score, reverse=True)

    def to_dict(self) -> dict:
        """The stored form (named weights, so a reader sees what matters)."""
        return {"features": list(FEATURES),
                "weights": {n: round(float(w), 5) for n, w in zip(FEATURES, self.weights)},
                "mean": [round(float(v), 6) for v in self.mean], "scale": [round(float(v), 6) for v in self.scale],
                "margin": self.margin}

    @classmethod
    def from_dict(cls, data: dict) -> LinearRanker:
        """A ranker from its stored form; features it does not know get weight 0."""
        names = data.get("features", [])
        if names != list(FEATURES):
            raise ValueError("ranker.json was fitted on other features; run aims eval --calibrate")
        return cls(np.asarray([data["weights"][n] for n in FEATURES], dtype=np.float32),
                   np.asarray(data["mean"], dtype=np.float32), np.asarray(data["scale"], dtype=np.float32),
                   float(data.get("margin", 0.25)))


def prior() -> LinearRanker:
    """The unfitted ranker: a few plain weights on raw features."""
    return LinearRanker(np.asarray([_PRIOR.get(n, 0.0) for n in FEATURES], dtype=np.float32),
                        np.zeros(len(FEATURES), np.float32), np.ones(len(FEATURES), np.float32))


def ranker_from(calibration: dict) -> LinearRanker:
    """The fitted ranker of a calibration (`ranker.json`'s content), or the prior when there is none or it is stale."""
    try:
        return LinearRanker.from_dict(calibration["ranker"])
    except (ValueError, KeyError, TypeError):
        return prior()


L2_GRID = (0.003, 0.03, 0.3, 3.0, 30.0, 300.0)  # strengths of the pull towards the prior, chosen by cross-validation


def _prior_standardised(scale: np.ndarray) -> np.ndarray:
    """The prior's weights in the standardised feature space (what the fit is pulled towards)."""
    return np.asarray([_PRIOR.get(n, 0.0) for n in FEATURES]) * scale


def _listwise_loss(weights: np.ndarray, normed: list[tuple[np.ndarray, np.ndarray]]) -> tuple[float, np.ndarray]:
    """Mean over questions of -log P(a gold unit) under a softmax of the scores, and its gradient."""
    total, grad = 0.0, np.zeros_like(weights)
    for x, gold in normed:
        z = x @ weights
        z = z - z.max()
        p = np.exp(z)
        p /= p.sum()
        p_gold = max(float(p[gold].sum()), 1e-12)
        total -= np.log(p_gold)
        grad -= x.T @ (np.where(gold, p / p_gold, 0.0) - p)
    return total / len(normed), grad / len(normed)


def _fit_weights(normed: list[tuple[np.ndarray, np.ndarray]], anchor: np.ndarray, l2: float) -> np.ndarray:
    """Minimise the mean listwise loss + l2 * |w - t * anchor|^2 over the weights w and a free scale t.

    The pull is towards the prior's direction, not its size: a softmax over the prior's small raw
    weights is nearly flat, so a pull towards the weights themselves made the fit trade ranking for
    sharpness (and a strong pull ranked worse than the prior it was pulled to). The scale t is free
    (at least 1, never flipping the prior), so a strong pull returns the prior's ranking exactly.
    Solved with L-BFGS (the problem is smooth and convex in w for each t), starting from the prior.
    """
    from scipy.optimize import minimize

    def objective(packed: np.ndarray) -> tuple[float, np.ndarray]:
        weights, t = packed[:-1], packed[-1]
        loss, grad = _listwise_loss(weights, normed)
        gap = weights - t * anchor
        return loss + l2 * float(gap @ gap), np.concatenate([grad + 2 * l2 * gap, [-2 * l2 * float(gap @ anchor)]])

    start = np.concatenate([anchor, [1.0]])
    bounds = [(None, None)] * len(anchor) + [(1.0, None)]  # the prior's direction, at its own size or sharper
    result = minimize(objective, start, jac=True, method="L-BFGS-B", bounds=bounds, options={"maxiter": 500})
    return result.x[:-1]


def _hit_at_1(normed, weights) -> float:
    return sum(bool(g[int(np.argmax(x @ weights))]) for x, g in normed) / max(1, len(normed))


def fit(groups: list[tuple[np.ndarray, np.ndarray]], folds: int = 5, seed: int = 0) -> tuple[LinearRanker, dict]:
    """Fit the weights on (features matrix, gold mask) per question: listwise softmax, pulled towards the prior.

    The pull's strength is chosen by k-fold cross-validation over the questions (held-out hit@1), and the
    prior itself is kept when no strength beats it there, so a small calibration set cannot drag the
    ranker below the prior on questions it did not see. Questions whose candidates hold no gold unit
    teach nothing and are skipped. Returns the ranker and a summary of the fit.
    """
    used = [(m, g) for m, g in groups if g.any() and len(m) > 1]
    if not used:
        raise ValueError("no calibration question has gold evidence among its candidates")
    stacked = np.concatenate([m for m, _ in used])
    mean = stacked.mean(axis=0)
    scale = stacked.std(axis=0)
    scale[scale < 1e-6] = 1.0
    normed = [((m - mean) / scale, g) for m, g in used]
    anchor = _prior_standardised(scale)
    order = np.random.default_rng(seed).permutation(len(normed))
    cv: dict[float, float] = {}
    for l2 in L2_GRID:
        held_out = []
        for fold in range(folds):
            test_ids = set(order[fold::folds].tolist())
            train = [g for i, g in enumerate(normed) if i not in test_ids]
            test = [g for i, g in enumerate(normed) if i in test_ids]
            weights = _fit_weights(train, anchor, l2)
            held_out += [bool(g[int(np.argmax(x @ weights))]) for x, g in test]
        cv[l2] = sum(held_out) / len(held_out)
    best_l2 = max(L2_GRID, key=lambda l2: (round(cv[l2], 6), l2))  # ties: the stronger pull to the prior
    # The prior is fitted on nothing, so its hit@1 over every question is already a held-out figure.
    # When no fit beats it on questions the fit did not see, the prior is kept: the fit only adds noise.
    prior_hit = _hit_at_1(normed, anchor)
    keep_prior = prior_hit >= cv[best_l2]
    weights = anchor.copy() if keep_prior else _fit_weights(normed, anchor, best_l2)
    ranker = LinearRanker(weights.astype(np.float32), mean.astype(np.float32), scale.astype(np.float32))
    return ranker, {"questions": len(used), "skipped_no_gold": len(groups) - len(used),
                    "l2": "prior kept" if keep_prior else best_l2,
                    "cv_hit@1": {str(k): round(v, 4) for k, v in cv.items()},
                    "cv_hit@1_prior": round(prior_hit, 4),
                    "train_hit@1": round(_hit_at_1(normed, weights), 4)}
