"""Assign the calibration/test split of an organisation's question set, stratified by category.

Each organisation's `evals/NAME-split.py` calls `assign` with its file and seed. About 40% of each
category goes to calibration, the rest to test, chosen with the fixed seed. A question that already
has a split keeps it: only questions without one are drawn, so rerunning after questions were
appended can never move a frozen test question into calibration (or back).
"""

from __future__ import annotations

import json
import random
from collections import defaultdict
from pathlib import Path

SHARE = 0.4


def assign(path: Path, seed: int, share: float = SHARE) -> None:
    """Rewrite the questions of `path` with their split field set; prints the counts.

    Existing splits are kept; the questions without one are split by category among themselves.
    """
    records = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    by_category = defaultdict(list)
    for record in records:
        if record.get("split") not in ("calibration", "test"):
            by_category[record["category"]].append(record["id"])
    rng = random.Random(seed)
    calibration = {r["id"] for r in records if r.get("split") == "calibration"}
    for category in sorted(by_category):
        ids = sorted(by_category[category])
        rng.shuffle(ids)
        calibration.update(ids[: round(len(ids) * share)])
    with path.open("w", encoding="utf-8") as out:
        for record in records:
            record["split"] = "calibration" if record["id"] in calibration else "test"
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
    print(f"{len(calibration)} calibration, {len(records) - len(calibration)} test")

