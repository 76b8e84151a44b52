"""Assign calibration/test splits to evals/reference-questions.jsonl (run once; the result is committed).

Stratified by (reference text, answerable): within each stratum the question ids are sorted,
shuffled with random.Random(SEED) and the first round(0.4 * n) become "calibration", the rest "test".
Answerable questions belong to the text of their first gold citation; unanswerable questions have no
gold, so the text each one sits next to is listed in UNANSWERABLE_TOPIC.

Run: python evals/reference-split.py [--write]. Without --write it only prints the counts and whether
the frozen questions (ref-qNNN) still match their draw. With --write, only questions without a split
get one (drawn the same way among themselves): a question that has a split keeps it, so the frozen
test split cannot move.
"""

from __future__ import annotations

import json
import random
import sys
from collections import Counter, defaultdict
from pathlib import Path

SEED = 20241689
CALIBRATION_SHARE = 0.4
PATH = Path(__file__).resolve().parent / "reference-questions.jsonl"
EU, NIST, CO = "eu-ai-act-2024-1689.html", "nist-ai-100-1-ai-rmf-1.0.md", "colorado-sb24-205-ai-act.md"
UNANSWERABLE_TOPIC = {
    **{f"ref-q{n:03d}": EU for n in range(27, 33)},
    **{f"ref-q{n:03d}": NIST for n in range(57, 62)},
    **{f"ref-q{n:03d}": CO for n in range(76, 81)},
    # the fresh batch (ref-nNNN), written after the calibration questions were worn by choices made on them
    **{f"ref-n{n:03d}": EU for n in range(31, 35)},
    **{f"ref-n{n:03d}": NIST for n in range(35, 38)},
    **{f"ref-n{n:03d}": CO for n in range(38, 41)},
}


def text_of(q: dict) -> str:
    return q["gold"][0]["source"] if q["gold"] else UNANSWERABLE_TOPIC.get(q["id"], "(no text named)")


def frozen(q: dict) -> bool:
    """One of the questions the first draw was made over (later ones are ref-cNNN)."""
    return q["id"].startswith("ref-q")


def assign(rows: list[dict]) -> dict[str, str]:
    strata: dict[tuple[str, bool], list[str]] = defaultdict(list)
    for q in rows:
        strata[(text_of(q), q["answerable"])].append(q["id"])
    rng = random.Random(SEED)
    split = {}
    for key in sorted(strata, key=lambda k: (k[0], k[1])):
        ids = sorted(strata[key])
        rng.shuffle(ids)
        cut = round(CALIBRATION_SHARE * len(ids))
        for i, qid in enumerate(ids):
            split[qid] = "calibration" if i < cut else "test"
    return split


def main() -> None:
    rows = [json.loads(line) for line in PATH.read_text().splitlines() if line.strip()]
    draw = assign([q for q in rows if frozen(q)])
    same = all(q.get("split") == draw[q["id"]] for q in rows if frozen(q))
    new = assign([q for q in rows if q.get("split") not in ("calibration", "test")])
    counts = Counter((text_of(q), q["answerable"], q.get("split") or new[q["id"]]) for q in rows)
    for key in sorted(counts):
        print(*key, counts[key])
    print("frozen questions match their draw:", same, "| questions without a split:", len(new))
    if "--write" in sys.argv and new:
        for q in rows:
            q["split"] = q.get("split") or new[q["id"]]
        PATH.write_text("".join(json.dumps(q, ensure_ascii=False) + "\n" for q in rows))
        print("written")


if __name__ == "__main__":
    main()
