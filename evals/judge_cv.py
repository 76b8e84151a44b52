"""Leave-one-organisation-out cross-validation of the judge's signal choice, on calibration splits only.

Usage: python evals/judge_cv.py --work-dir DIR [--l2 0.1,3,30] [--batch GLOB] [--pooled] [--offtopic] [--training]
For each candidate set of signals, the judge is fitted (model and `answered` threshold, with each set's
limit unless --pooled) on the calibration questions of all sets but one and applied to the held-out
set's; the caught share of unanswerable questions and the held-back share of answerable ones are pooled
over the held-out sets.
This is how `judge.SIGNALS` was chosen; no test split is read. The shipped signals are also fitted
with each weight held to its sign (`judge.SIGN`), and, with `--batch`, the same folds are counted
apart for the questions whose id matches GLOB (for example '*-n0*', a batch no choice was made on)
and for the others. With `--offtopic`, the shipped signals are also fitted at several shares of answerable
questions the similarity floor may hold back (`judge.MAX_FLOOR_HELD_BACK`), and each held-out set's everyday
off-topic questions (`evals/offtopic-questions.jsonl`, asked as staff; never the `-test` file) are counted too.
With `--training`, every choice is fitted twice: on the calibration questions alone, and with the training sets'
questions (`evals/training/`, asked as an auditor, indexed under DIR/training) joining the model's weights only, as
`aims eval --calibrate` fits the shipped judge; the thresholds are set on the calibration questions either way.
"""

from __future__ import annotations

import argparse
import json
from fnmatch import fnmatch
from pathlib import Path
from types import SimpleNamespace

from assistant.answering.judge import CANDIDATE_SIGNALS, MAX_FLOOR_HELD_BACK, SIGNALS, fit_judge, signals
from assistant.cli.eval import _Run, load_sets, training_sets
from assistant.cli.eval_fit import training_signals

OFFTOPIC = Path(__file__).resolve().parent / "offtopic-questions.jsonl"
FLOOR_SHARES = (0.0, 0.005, 0.01, 0.015, 0.02)
SIGNED = "shipped, signed (judge.SIGN)"  # the one choice fitted with each weight held to its sign
CHOICES = {
    "all": CANDIDATE_SIGNALS,
    "without unknown_share and top_answer_type": tuple(s for s in CANDIDATE_SIGNALS
                                                      if s not in ("unknown_share", "top_answer_type")),
    "shipped (judge.SIGNALS)": SIGNALS,
    SIGNED: SIGNALS,
    "shipped without asked_missing": tuple(s for s in SIGNALS if s != "asked_missing"),
    "shipped + coverage": SIGNALS + ("best_coverage", "union_coverage"),
    "shipped + unknown_share": SIGNALS + ("unknown_share",),
    "shipped + score_gap": SIGNALS + ("score_gap",),
}


def gather(work_dir: str, offtopic: list[dict] | None = None) -> list[tuple[str, bool, object, str]]:
    """(set, answerable, every candidate signal, id) for each calibration question of every present set, and
    for each of the `offtopic` questions asked of its organisation's set (answerable None: off every topic)."""
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
                    rows.append((spec.name, question.answerable, signals(evidence.units, evidence.query), question.id))
        for question in (q for q in offtopic or [] if q["org"] == spec.name):
            _, evidence = run.assistant.ask_traced(question["question"], role="staff")
            if evidence is not None:
                rows.append((spec.name, None, signals(evidence.units, evidence.query), question["id"]))
        run.assistant.close()
    return rows


def gather_training(work_dir: str) -> list[tuple]:
    """(every candidate signal, answerable) for each question of every training set, as `--calibrate` reads them."""
    rows, embedder = [], None
    for spec in training_sets():
        run = _Run(spec, SimpleNamespace(chroma_url=None, bridge=False, with_stages=None),
                   f"{work_dir}/training/{spec.name}", embedder)
        embedder = run.assistant.embedder
        rows += training_signals([run])
        run.assistant.close()
    return rows


