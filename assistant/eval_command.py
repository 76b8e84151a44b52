"""The `aims eval` front end: ingest the corpus, answer the gold questions, print the figures.

Kept out of `commands.py` so the CLI module stays small; it calls only the service façade and
the pure metric functions of `assistant.evaluation`.
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path

from assistant import resources
from assistant.cli import SAMPLE_CORPUS, emit_json
from assistant.config import load_settings
from assistant.evaluation import (
    LeakChecker,
    calibrate,
    diagnose,
    format_table,
    gate,
    gold_rank,
    load_questions,
    run_answers,
    score,
)
from assistant.service import Assistant

DEFAULT_QUESTIONS = resources.eval_questions()


def run_eval(args) -> int:
    """Run the evaluation described by the parsed arguments; returns the exit code."""
    if getattr(args, "out", None) and not args.calibrate:
        print("aims eval: --out goes with --calibrate", file=sys.stderr)
        return 2
    questions = load_questions(Path(args.questions) if args.questions else DEFAULT_QUESTIONS)
    corpus = Path(args.corpus) if args.corpus else SAMPLE_CORPUS
    with tempfile.TemporaryDirectory(prefix="aims-eval-") as scratch:
        overrides = {"chroma_url": args.chroma_url} if getattr(args, "chroma_url", None) else {}
        assistant = Assistant(load_settings(index=args.index or scratch, **overrides))
        report = assistant.ingest([corpus])
        if report.failed:
            print(f"aims eval: {len(report.failed)} files failed to ingest", file=sys.stderr)
        payload: dict = {}
        if args.calibrate:
            target = Path(args.out) if getattr(args, "out", None) else \
                resources.calibration_file(load_settings(index=args.index).home)
            payload["calibration"] = _calibrate(assistant, [q for q in questions if q.split == "calibration"], target)
        selected = [q for q in questions if args.split == "all" or q.split == args.split]
        if getattr(args, "diagnose", False):
            payload["diagnosis"] = diagnose([_diagnosis_row(assistant, q) for q in selected])
        texts = assistant.document_texts()
        checker = LeakChecker({s: label for s, (label, _) in texts.items()},
                              {s: text for s, (_, text) in texts.items()}, assistant.settings.role_labels)
        ours = run_answers(lambda q, role: assistant.ask(q, role=role, k=5), selected)
        results = {"aims-assistant": score(ours, selected, checker)}
        test_only = [q for q in selected if q.split == "test"]
        if args.split == "all" and test_only:
            results["aims-assistant (test split)"] = score(ours, test_only, checker)
        if not args.no_baseline:
            baseline_ask = assistant.baseline(corpus)
            results["llama-index baseline"] = score(run_answers(baseline_ask, selected), selected, checker)
        assistant.close()
    payload["results"] = results
    payload["threshold"] = assistant.refusal_threshold
    floors_path = DEFAULT_QUESTIONS.parent / "gate.json"
    floors = json.loads(floors_path.read_text()) if floors_path.exists() else {}
    regressions, missed = gate(results["aims-assistant"], results.get("llama-index baseline"), floors)
    payload["regressions"] = regressions
    payload["targets_missed"] = missed
    if args.json:
        emit_json(json.loads(json.dumps(payload, default=str)))
    else:
        _print(results, payload, missed, len(selected))
        if regressions:
            print("REGRESSION: " + "; ".join(regressions))
    return 1 if args.gate and regressions else 0


def _calibrate(assistant: Assistant, questions, target: Path) -> dict:
    """Fit the refusal threshold on the calibration split, save it to `target`, and answer with it from now on.

    Never into the installed package: `target` is the data dir's calibration.json or the file named by
    --out (a developer updates the shipped one with --out assistant/answering/calibration.json).
    """
    from assistant.answering.extractive import evidence_strength

    strengths = []
    for question in questions:
        scored, _ = assistant.evidence(" ".join(question.question.split()), assistant.labels_for(question.role))
        strengths.append((evidence_strength(scored[0]) if scored else 0.0, question.answerable))
    fitted = calibrate(strengths)
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps(fitted, indent=1) + "\n")
    if assistant.settings.refusal_threshold is None:  # the rest of this run (a scratch data dir) uses it too
        assistant.settings = assistant.settings.model_copy(update={"refusal_threshold": fitted["threshold"]})
    print(f"calibrated on {len(questions)} questions: threshold {fitted['threshold']} "
          f"(accuracy {fitted['accuracy']}), saved to {target}", file=sys.stderr)
    return fitted


def _diagnosis_row(assistant: Assistant, question) -> dict:
    """Where the gold evidence sits for one question: among all scored sentences, and among passages."""
    from assistant.answering.extractive import evidence_strength, locator
    from assistant.core.models import Citation

    scored, searched = assistant.evidence(" ".join(question.question.split()), assistant.labels_for(question.role))

    def cite(chunk, quote: str) -> Citation:
        return Citation(n=1, source=chunk.source, page=chunk.page, section=locator(chunk), quote=quote, score=0.0)

    return {
        "question": question,
        "sentence_rank": gold_rank([cite(unit.passage.chunk, unit.text) for unit in scored], question),
        "passage_rank": gold_rank([cite(chunk, chunk.text) for chunk in searched], question),
        "strength": evidence_strength(scored[0]) if scored else 0.0,
    }


def _print(results: dict, payload: dict, missed: list[str], count: int) -> None:
    out = sys.stdout
    out.write(f"{count} questions; refusal threshold {payload['threshold']}\n\n")
    if "diagnosis" in payload:
        d = payload["diagnosis"]
        out.write(f"diagnosis over {d['answerable']} answerable questions (the answerer's ceiling):\n"
                  f"  gold sentence among all scored sentences  {d['gold_among_scored']:.3f}\n"
                  f"  gold sentence ranked 1st / in top 5       {d['gold_sentence_at_1']:.3f} / "
                  f"{d['gold_sentence_in_5']:.3f}\n"
                  f"  gold passage ranked 1st / in top 5        {d['gold_passage_at_1']:.3f} / "
                  f"{d['gold_passage_in_5']:.3f}\n"
                  f"  refusal: AUC of evidence strength, answerable vs unanswerable  "
                  f"{_fmt(d['refusal_auc'])}\n\n")
    out.write(format_table(results) + "\n\n")
    ours = results["aims-assistant"]
    out.write("per role (aims-assistant):\n")
    for role, metrics in ours["per_role"].items():
        out.write(f"  {role:12} hit@1 {_fmt(metrics['hit@1'])}  hit@5 {_fmt(metrics['hit@5'])}  "
                  f"refusal {_fmt(metrics['refusal'])}  leaks {metrics['leaks']}\n")
    if ours["failures"]:
        out.write("\nmisses (first citation wrong, wrong refusal, or leak):\n")
        for failure in ours["failures"]:
            out.write(f"  {failure['id']}: rank {failure['rank']}, grounded {failure['grounded']}"
                      f"{', LEAK ' + '; '.join(failure['leaks']) if failure['leaks'] else ''}  {failure['question']}\n")
    verdict = "issue targets met" if not missed else "issue targets not yet met: " + "; ".join(missed)
    out.write(f"\n{verdict}\n")


def _fmt(value) -> str:
    return "n/a " if value is None else f"{value:.2f}"
