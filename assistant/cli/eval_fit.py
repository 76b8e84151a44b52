"""`aims eval --calibrate`: fit the ranker, its citation margin and the judge on the calibration splits.

Kept apart from the `aims eval` front end (`eval.py`) because it is the one place that fits anything:
every set's calibration questions (never a test split) are answered, their gold evidence located among
the ranked units, and the fit saved as data (`ranker.json`) that nobody edits by hand.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

from assistant.config import Settings
from assistant.evaluation import citation_hits

# Citations an answer may show in the eval: the product's default (`AIMS_TOP_K`), whatever the user's settings say,
# so that the figures measured are those of the answers a default install gives.
EVAL_K = Settings.model_fields["top_k"].default


def _hits(question, chunk, quote: str) -> bool:
    """Whether quoting `quote` from `chunk` would cite one of the question's gold citations."""
    from assistant.core.models import Citation
    from assistant.core.where import locator

    cited = Citation(n=1, source=chunk.source, page=chunk.page, section=locator(chunk), quote=quote, score=0)
    return any(citation_hits(cited, gold) for gold in question.gold)


def _calibrate(runs: list, target: Path, training: list = ()) -> dict:
    """Fit the ranker, the citation margin and the judge on every set's calibration split; save them.

    `runs` are `aims eval`'s runs (`eval._Run`: an ingested set's assistant, its spec and its questions).
    `training` are runs of the training sets (`evals/training/`): every one of their questions, asked as
    an auditor (every document visible) and ranked by the new fit, joins the calibration questions in fitting
    the judge's weights; its thresholds are set on the calibration questions alone. Leaving one calibration
    set out at a time, this caught 74 to 75 of 139 unanswerable questions at 18 to 21 of 265 answerable held
    back, against 70 to 71 at 19 to 21 on the calibration questions alone (l2 0.1, 3, 30).
    """
    from assistant.answering.judge import fit_judge, signals
    from assistant.answering.ranker import fit

    gathered = []  # (run, question, evidence) for every calibration question
    for run in runs:
        for question in run.questions:
            if question.split != "calibration":
                continue
            _, evidence = run.assistant.ask_traced(question.question, role=question.role)
            if evidence is not None:
                gathered.append((run, question, evidence))
    groups = []
    for _, question, evidence in gathered:
        if not question.answerable or not evidence.units:
            continue
        matrix = _stack([u.features for u in evidence.units])
        gold = _gold_mask(question, evidence.units)
        groups.append((matrix, gold))
    dump = os.environ.get("AIMS_EVAL_FEATURES")
    if dump:  # for developers studying the fit offline: every calibration question's unit features
        import pickle

        with open(dump, "wb") as handle:
            pickle.dump([(run.spec.name, q.id, q.answerable, _stack([u.features for u in e.units]) if e.units else None,
                          _gold_mask(q, e.units) if e.units and q.answerable else None,
                          [u.tokens for u in e.units[:5]], e.query.weights) for run, q, e in gathered], handle)
    ranker, ranker_summary = fit(groups)
    for _, _, evidence in gathered:
        evidence.units[:] = ranker.rank(evidence.units)
    context = runs[0].assistant.answerer.context if runs else 0
    ranker.margin = _fit_margin([(q, e) for _, q, e in gathered], ranker, context)
    judge, judge_summary = fit_judge([(signals(e.units, e.query), q.answerable) for _, q, e in gathered],
                                     sets=[run.spec.name for run, _, _ in gathered],
                                     weight_rows=training_signals(training, ranker))
    for run in runs:  # the figures that follow are measured with the new fit
        run.assistant.pipeline.ranker = ranker
        run.assistant.pipeline.judge = judge
    provenance = {"sets": {run.spec.name: sum(q.split == "calibration" for q in run.questions) for run in runs},
                  "judge_weights_also_from": {run.spec.name: len(run.questions) for run in training},
                  "ranker_fit": ranker_summary, "judge_fit": judge_summary}
    target.write_text(json.dumps({"ranker": ranker.to_dict(), "judge": judge.to_dict(), "fitted_on": provenance},
                                 indent=1) + "\n")
    print(f"calibrated on {len(gathered)} calibration questions of {len(runs)} sets: ranker {ranker_summary}, "
          f"margin {ranker.margin}, judge {judge_summary}; saved to {target}", file=sys.stderr)
    return provenance | {"margin": ranker.margin}


def training_signals(training: list, ranker=None) -> list:
    """(every candidate signal, answerable) for each question of the training sets' runs, asked as an auditor
    (every document visible) and ranked again by `ranker` when given (a fit the runs do not hold yet): the rows
    the judge's weights also learn from (`judge.fit_judge(weight_rows=...)`)."""
    from assistant.answering.judge import signals

    rows = []
    for run in training:
        for question in run.questions:
            _, evidence = run.assistant.ask_traced(question.question, role="auditor")
            if evidence is not None:
                if ranker is not None:
                    evidence.units[:] = ranker.rank(evidence.units)
                rows.append((signals(evidence.units, evidence.query), question.answerable))
    return rows


def _stack(rows):
    import numpy as np

    return np.stack(rows)


def _gold_mask(question, units):
    """Which units quote the question's gold evidence (what the ranker is fitted to put first)."""
    import numpy as np

    return np.asarray([_hits(question, unit.passage.chunk, unit.text) for unit in units], dtype=bool)


MARGINS = (0.25, 0.5, 1.0, 1.5, 2.0, 3.0)  # the first grid; it grows (doubling) while hit@any rises at its top
MAX_MARGINS = 12


def _fit_margin(gathered, ranker, context: int = 0) -> float:
    """The smallest citation margin whose calibration hit@any is within 0.01 of the best margin's.

    Answers are composed as `aims ask` composes them (the best quote read with `context` sentences either
    side). The margin is in the ranker's score units, whose scale a refit changes (the fit's weights may be
    many times the prior's), so the grid is doubled at its top while hit@any still rises there: "the best"
    is then the best any margin reaches, not the best of a grid that ended too soon for the fit's scale.
    """
    from assistant.answering.extractive import compose

    answerable = [(q, e) for q, e in gathered if q.answerable and e.units]
    if not answerable:
        return ranker.margin

    def hit_rate(margin: float) -> float:
        hits = 0
        for question, evidence in answerable:
            answer = compose(question.question, question.role, evidence.units, EVAL_K, evidence.searched,
                             margin=margin, context=context, context_pool=evidence.units)
            hits += any(citation_hits(c, g) for c in answer.citations for g in question.gold)
        return hits / len(answerable)

    rates = {margin: hit_rate(margin) for margin in MARGINS}
    previous, top = MARGINS[-2], MARGINS[-1]
    while rates[top] > rates[previous] and len(rates) < MAX_MARGINS:  # still rising at the grid's top: widen it
        previous, top = top, top * 2
        rates[top] = hit_rate(top)
    best = max(rates.values())
    return min(m for m, rate in rates.items() if rate >= best - 0.01)
