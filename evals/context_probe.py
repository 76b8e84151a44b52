"""What quoting the best sentence with its neighbours does, on the calibration splits only.

Usage: python evals/context_probe.py --work-dir DIR [--reach 0,1,2]
For each set and each reach (sentences either side of the best quote, `AIMS_ANSWER_CONTEXT`), the
answerable calibration questions are answered as `aims eval` answers them (5 citations) and this
prints hit@1, hit@any and the first quote's mean and median length in words. This is how the
default reach was chosen; no test split is read. DIR is an `aims eval --work-dir` folder (the
indexes are built there on first use, as `aims eval` builds them).
"""

from __future__ import annotations

import argparse
import statistics
from types import SimpleNamespace

from assistant.cli.eval import EVAL_K, _Run, load_sets
from assistant.evaluation import first_hit_rank


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--work-dir", required=True)
    parser.add_argument("--reach", default="0,1,2", help="comma-separated reaches to compare")
    args = parser.parse_args()
    reaches = [int(r) for r in args.reach.split(",")]
    embedder = None
    print("| set | reach | answerable | hit@1 | hit@any | first quote: mean words | median words |")
    print("|---|---|---|---|---|---|---|")
    for spec in load_sets():
        if not (spec.corpus.exists() and spec.questions.exists()):
            continue
        run = _Run(spec, SimpleNamespace(), f"{args.work_dir}/{spec.name}", embedder)
        embedder = run.assistant.embedder
        questions = [q for q in run.questions if q.split == "calibration" and q.answerable]
        for reach in reaches:
            run.assistant.answerer.context = reach
            answers = [run.assistant.ask(q.question, role=q.role, k=EVAL_K) for q in questions]
            ranks = [first_hit_rank(a, q) for a, q in zip(answers, questions)]
            words = [len(a.citations[0].quote.split()) for a in answers if a.citations]
            n = len(questions)
            print(f"| {spec.name} | {reach} | {n} | {sum(r == 1 for r in ranks) / n:.3f} | "
                  f"{sum(r is not None for r in ranks) / n:.3f} | {statistics.mean(words):.0f} | "
                  f"{statistics.median(words):.0f} |", flush=True)


if __name__ == "__main__":
    main()
