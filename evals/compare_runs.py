"""Two `aims eval --diagnose --json` runs side by side: each set's stage row, and the questions that moved.

Usage: python evals/compare_runs.py BEFORE.json AFTER.json [--stages "stages (test split)"]
Why: every change kept is justified in the stage table, and a change that moves one question each way
leaves the table's figures where they were; this names the questions, with where each one's gold was
(candidates, ranked units, citations) and its answer's status before and after. It reads the runs' own
output only; run both on the same split (and on fresh indexes, or the same ones) for a fair reading.
"""

from __future__ import annotations

import argparse
import json
import sys

from assistant.evaluation import STAGE_KEYS


def _cell(value) -> str:
    return "n/a" if value is None else str(value)


def _place(entry: dict | None) -> str:
    if entry is None:
        return "absent"
    if not entry["answerable"]:
        return entry["status"]
    return (f"cand {_cell(entry['candidate'])}, unit {_cell(entry['unit'])}, cited {_cell(entry['final'])}, "
            f"{entry['status']}")


def compare(before: dict, after: dict, stages: str = "stages") -> list[str]:
    """Markdown lines: per set, the stage row of each run, then each question whose places or status differ."""
    lines: list[str] = []
    for name in sorted(set(before.get("sets", {})) | set(after.get("sets", {}))):
        old = before.get("sets", {}).get(name, {}).get(stages)
        new = after.get("sets", {}).get(name, {}).get(stages)
        if old is None or new is None:
            lines.append(f"## {name}: in one run only\n")
            continue
        lines += [f"## {name}", "", "| run | answerable | " + " | ".join(STAGE_KEYS) + " |",
                  "|---" * (len(STAGE_KEYS) + 2) + "|"]
        for label, row in (("before", old), ("after", new)):
            lines.append(f"| {label} | {row['answerable']} | " + " | ".join(_cell(row.get(k)) for k in STAGE_KEYS)
                         + " |")
        moved = []
        old_q, new_q = old.get("per_question", {}), new.get("per_question", {})
        for qid in sorted(set(old_q) | set(new_q)):
            if old_q.get(qid) != new_q.get(qid):
                moved.append(f"- {qid}: {_place(old_q.get(qid))} -> {_place(new_q.get(qid))}")
        lines += ["", *(moved or ["no question moved"]), ""]
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("before")
    parser.add_argument("after")
    parser.add_argument("--stages", default="stages", help='"stages" (the split run) or "stages (test split)"')
    args = parser.parse_args(argv)
    with open(args.before, encoding="utf-8") as a, open(args.after, encoding="utf-8") as b:
        print("\n".join(compare(json.load(a), json.load(b), args.stages)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
