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
from assistant.core.stats import wilson_bounds

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


# What tells a clause from its sibling when their words are the same: its figures and months ("not later than
# 10 days" is not "not later than 15 days", "shall apply from 2 February 2025" not "from 2 August 2025").
_FIGURES = re.compile(r"\d[\d.]*\d|\d|\b(?:january|february|march|april|june|july|august|september|october|"
                      r"november|december)\b")


def citation_hits(citation: Citation, gold: Gold) -> bool:
    """The citation names the gold document and its quote overlaps the gold quote (or its page matches).

    An overlap of most of the gold's words counts only with every figure and month of the gold quote in it:
    a statute's sibling clauses share 60 % of their words and differ in the number that answers.
    """
    if citation.source != gold.source:
        return False
    if gold.page is not None and citation.page == gold.page:
        return True
    cited, wanted = _norm(citation.quote), _norm(gold.quote)
    if wanted in cited or (len(cited) > 20 and cited in wanted):
        return True
    wanted_words = wanted.split()
    cited_words = set(cited.split())
    if not wanted_words or sum(w in cited_words for w in wanted_words) / len(wanted_words) < 0.6:
        return False
    return set(_FIGURES.findall(wanted)) <= set(_FIGURES.findall(cited))


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


def wilson(successes: int, n: int, z: float = 1.96) -> tuple[float, float] | None:
    """The Wilson score interval (95 % by default) of a share of n; None when n is 0.

    Why: a test split holds 33 to 40 answerable questions and 10 to 27 unanswerable ones, so a figure
    moves by 0.025 to 0.10 a question; the interval says which gaps to a target or a baseline are real.
    """
    if n <= 0:
        return None
    low, high = wilson_bounds(successes, n, z)
    return round(max(0.0, low), 3), round(min(1.0, high), 3)


def sign_test(wins: int, losses: int) -> float:
    """Two-sided exact sign test (McNemar's exact test) of paired outcomes: the p-value of this split of the
    questions where two systems differ, were neither better."""
    from math import comb

    n = wins + losses
    if n == 0:
        return 1.0
    tail = sum(comb(n, k) for k in range(min(wins, losses) + 1)) / 2 ** n
    return round(min(1.0, 2 * tail), 4)


def paired(ours: dict, other: dict) -> dict:
    """On the answerable questions both systems were asked: how many each gets right that the other does
    not, for hit@1 and hit@any, and the sign test's p-value of that split."""
    shared = sorted(set(ours["ranks"]) & set(other["ranks"]))
    out = {}
    for key, hit in (("hit@1", lambda r: r == 1), ("hit@any", lambda r: r is not None)):
        wins = sum(hit(ours["ranks"][q]) and not hit(other["ranks"][q]) for q in shared)
        losses = sum(hit(other["ranks"][q]) and not hit(ours["ranks"][q]) for q in shared)
        out[key] = {"ours_only": wins, "other_only": losses, "p": sign_test(wins, losses)}
    return out


def _metrics(rows: list[dict]) -> dict:
    answerable = [r for r in rows if r["q"].answerable]
    unanswerable = [r for r in rows if not r["q"].answerable]
    n = len(answerable)
    hits_1 = sum(r["rank"] == 1 for r in answerable)
    hits_any = sum(r["rank"] is not None for r in answerable)
    refused = sum(not r["grounded"] for r in unanswerable)
    held_back = sum(not r["grounded"] for r in answerable)
    return {
        "questions": len(rows),
        "answerable": n,
        "hit@1": hits_1 / n if n else None,
        "hit@any": hits_any / n if n else None,
        "mrr": sum(1 / r["rank"] for r in answerable if r["rank"]) / n if n else None,
        "false_refusals": held_back,
        "false_refusal_rate": held_back / n if n else None,
        "unanswerable": len(unanswerable),
        "refusal": refused / len(unanswerable) if unanswerable else None,
        "partial": sum(r["status"] == "partial" for r in rows),
        "none": sum(r["status"] == "none" for r in rows),
        "leaks": sum(bool(r["leaks"]) for r in rows),
        "words": sum(r["words"] for r in answerable) / n if n else None,
        "hit@1_ci": wilson(hits_1, n),
        "hit@any_ci": wilson(hits_any, n),
        "refusal_ci": wilson(refused, len(unanswerable)),
        "false_refusal_rate_ci": wilson(held_back, n),
        "ranks": {r["q"].id: r["rank"] for r in answerable},  # for paired comparisons between systems
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


def _with_interval(value: float | None, interval: tuple[float, float] | None) -> str:
    if value is None or interval is None:
        return "n/a"
    return f"{value:.3f} ({interval[0]:.2f}-{interval[1]:.2f})"


def format_uncertainty(results: dict[str, dict], comparisons: dict[str, dict]) -> str:
    """The main figures with their 95 % intervals, and each baseline against ours question by question
    (`comparisons[name]` is `paired(ours, that system)`), as a Markdown table."""
    head = ("| system | hit@1 (95 % interval) | hit@any (95 % interval) | unanswerable not answered (95 % interval) "
            "| answerable held back (95 % interval) | hit@1: ours only / its only | "
            "hit@any: ours only / its only |")
    lines = [head, "|---" * 7 + "|"]
    for name, metrics in results.items():
        cells = [_with_interval(metrics.get(k), metrics.get(f"{k}_ci"))
                 for k in ("hit@1", "hit@any", "refusal", "false_refusal_rate")]
        against = comparisons.get(name)
        for key in ("hit@1", "hit@any"):
            cells.append(f"{against[key]['ours_only']} / {against[key]['other_only']} (p {against[key]['p']:.3f})"
                         if against else "")
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def stage_table(rows: list[dict]) -> dict:
    """Where the gold evidence is at each stage, over the answerable questions, plus the answer kinds.

    Each row holds `question`, `candidate_rank` (gold among the candidate chunks, in fused order then
    section expansions), `unit_rank` (among the ranked units), `final_rank` (among the answer's
    citations) and `status`; `per_question` keeps them by question id.
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
        # each question's places, so that two runs can be told apart question by question (`evals/compare_runs.py`)
        "per_question": {r["question"].id: {"candidate": r["candidate_rank"], "unit": r["unit_rank"],
                                            "final": r["final_rank"], "status": r["status"],
                                            "answerable": r["question"].answerable} for r in rows},
    }


STAGE_KEYS = ("candidates@20", "candidates@50", "ranked@1", "ranked@4", "final", "hit@1", "refusal", "false_refusals")


def format_stage_table(stages: dict) -> str:
    """One stage table as Markdown: gold in candidates @20/@50, ranked @1/@4, in the final citations."""
    head = "| answerable | " + " | ".join(STAGE_KEYS) + " |"
    cells = [str(stages["answerable"])] + ["n/a" if stages[k] is None else str(stages[k]) for k in STAGE_KEYS]
    return "\n".join([head, "|---" * (len(STAGE_KEYS) + 1) + "|", "| " + " | ".join(cells) + " |"])
