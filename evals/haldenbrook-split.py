"""Assign the calibration/test split of evals/haldenbrook-questions.jsonl, stratified by category.

Run when questions are added: python evals/haldenbrook-split.py (see evals/category_split.py).
Questions that already have a split keep it.
"""

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from category_split import assign  # noqa: E402

if __name__ == "__main__":
    assign(HERE / "haldenbrook-questions.jsonl", seed=20261205)
