"""Validate evals/questions.jsonl against the sample corpus: every gold quote must be found verbatim.

Run: python evals/check_questions.py [QUESTIONS.jsonl] [CORPUS_DIR]. Prints problems; exit 1 if any.
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from pathlib import Path

from assistant.core.labels import load_label_patterns, resolve_label, top_rules
from assistant.retrieval.parsing import parse_bytes

HERE = Path(__file__).resolve().parent
ROLES = {"staff": {"public", "internal"}, "implementer": {"public", "internal", "confidential"},
         "auditor": {"public", "internal", "confidential", "restricted"}}
CATEGORIES = {"staff", "auditor", "implementer", "unanswerable", "restricted", "multihop", "injection"}
KEYS = {"id", "question", "role", "category", "answerable", "gold", "must_not_contain", "split"}


def squash(text: str) -> str:
    """Whitespace-normalised text, so that PDF line breaks do not matter."""
    return " ".join(text.split())


def load_corpus(corpus: Path) -> dict[str, tuple[str, str]]:
    """source -> (normalised extracted text, label)."""
    labels_file = corpus / "aims-labels.toml"
    patterns = load_label_patterns(labels_file) if labels_file.exists() else []
    docs = {}
    for path in sorted(corpus.iterdir()):
        if path.name.startswith(".") or path.name == "aims-labels.toml":
            continue
        doc = parse_bytes(path.read_bytes(), path.name)
        origin = "front matter" if doc.format == "markdown" else "document metadata"
        label, _ = resolve_label(path.name, top_rules(patterns), doc.metadata_label, origin, doc.header_text)
        docs[path.name] = (squash(doc.text), label.value)
    return docs


def check(questions_path: Path, corpus: Path) -> list[str]:
    """Every problem found, as a line of text."""
    docs = load_corpus(corpus)
    problems: list[str] = []
    seen: set[str] = set()
    counts: Counter[str] = Counter()
    for number, line in enumerate(questions_path.read_text().splitlines(), start=1):
        if not line.strip():
            continue
        q = json.loads(line)
        where = f"line {number} ({q.get('id')})"
        if set(q) != KEYS:
            problems.append(f"{where}: keys must be exactly {sorted(KEYS)}, got {sorted(q)}")
            continue
        if q["id"] in seen:
            problems.append(f"{where}: duplicate id")
        seen.add(q["id"])
        counts[q["category"]] += 1
        counts["split:" + q["split"]] += 1
        split_ok = q["split"] in ("calibration", "test", "train")  # train: evals/training, never an eval set
        if q["role"] not in ROLES or q["category"] not in CATEGORIES or not split_ok:
            problems.append(f"{where}: bad role, category or split")
        if q["answerable"] != bool(q["gold"]):
            problems.append(f"{where}: answerable questions need gold citations, unanswerable ones none")
        for gold in q["gold"]:
            source = gold.get("source")
            if source not in docs:
                problems.append(f"{where}: unknown source {source!r}")
                continue
            text, label = docs[source]
            if squash(gold.get("quote", "")) not in text:
                problems.append(f"{where}: quote not found verbatim in {source}: {gold.get('quote')!r}")
            if label not in ROLES[q["role"]]:
                problems.append(f"{where}: {source} is {label}, invisible to role {q['role']}")
    print(dict(sorted(counts.items())), f"total={len(seen)}")
    return problems


if __name__ == "__main__":
    questions = Path(sys.argv[1]) if len(sys.argv) > 1 else HERE / "questions.jsonl"
    corpus_dir = Path(sys.argv[2]) if len(sys.argv) > 2 else HERE.parent / "corpus" / "sample"
    found = check(questions, corpus_dir)
    for problem in found:
        print(problem)
    sys.exit(1 if found else 0)
