"""Everyday questions the documents do not cover: how many a staff member is given as `answered`.

Usage: python evals/offtopic_eval.py --work-dir DIR [--questions FILE ...] [--verbose]
DIR holds the sets' indexes as `aims eval --work-dir DIR` builds them (one data dir a set). The questions ask
about parking, leave, pets, pay, broken printers: nothing an AI-governance document answers, so none should be
`answered`. The question sets' unanswerable questions ask a detail of a topic the documents cover, so they
do not measure this. Three files, each written by a helper who read only the corpora:
`evals/offtopic-questions.jsonl` (60, 15 an organisation), on which the floor's share was chosen
(`evals/judge_cv.py --offtopic`), and `evals/offtopic-questions-test.jsonl` (80, 20 an organisation, half of
them reusing the documents' own words), frozen before anything was measured on it and chosen on by nothing, and
`evals/offtopic-questions-fresh.jsonl` (80 more, written after the floor's share was chosen, the same way).
Each question is asked as staff with the shipped fit, and again with the judge's similarity floor off
(`Judge.floor`), to show what the floor does.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
from pathlib import Path

HERE = Path(__file__).resolve().parent


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--work-dir", required=True, help="the sets' indexes, as `aims eval --work-dir` keeps them")
    parser.add_argument("--questions", nargs="+", default=[str(HERE / "offtopic-questions.jsonl"),
                                                           str(HERE / "offtopic-questions-test.jsonl"),
                                                           str(HERE / "offtopic-questions-fresh.jsonl")])
    parser.add_argument("--verbose", action="store_true", help="list every question still answered")
    args = parser.parse_args()
    for path in args.questions:
        print(f"{Path(path).name}:")
        measure([json.loads(line) for line in Path(path).read_text().splitlines() if line.strip()], args)


def measure(questions: list[dict], args) -> None:
    """Ask each question of its organisation's index as staff; print the table of what was not answered."""
    from assistant.config import Settings
    from assistant.service import Assistant

    print("| organisation | questions | not answered | not answered without the floor |\n|---|---|---|---|")
    totals = [0, 0, 0]
    for org in dict.fromkeys(q["org"] for q in questions):
        home = Path(args.work_dir) / org
        if not (home / "catalog.sqlite").exists():
            print(f"| {org} | skipped: no index in {home} | | |")
            continue
        assistant = Assistant(Settings(home=home))
        without_floor = dataclasses.replace(assistant.pipeline.judge, floor=0.0)
        counts = [0, 0, 0]
        for question in (q for q in questions if q["org"] == org):
            answer, evidence = assistant.ask_traced(question["question"], role="staff")
            unfloored = (without_floor.verdict(evidence.units, evidence.query).status
                         if evidence is not None and evidence.units else answer.status)
            counts[0] += 1
            counts[1] += answer.status != "answered"
            counts[2] += unfloored != "answered"
            if args.verbose and answer.status == "answered":
                print(f"  answered: {question['id']} {question['question']!r}")
        assistant.close()
        totals = [t + c for t, c in zip(totals, counts)]
        print(f"| {org} | {counts[0]} | {counts[1]} | {counts[2]} |")
    print(f"| all | {totals[0]} | {totals[1]} ({totals[1] / max(totals[0], 1):.2f}) "
          f"| {totals[2]} ({totals[2] / max(totals[0], 1):.2f}) |")


if __name__ == "__main__":
    main()