def held_out(rows, names: tuple[str, ...], l2: float, signed: bool = False, batch: str | None = None,
             pooled: bool = False, floor_share: float = MAX_FLOOR_HELD_BACK, weight_rows=()) -> dict:
    """{group: (unanswerable caught, answerable held back, unanswerable, answerable)}, pooled over the
    held-out sets; the groups are "all" and, with `batch`, the questions whose id matches it and the others."""
    counts: dict[str, list[int]] = {}
    for out in sorted({row[0] for row in rows}):
        kept = [row for row in rows if row[0] != out and row[1] is not None]
        judge, _ = fit_judge([(values, a) for _, a, values, _ in kept], l2=l2, names=names, signed=signed,
                             sets=None if pooled else [row[0] for row in kept], floor_share=floor_share,
                             weight_rows=weight_rows)
        for name, is_answerable, values, qid in rows:
            if name != out:
                continue
            answered = judge.answers(values)
            if is_answerable is None:  # an off-topic question: counted as caught when not answered
                tally = counts.setdefault("off-topic", [0, 0, 0, 0])
                tally[0] += not answered
                tally[2] += 1
                continue
            groups = ["all"] if batch is None else ["all", f"ids {batch}" if fnmatch(qid, batch) else "other ids"]
            for group in groups:
                tally = counts.setdefault(group, [0, 0, 0, 0])
                tally[0] += (not is_answerable) and not answered
                tally[1] += is_answerable and not answered
                tally[2] += not is_answerable
                tally[3] += is_answerable
    return {group: tuple(tally) for group, tally in counts.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--work-dir", required=True, help="the sets' indexes, as `aims eval --work-dir` keeps them")
    parser.add_argument("--l2", default="0.1,3,30")
    parser.add_argument("--batch", help="also count apart the questions whose id matches this glob")
    parser.add_argument("--pooled", action="store_true",
                        help="set the `answered` threshold on the pooled questions alone, without each set's limit "
                             "(the rule before the stop after a0445cc)")
    parser.add_argument("--offtopic", action="store_true",
                        help="also count the everyday off-topic questions, and try several floor shares")
    parser.add_argument("--training", action="store_true",
                        help="also fit each choice with the training sets' questions in the model's weights")
    args = parser.parse_args()
    offtopic = [json.loads(line) for line in OFFTOPIC.read_text().splitlines() if line.strip()] if args.offtopic else []
    rows = gather(args.work_dir, offtopic)
    print(f"{sum(r[1] is not None for r in rows)} calibration questions of {len({r[0] for r in rows})} sets"
          + (f", {sum(r[1] is None for r in rows)} off-topic questions" if offtopic else ""))
    if offtopic:
        print("| floor share | unanswerable caught | answerable held back | off-topic not answered |")
        print("|---|---|---|---|")
        for share in FLOOR_SHARES:
            groups = held_out(rows, SIGNALS, 0.1, pooled=args.pooled, floor_share=share)
            (caught, held, unanswerable, answerable), off = groups["all"], groups["off-topic"]
            print(f"| {share:g}{' (shipped)' if share == MAX_FLOOR_HELD_BACK else ''} | {caught} of {unanswerable} "
                  f"| {held} of {answerable} | {off[0]} of {off[2]} |")
    extra = (" off-topic not answered |", "---|") if offtopic else ("", "")
    training = gather_training(args.work_dir) if args.training else []
    if training:
        print(f"{len(training)} training questions join the weights in the rows marked '+ training'")
    print("| signals | l2 | questions | unanswerable caught | answerable held back |" + extra[0]
          + "\n|---|---|---|---|---|" + extra[1])
    fits = [[], training] if training else [[]]
    for label, names in CHOICES.items():
        for l2, weight_rows in ((float(v), w) for v in args.l2.split(",") for w in fits):
            groups = held_out(rows, names, l2, label == SIGNED, args.batch, args.pooled, weight_rows=weight_rows)
            off = groups.pop("off-topic", None)
            for group, (caught, held, unanswerable, answerable) in groups.items():
                print(f"| {label}{' + training' if weight_rows else ''} | {l2:g} | {group} "
                      f"| {caught / max(unanswerable, 1):.3f} ({caught} of {unanswerable}) "
                      f"| {held / max(answerable, 1):.3f} ({held} of {answerable}) |"
                      + (f" {off[0]} of {off[2]} |" if off else ""))


if __name__ == "__main__":
    main()
