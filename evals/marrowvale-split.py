"""Assign the calibration/test split of evals/marrowvale-questions.jsonl, stratified by category.

Run once when the question set was frozen: python evals/kestrelbay-split.py
About 40% of each category goes to calibration, the rest to test, chosen with a fixed seed,
so rerunning on the same questions gives the same split. Do not rerun after editing questions.
"""

import json
import random
from collections import defaultdict
from pathlib import Path

PATH = Path(__file__).resolve().parent / "marrowvale-questions.jsonl"
SEED = 20261204
SHARE = 0.4


def main() -> None:
    records = [json.loads(line) for line in PATH.read_text(encoding="utf-8").splitlines() if line.strip()]
    by_category = defaultdict(list)
    for record in records:
        by_category[record["category"]].append(record["id"])
    rng = random.Random(SEED)
    calibration = set()
    for category in sorted(by_category):
        ids = sorted(by_category[category])
        rng.shuffle(ids)
        calibration.update(ids[: round(len(ids) * SHARE)])
    with PATH.open("w", encoding="utf-8") as out:
        for record in records:
            record["split"] = "calibration" if record["id"] in calibration else "test"
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
    print(f"{len(calibration)} calibration, {len(records) - len(calibration)} test")


if __name__ == "__main__":
    main()
