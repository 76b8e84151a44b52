"""Leave-one-organisation-out cross-validation of the judge's signal choice, on calibration splits only.

Usage: python evals/judge_cv.py --work-dir DIR [--l2 0.1,3,30]
For each candidate set of signals, the judge is fitted (model and `answered` threshold) on the
calibration questions of all sets but one and applied to the held-out set's; the caught share of
unanswerable questions and the held-back share of answerable ones are pooled over the held-out sets.
This is how `judge.SIGNALS` was chosen; no test split is read.
"""

from __future__ import annotations

import argparse
from types import SimpleNamespace

from assistant.answering.judge import CANDIDATE_SIGNALS, SIGNALS, fit_judge, signals
from assistant.cli.eval import _Run, load_sets

CHOICES = {
    "all": CANDIDATE_SIGNALS,
    "without unknown_share and top_answer_type": tuple(s for s in CANDIDATE_SIGNALS
                                                      if s not in ("unknown_share", "top_answer_type")),
    "shipped (judge.SIGNALS)": SIGNALS,
    "shipped without asked_missing": tuple(s for s in SIGNALS if s != "asked_missing"),
    "shipped + coverage": SIGNALS + ("best_coverage", "union_coverage"),
    "shipped + unknown_share": SIGNALS + ("unknown_share",),
    "shipped + score_gap": SIGNALS + ("score_gap",),
}


def gather(work_dir: str) -> list[tuple[str, bool, object]]:
    """(set, answerable, every candidate signal) for each calibration question of every present set."""
    rows, embedder = [], None
    for spec in load_sets():
        if not all(path.exists() for path in spec.paths()):
            continue
        run = _Run(spec, SimpleNamespace(chroma_url=None, bridge=False, with_stages=None), f"{work_dir}/{spec.name}",
                   embedder)
        embedder = run.assistant.embedder
        for question in run.questions:
            if question.split == "calibration":
                _, evidence = run.assistant.ask_traced(question.question, role=question.role)
                if evidence is not None:
                    rows.append((spec.name, question.answerable, signals(evidence.units, evidence.query)))
        run.assistant.close()
    return rows


def held_out(rows, names: tuple[str, ...], l2: float) -> tuple[float, float]:
    """(unanswerable caught, answerable held back), each pooled over the held-out sets."""
    caught = held = unanswerable = answerable = 0
    for out in sorted({name for name, _, _ in rows}):
        judge, _ = fit_judge([(values, a) for name, a, values in rows if name != out], l2=l2, names=names)
        for name, is_answerable, values in rows:
            if name != out:
                continue
            answered = judge.probability(values) >= judge.answered
            answerable += is_answerable
            unanswerable += not is_answerable
            held += is_answerable and not answered
            caught += (not is_answerable) and not answered
    return caught / max(unanswerable, 1), held / max(answerable, 1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--work-dir", required=True, help="the sets' indexes, as `aims eval --work-dir` keeps them")
    parser.add_argument("--l2", default="0.1,3,30")
    args = parser.parse_args()
    rows = gather(args.work_dir)
    print(f"{len(rows)} calibration questions of {len({r[0] for r in rows})} sets")
    print("| signals | l2 | unanswerable caught | answerable held back |\n|---|---|---|---|")
    for label, names in CHOICES.items():
        for l2 in (float(v) for v in args.l2.split(",")):
            caught, held = held_out(rows, names, l2)
            print(f"| {label} | {l2:g} | {caught:.3f} | {held:.3f} |")


if __name__ == "__main__":
    main()
