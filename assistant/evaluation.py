"""`aims eval`: hit@1, hit@5, MRR, refusal accuracy and leaks on a gold question set, against a baseline.

Questions go through the same `Assistant.ask` as `aims ask`. The baseline is what a user would
otherwise build: a plain llama-index VectorStoreIndex with default settings over the same files.
The ranker and the judge are fitted on the `calibration` splits only; targets are read on `test`.
"""

from __future__ import annotations

import re
from collections import defaultdict
from pathlib import Path

from pydantic import BaseModel, ConfigDict

from assistant.core.models import Answer, Citation

# Issue 12's targets, on each set's test split: organisation sets, and the reference-text set.
TARGETS = {"organisation": {"hit@1": 0.65, "hit@any": 0.85}, "reference": {"hit@any": 0.70},
           "refusal": 0.70, "false_refusal_rate": 0.10}


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
    """The metrics over a set of answers, overall and per role.

    A citation counts wherever the answer shows it (a partial answer's closest quotes included);
    "refusal" is the share of unanswerable questions not given `answered`, and "false refusals" the
    answerable questions held back from `answered`.
    """
    rows = []
    for question in questions:
        answer = answers[question.id]
        rank = first_hit_rank(answer, question) if question.answerable else None
        rows.append({"q": question, "rank": rank, "grounded": answer.grounded, "status": answer.status,
                     "leaks": checker.leaks(answer, question),
                     "words": words_shown(answer)})
    metrics = _metrics(rows)
    by_role = defaultdict(list)
    for row in rows:
        by_role[row["q"].role].append(row)
    metrics["per_role"] = {role: _metrics(role_rows) for role, role_rows in sorted(by_role.items())}
    metrics["failures"] = [
        {"id": r["q"].id, "question": r["q"].question, "rank": r["rank"], "status": r["status"],
         "leaks": r["leaks"]}
        for r in rows
        if r["leaks"] or (r["q"].answerable and r["rank"] != 1) or (not r["q"].answerable and r["grounded"])
    ]
    return metrics


def words_shown(answer: Answer) -> int:
    """How many words of quoted evidence an answer gives its reader (the sum over its citations)."""
    return sum(len(citation.quote.split()) for citation in answer.citations)


def _metrics(rows: list[dict]) -> dict:
    answerable = [r for r in rows if r["q"].answerable]
    unanswerable = [r for r in rows if not r["q"].answerable]
    n = len(answerable)
    return {
        "questions": len(rows),
        "answerable": n,
        "hit@1": sum(r["rank"] == 1 for r in answerable) / n if n else None,
        "hit@any": sum(r["rank"] is not None for r in answerable) / n if n else None,
        "mrr": sum(1 / r["rank"] for r in answerable if r["rank"]) / n if n else None,
        "false_refusals": sum(not r["grounded"] for r in answerable),
        "false_refusal_rate": sum(not r["grounded"] for r in answerable) / n if n else None,
        "unanswerable": len(unanswerable),
        "refusal": sum(not r["grounded"] for r in unanswerable) / len(unanswerable) if unanswerable else None,
        "partial": sum(r["status"] == "partial" for r in rows),
        "none": sum(r["status"] == "none" for r in rows),
        "leaks": sum(bool(r["leaks"]) for r in rows),
        "words": sum(r["words"] for r in answerable) / n if n else None,
    }


def gate(name: str, ours: dict, baseline: dict | None, floors: dict | None = None) -> tuple[list[str], list[str]]:
    """(regressions, targets missed) of one set: figures below its recorded floors, and issue 12's targets.

    `ours` and `baseline` are the set's test-split figures. A regression or any leak fails
    `aims eval --gate`; the targets are reported either way.
    """
    regressions = []
    if ours["leaks"] > 0:
        regressions.append(f"{name}: leaks {ours['leaks']} > 0")
    for key, floor in (floors or {}).items():
        if ours.get(key) is not None and ours[key] < floor:
            regressions.append(f"{name}: {key} {ours[key]:.3f} fell below its floor {floor}")
    missed = []
    wanted = TARGETS["reference"] if name == "reference" else TARGETS["organisation"]
    for key, target in wanted.items():
        if ours.get(key) is not None and ours[key] < target:
            missed.append(f"{name}: {key} {ours[key]:.3f} < {target}")
    if ours.get("refusal") is not None and ours["refusal"] < TARGETS["refusal"]:
        missed.append(f"{name}: unanswerable not answered {ours['refusal']:.3f} < {TARGETS['refusal']}")
    if ours.get("false_refusal_rate") is not None and ours["false_refusal_rate"] > TARGETS["false_refusal_rate"]:
        missed.append(f"{name}: answerable held back {ours['false_refusal_rate']:.3f} > "
                      f"{TARGETS['false_refusal_rate']}")
    if baseline is not None:
        for key in ("hit@1", "hit@any"):
            if ours.get(key) is not None and baseline.get(key) is not None and ours[key] <= baseline[key]:
                missed.append(f"{name}: no margin over the baseline on {key} ({ours[key]:.3f} vs {baseline[key]:.3f})")
    return regressions, missed


def format_table(results: dict[str, dict]) -> str:
    """The figures as a Markdown table (what README.md records)."""
    keys = ["questions", "hit@1", "hit@any", "mrr", "refusal", "false_refusals", "partial", "none", "leaks", "words"]
    lines = ["| system | " + " | ".join(keys) + " |", "|---" * (len(keys) + 1) + "|"]
    for name, metrics in results.items():
        cells = []
        for key in keys:
            value = metrics.get(key)
            cells.append("n/a" if value is None else f"{value:.3f}" if isinstance(value, float) else str(value))
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def stage_table(rows: list[dict]) -> dict:
    """Where the gold evidence is at each stage, over the answerable questions, plus the answer kinds.

    Each row holds `question`, `candidate_rank` (gold among the candidate chunks, in fused order then
    section expansions), `unit_rank` (among the ranked units), `final_rank` (among the answer's
    citations) and `status`.
    """
    answerable = [r for r in rows if r["question"].answerable]
    unanswerable = [r for r in rows if not r["question"].answerable]
    n = max(1, len(answerable))

    def share(key: str, limit: int | None) -> float:
        return round(sum(r[key] is not None and (limit is None or r[key] <= limit) for r in answerable) / n, 3)

    return {
        "answerable": len(answerable),
        "candidates@20": share("candidate_rank", 20),
        "candidates@50": share("candidate_rank", 50),
        "candidates@all": share("candidate_rank", None),
        "ranked@1": share("unit_rank", 1),
        "ranked@4": share("unit_rank", 4),
        "final": share("final_rank", None),
        "hit@1": share("final_rank", 1),
        "refusal": round(sum(r["status"] != "answered" for r in unanswerable) / len(unanswerable), 3)
        if unanswerable else None,
        "false_refusals": sum(r["status"] != "answered" for r in answerable),
    }


STAGE_KEYS = ("candidates@20", "candidates@50", "ranked@1", "ranked@4", "final", "hit@1", "refusal", "false_refusals")


def format_stage_table(stages: dict) -> str:
    """One stage table as Markdown: gold in candidates @20/@50, ranked @1/@4, in the final citations."""
    head = "| answerable | " + " | ".join(STAGE_KEYS) + " |"
    cells = [str(stages["answerable"])] + ["n/a" if stages[k] is None else str(stages[k]) for k in STAGE_KEYS]
    return "\n".join([head, "|---" * (len(STAGE_KEYS) + 1) + "|", "| " + " | ".join(cells) + " |"])
