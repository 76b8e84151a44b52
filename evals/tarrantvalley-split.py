"""Assign the calibration/test split of evals/tarrantvalley-questions.jsonl, stratified by category.

Run when questions are added: python evals/tarrantvalley-split.py (see evals/category_split.py).
Questions that already have a split keep it.
"""

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from category_split import assign  # noqa: E402

if __name__ == "__main__":
    assign(HERE / "tarrantvalley-questions.jsonl", seed=20261207)
