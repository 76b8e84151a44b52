"""Screen new calibration questions against a set's test split before they join it.

Usage: python evals/screen_calibration.py NEW.jsonl SET-questions.jsonl [KEPT.jsonl]
A new question is dropped when citing one of its gold quotes would hit a test question's gold
citation, or citing the test's would hit its own (the eval's own rule, `citation_hits`), or when
its words overlap a test question's by more than half (Jaccard). Why: questions written later by a
similar hand repeat test questions almost word for word, and fitting on those would leak the test
split into the calibration. Prints each drop with the test question it matched; writes the kept
questions to KEPT.jsonl when given.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

from assistant.core.models import Citation
from assistant.evaluation import Gold, citation_hits


def _words(text: str) -> set[str]:
    return set(re.findall(r"[a-z0-9£%.]+", text.lower().replace("’", "'")))


def _hits(cited: dict, wanted: dict) -> bool:
    """Whether quoting `cited` (a gold entry) would hit the gold entry `wanted` in the eval."""
    return citation_hits(Citation(n=1, source=cited["source"], page=cited.get("page"), quote=cited["quote"],
                                  score=0.0), Gold(**wanted))


def clash(new: dict, test: dict) -> bool:
    """Whether a new question repeats a test question: the same evidence, or mostly the same words."""
    if any(_hits(gold, wanted) or _hits(wanted, gold) for gold in new["gold"] for wanted in test["gold"]):
        return True
    a, b = _words(new["question"]), _words(test["question"])
    return len(a & b) / max(len(a | b), 1) > 0.5


def screen(new: list[dict], existing: list[dict]) -> tuple[list[dict], list[tuple[dict, dict]]]:
    """(kept, [(dropped, the test question it repeats)])."""
    tests = [q for q in existing if q["split"] == "test"]
    kept, dropped = [], []
    for question in new:
        match = next((t for t in tests if clash(question, t)), None)
        if match is None:
            kept.append(question)
        else:
            dropped.append((question, match))
    return kept, dropped


def _read(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


if __name__ == "__main__":
    kept, dropped = screen(_read(Path(sys.argv[1])), _read(Path(sys.argv[2])))
    for question, match in dropped:
        print(f"drop {question['id']}: {question['question'][:90]}\n  repeats {match['id']}: {match['question'][:90]}")
    print(f"kept {len(kept)}, dropped {len(dropped)}")
    if len(sys.argv) > 3:
        Path(sys.argv[3]).write_text("".join(json.dumps(q, ensure_ascii=False) + "\n" for q in kept), encoding="utf-8")
