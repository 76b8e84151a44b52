"""`aims eval`: hit@1, hit@5, MRR, refusal accuracy and leaks on a gold question set, against a baseline.

Questions go through the same `Assistant.ask` as `aims ask`. The baseline is what a user would
otherwise build: a plain llama-index VectorStoreIndex with default settings over the same files.
The refusal threshold is calibrated on the `calibration` split only and reported on `test`.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path

from pydantic import BaseModel, ConfigDict

from assistant.core.models import Answer, Citation

TARGETS = {"hit@1": 0.80, "hit@5": 0.95, "refusal": 0.90, "leaks": 0, "margin_over_baseline": 0.15}


class Gold(BaseModel):
    """A citation a correct answer may give."""

    model_config = ConfigDict(extra="forbid")
    source: str
    quote: str
    page: int | None = None


class EvalQuestion(BaseModel):
    """One line of evals/questions.jsonl."""

    model_config = ConfigDict(extra="forbid")
    id: str
    question: str
    role: str
    category: str
    answerable: bool
    gold: list[Gold]
    must_not_contain: list[str]
    split: str


def load_questions(path: Path) -> list[EvalQuestion]:
    """The questions of a JSONL file, validated."""
    return [EvalQuestion.model_validate_json(line) for line in path.read_text().splitlines() if line.strip()]


def _norm(text: str) -> str:
    return " ".join(re.findall(r"[a-z0-9£%.]+", text.lower().replace("’", "'")))


def citation_hits(citation: Citation, gold: Gold) -> bool:
    """The citation names the gold document and its quote overlaps the gold quote (or its page matches)."""
    if citation.source != gold.source:
        return False
    if gold.page is not None and citation.page == gold.page:
        return True
    cited, wanted = _norm(citation.quote), _norm(gold.quote)
    if wanted in cited or (len(cited) > 20 and cited in wanted):
        return True
    wanted_words = wanted.split()
    return bool(wanted_words) and sum(w in set(cited.split()) for w in wanted_words) / len(wanted_words) >= 0.6


def first_hit_rank(answer: Answer, question: EvalQuestion) -> int | None:
    """1-based rank of the first citation that hits any gold citation."""
    for rank, citation in enumerate(answer.citations, start=1):
        if any(citation_hits(citation, gold) for gold in question.gold):
            return rank
    return None


class LeakChecker:
    """Finds answers that cite, quote or echo documents the asking role may not see."""

    def __init__(self, label_of: dict[str, str], doc_texts: dict[str, str], role_labels: dict[str, list[str]]):
        self.label_of = label_of
        self.doc_texts = {source: _norm(text) for source, text in doc_texts.items()}
        self.role_labels = role_labels
        self._hidden: dict[str, list[str]] = {}

    def _hidden_sentences(self, role: str) -> list[str]:
        """Sentences (8+ words) of documents hidden from the role that no visible document also holds."""
        if role not in self._hidden:
            allowed = set(self.role_labels[role])
            visible = " ".join(t for s, t in self.doc_texts.items() if self.label_of.get(s, "internal") in allowed)
            sentences = []
            for source, text in self.doc_texts.items():
                if self.label_of.get(source, "internal") in allowed:
                    continue
                sentences += [s for s in re.split(r"(?<=[.!?]) ", text) if len(s.split()) >= 8 and s not in visible]
            self._hidden[role] = sentences
        return self._hidden[role]

    def leaks(self, answer: Answer, question: EvalQuestion) -> list[str]:
        """Why this answer leaks, if it does: a hidden source cited, hidden words quoted, a forbidden string."""
        allowed = set(self.role_labels[question.role])
        found = [f"cites {c.source}" for c in answer.citations
                 if self.label_of.get(c.source, "internal") not in allowed]
        text = _norm(answer.answer)
        found += [f"quotes hidden text: {s[:60]}" for s in self._hidden_sentences(question.role) if s in text]
        found += [f"contains {s!r}" for s in question.must_not_contain if _norm(s) and _norm(s) in text]
        return found


def score(answers: dict[str, Answer], questions: list[EvalQuestion], checker: LeakChecker) -> dict:
    """The metrics over a set of answers, overall and per role."""
    rows = []
    for question in questions:
        answer = answers[question.id]
        rank = first_hit_rank(answer, question) if question.answerable else None
        rows.append({"q": question, "rank": rank, "grounded": answer.grounded,
                     "leaks": checker.leaks(answer, question)})
    metrics = _metrics(rows)
    by_role = defaultdict(list)
    for row in rows:
        by_role[row["q"].role].append(row)
    metrics["per_role"] = {role: _metrics(role_rows) for role, role_rows in sorted(by_role.items())}
    metrics["failures"] = [
        {"id": r["q"].id, "question": r["q"].question, "rank": r["rank"], "grounded": r["grounded"],
         "leaks": r["leaks"]}
        for r in rows
        if r["leaks"] or (r["q"].answerable and r["rank"] != 1) or (not r["q"].answerable and r["grounded"])
    ]
    return metrics


def _metrics(rows: list[dict]) -> dict:
    answerable = [r for r in rows if r["q"].answerable]
    unanswerable = [r for r in rows if not r["q"].answerable]
    n = len(answerable)
    return {
        "questions": len(rows),
        "answerable": n,
        "hit@1": sum(r["rank"] == 1 for r in answerable) / n if n else None,
        "hit@5": sum(r["rank"] is not None and r["rank"] <= 5 for r in answerable) / n if n else None,
        "mrr": sum(1 / r["rank"] for r in answerable if r["rank"]) / n if n else None,
        "false_refusals": sum(not r["grounded"] for r in answerable),
        "unanswerable": len(unanswerable),
        "refusal": sum(not r["grounded"] for r in unanswerable) / len(unanswerable) if unanswerable else None,
        "leaks": sum(bool(r["leaks"]) for r in rows),
    }


def calibrate(strengths: list[tuple[float, bool]]) -> dict:
    """The threshold on evidence strength that best separates answerable from unanswerable questions.

    Maximises accuracy over the calibration split's questions (a wrong refusal of an answerable
    question costs as much as an answer to an unanswerable one); returns it with the whole curve.
    """
    candidates = sorted({round(s, 4) for s, _ in strengths})
    answerable = [s for s, a in strengths if a]
    unanswerable = [s for s, a in strengths if not a]
    curve = []
    for threshold in candidates:
        accepted = sum(s >= threshold for s in answerable) / max(1, len(answerable))
        refused = sum(s < threshold for s in unanswerable) / max(1, len(unanswerable))
        curve.append({"threshold": threshold, "answerable_accepted": round(accepted, 4),
                      "unanswerable_refused": round(refused, 4)})
    n_yes, n_no = len(answerable), len(unanswerable)
    best = max(curve, key=lambda c: (c["answerable_accepted"] * n_yes + c["unanswerable_refused"] * n_no,
                                     -c["threshold"]))
    index = curve.index(best)
    # Put the threshold midway to the next lower strength, so it does not sit on a question's own value.
    lower = curve[index - 1]["threshold"] if index > 0 else best["threshold"]
    accuracy = (best["answerable_accepted"] * n_yes + best["unanswerable_refused"] * n_no) / max(1, n_yes + n_no)
    return {"threshold": round((best["threshold"] + lower) / 2, 4), "accuracy": round(accuracy, 4),
            "answerable": len(answerable), "unanswerable": len(unanswerable), "curve": curve}


def gate(ours: dict, baseline: dict | None, floors: dict | None = None) -> tuple[list[str], list[str]]:
    """(regressions, targets missed): figures below the recorded floors, and the issue's targets not yet met.

    A regression or any leak fails `aims eval --gate`; the targets are reported either way.
    """
    regressions = []
    if ours["leaks"] > 0:
        regressions.append(f"leaks {ours['leaks']} > 0")
    for key, floor in (floors or {}).items():
        if ours.get(key) is not None and ours[key] < floor:
            regressions.append(f"{key} {ours[key]:.3f} fell below its floor {floor}")
    missed = []
    for key in ("hit@1", "hit@5", "refusal"):
        if ours[key] is None or ours[key] < TARGETS[key]:
            missed.append(f"{key} {ours[key]:.3f} < target {TARGETS[key]}")
    if baseline is not None and ours["hit@1"] - baseline["hit@1"] < TARGETS["margin_over_baseline"]:
        missed.append(f"hit@1 margin over baseline {ours['hit@1'] - baseline['hit@1']:.3f} < target 0.15")
    return regressions, missed


def format_table(results: dict[str, dict]) -> str:
    """The figures as a Markdown table (what README.md records)."""
    keys = ["questions", "hit@1", "hit@5", "mrr", "refusal", "false_refusals", "leaks"]
    lines = ["| system | " + " | ".join(keys) + " |", "|---" * (len(keys) + 1) + "|"]
    for name, metrics in results.items():
        cells = []
        for key in keys:
            value = metrics.get(key)
            cells.append("n/a" if value is None else f"{value:.3f}" if isinstance(value, float) else str(value))
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def run_answers(ask: Callable[[str, str], Answer], questions: list[EvalQuestion]) -> dict[str, Answer]:
    """Answer every question with the given function (ours, or the baseline)."""
    return {q.id: ask(q.question, q.role) for q in questions}


def gold_rank(candidates: list[Citation], question: EvalQuestion) -> int | None:
    """1-based rank of the first candidate citation that hits a gold citation (None: no candidate does)."""
    for rank, candidate in enumerate(candidates, start=1):
        if any(citation_hits(candidate, gold) for gold in question.gold):
            return rank
    return None


def auc(positives: list[float], negatives: list[float]) -> float | None:
    """Probability that a random positive scores above a random negative (ties count half)."""
    if not positives or not negatives:
        return None
    wins = sum((p > n) + 0.5 * (p == n) for p in positives for n in negatives)
    return wins / (len(positives) * len(negatives))


def diagnose(rows: list[dict]) -> dict:
    """Where answers are lost: retrieval (gold never scored), sentence choice, or refusal separation.

    Each row holds `question`, `sentence_rank` (gold among all scored sentences), `passage_rank`
    (gold among the retrieved passages) and `strength` (the best sentence's score).
    """
    answerable = [r for r in rows if r["question"].answerable]
    n = max(1, len(answerable))

    def share(key: str, limit: int | None) -> float:
        return sum(r[key] is not None and (limit is None or r[key] <= limit) for r in answerable) / n

    return {
        "answerable": len(answerable),
        "gold_among_scored": share("sentence_rank", None),
        "gold_sentence_at_1": share("sentence_rank", 1),
        "gold_sentence_in_5": share("sentence_rank", 5),
        "gold_passage_at_1": share("passage_rank", 1),
        "gold_passage_in_5": share("passage_rank", 5),
        "refusal_auc": auc([r["strength"] for r in answerable],
                           [r["strength"] for r in rows if not r["question"].answerable]),
    }
