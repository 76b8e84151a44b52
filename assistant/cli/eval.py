"""The `aims eval` front end: for every question set, ingest its corpus, answer, score, diagnose, calibrate.

The sets are declared in `evals/sets.toml` (the sample organisation, a second organisation written
by someone who never read the ranking code, the real regulations in ../shared/reference-texts);
each is ingested into its own scratch data dir, because each stands for another deployment.
`--calibrate` fits the ranker and the judge on the calibration splits of all sets together (never a
test split) and saves them; the figures printed after it are measured with the new fit.
"""

from __future__ import annotations

import fnmatch
import json
import os
import sys
import tempfile
import time
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from assistant import resources
from assistant.cli.eval_fit import EVAL_K, _calibrate, _hits
from assistant.cli.output import UsageError, emit_json
from assistant.config import load_settings
from assistant.core.files import folder_of
from assistant.evaluation import (
    LeakChecker,
    citation_hits,
    format_stage_table,
    format_table,
    format_uncertainty,
    gate,
    load_questions,
    paired,
    score,
    stage_table,
)
from assistant.service import Assistant


@dataclass
class EvalSet:
    """A question set and the corpus it is asked of."""

    name: str
    questions: Path
    corpus: Path
    files: list[str] = field(default_factory=list)  # only these files of the corpus folder (default: all)
    optional: bool = False  # skipped (with a note) when the corpus is absent, as ../shared may be

    def paths(self) -> list[Path]:
        """What is ingested: the listed files, or the whole folder."""
        return [self.corpus / name for name in self.files] if self.files else [self.corpus]

    def excluded(self, labels_file: str) -> tuple[str, ...]:
        """Files of the folder the baseline must not read (unlisted files and the labels file)."""
        if not self.files:
            return (labels_file,)
        return tuple(p.name for p in self.corpus.iterdir() if p.name not in self.files) + (labels_file,)


def load_sets(path: Path | None = None) -> list[EvalSet]:
    """The sets declared in evals/sets.toml, paths resolved against that file's folder."""
    path = path or resources.eval_sets()
    data = tomllib.loads(path.read_text())
    return [EvalSet(name, (path.parent / spec["questions"]).resolve(), _corpus(path.parent, spec["corpus"]),
                    list(spec.get("files", [])), bool(spec.get("optional", False)))
            for name, spec in data.items()]


def training_sets(path: Path | None = None, folder: Path | None = None) -> list[EvalSet]:
    """The training sets next to evals/sets.toml (`evals/training/*`: documents and questions no eval set
    shares), whose questions `--calibrate` adds to the judge's weights; none when the folder is absent.
    `folder`: another folder of sets laid out the same way (`evals/training-next`, read by the tuning only)."""
    folder = folder or (path or resources.eval_sets()).parent / "training"
    if not folder.is_dir():
        return []
    return [EvalSet(sub.name, sub / "questions.jsonl", sub / "docs") for sub in sorted(folder.iterdir())
            if (sub / "questions.jsonl").exists() and (sub / "docs").is_dir()]


def _corpus(folder: Path, spec: str) -> Path:
    """A set's corpus: `bundled:sample` is the shipped sample organisation, anything else a relative path."""
    return resources.sample_corpus() if spec == "bundled:sample" else (folder / spec).resolve()


def _selected_sets(args) -> list[EvalSet]:
    if args.questions or args.corpus:
        base = {s.name: s for s in load_sets()}.get("sample")
        return [EvalSet("custom", Path(args.questions) if args.questions else base.questions,
                        Path(args.corpus) if args.corpus else base.corpus)]
    sets = load_sets()
    if args.set:
        wanted = set(args.set)
        unknown = wanted - {s.name for s in sets}
        if unknown:
            raise UsageError(f"unknown question set(s) {', '.join(sorted(unknown))}; known: "
                             f"{', '.join(s.name for s in sets)}")
        sets = [s for s in sets if s.name in wanted]
    present = []
    for s in sets:
        if s.corpus.exists() and s.questions.exists():
            present.append(s)
        elif s.optional:
            print(f"aims eval: skipping {s.name}: {s.corpus if not s.corpus.exists() else s.questions} is absent",
                  file=sys.stderr)
        else:
            raise FileNotFoundError(f"question set {s.name}: {s.corpus} or {s.questions} is missing")
    return present


class ForeignDocuments(Exception):
    """A kept work dir holds documents filed under folders other than the set's corpus."""


def foreign_roots(roots: set[str], paths: list[Path]) -> list[str]:
    """The stored roots that are not the set's folders nor inside them (a team root's client prefix allowed)."""
    folders = {folder_of(p) for p in paths}  # as the ingest planner files them
    return sorted(root for root in roots
                  if not any(root.endswith(folder) or folder + os.sep in root for folder in folders))


class _Run:
    """One set, ingested into a scratch data dir, with its questions."""

    def __init__(self, spec: EvalSet, args, scratch: str, embedder) -> None:
        self.spec = spec
        overrides = {"chroma_url": args.chroma_url} if getattr(args, "chroma_url", None) else {}
        if getattr(args, "bridge", False):
            overrides["vocabulary_bridge"] = True
        if getattr(args, "with_stages", None):
            overrides["recall_stages"] = sorted(set(args.with_stages))
        self.assistant = Assistant(load_settings(index=scratch, **overrides), embedder=embedder)
        # Every figure counts every indexed document: a --work-dir filled from another checkout (a git worktree's
        # copy of the corpus) would hold each document twice, under two roots. Checked before ingesting, so the
        # kept dir is left as it was.
        foreign = foreign_roots(self.assistant.manifest.roots(), spec.paths())
        if foreign:
            self.assistant.close()
            raise ForeignDocuments(f"{spec.name}: {scratch} holds documents filed under {', '.join(foreign)}, not "
                                   f"this set's corpus (another checkout's, or an earlier corpus); the figures "
                                   f"would count them too. Use a fresh --work-dir, or delete {scratch}.")
        report = self.assistant.ingest(spec.paths())
        if report.failed:
            print(f"aims eval: {spec.name}: {len(report.failed)} files failed to ingest", file=sys.stderr)
        self.questions = load_questions(spec.questions)

    def answer_all(self, questions) -> dict:
        """id -> (answer, evidence) for each question, through the same path as `aims ask`; the seconds each
        took are kept in `seconds` (with an LLM configured, most of them are the LLM's)."""
        traced, self.seconds = {}, []
        for q in questions:
            started = time.perf_counter()
            traced[q.id] = self.assistant.ask_traced(q.question, role=q.role, k=EVAL_K)
            self.seconds.append(time.perf_counter() - started)
        return traced


def run_eval(args) -> int:
    """Run the evaluation described by the parsed arguments; returns the exit code."""
    if getattr(args, "out", None) and not args.calibrate:
        print("aims eval: --out goes with --calibrate", file=sys.stderr)
        return 2
    if getattr(args, "ids", None) and args.gate:
        print("aims eval: --gate reads whole test splits; it does not go with --ids", file=sys.stderr)
        return 2
    sets = _selected_sets(args)
    payload: dict = {"sets": {}}
    shared_embedder = None
    with tempfile.TemporaryDirectory(prefix="aims-eval-") as scratch_root:
        runs = []
        for spec in sets:
            if getattr(args, "work_dir", None):  # kept between runs: a re-run re-ingests nothing unchanged
                scratch = str(Path(args.work_dir) / spec.name)
            else:
                scratch = args.index if (args.index and len(sets) == 1) else str(Path(scratch_root) / spec.name)
            try:
                run = _Run(spec, args, scratch, shared_embedder)
            except ForeignDocuments as error:
                for earlier in runs:
                    earlier.assistant.close()
                print(f"aims eval: {error}", file=sys.stderr)
                return 2
            shared_embedder = run.assistant.embedder
            runs.append(run)
        if args.calibrate:
            target = Path(args.out) if getattr(args, "out", None) else \
                resources.calibration_file(load_settings(index=args.index).home)
            base = Path(args.work_dir) if getattr(args, "work_dir", None) else Path(scratch_root)
            # their questions join the judge's weights only (`eval_fit._calibrate`)
            training = [_Run(spec, args, str(base / "training" / spec.name), shared_embedder)
                        for spec in training_sets()]
            payload["calibration"] = _calibrate(runs, target, training)
            for run in training:
                run.assistant.close()
        for run in runs:
            payload["sets"][run.spec.name] = _measure(run, args)
            run.assistant.close()
    payload["regressions"], payload["targets_missed"], payload["targets_checked"] = read_against_targets(
        payload["sets"], args.split, _floors(), subset=bool(getattr(args, "ids", None)))
    if args.json:
        emit_json(json.loads(json.dumps(payload, default=str)))
    else:
        _print(payload)
        if payload["regressions"]:
            print("REGRESSION: " + "; ".join(payload["regressions"]))
    return 1 if args.gate and payload["regressions"] else 0


def read_against_targets(sets: dict, split: str, floors: dict,
                         subset: bool = False) -> tuple[list[str], list[str], bool]:
    """The regressions below the floors, the issue's targets missed, and whether they were read at all.

    Both are figures of whole test splits (`gate.json`'s floors sit a little under them), so neither a
    calibration-only run nor a `subset` of the questions (`--ids`) is read against them: their figures would
    be compared with numbers they were never meant to meet.
    """
    if split == "calibration" or subset:
        return [], [], False
    regressions, missed = [], []
    for name, result in sets.items():
        results = result["results"]
        if not results:  # no question of this set was measured
            continue
        reg, miss = gate(name, results.get("aims-assistant (test split)", results["aims-assistant"]),
                         results.get("llama-index baseline (test split)"), floors.get(name, {}))
        regressions += reg
        missed += miss
    return regressions, missed, True


def chosen_id(question_id: str, args) -> bool:
    """Whether `--ids` (globs on question ids, any of them) selects the question; no `--ids` selects all."""
    globs = getattr(args, "ids", None) or []
    return not globs or any(fnmatch.fnmatchcase(question_id, glob) for glob in globs)


def _floors() -> dict:
    path = resources.eval_sets().parent / "gate.json"
    return json.loads(path.read_text()) if path.exists() else {}


def _measure(run: _Run, args) -> dict:
    """Scores (all questions and the test split), the stage table, and the baseline's scores for one set."""
    assistant = run.assistant
    selected = [q for q in run.questions if (args.split == "all" or q.split == args.split) and chosen_id(q.id, args)]
    if not selected:  # none of this set's questions is on the split or chosen by `--ids`: no row of zeros
        return {"questions": 0, "results": {}}
    texts = assistant.document_texts()
    checker = LeakChecker({s: label for s, (label, _) in texts.items()},
                          {s: text for s, (_, text) in texts.items()}, assistant.settings.role_labels)
    traced = run.answer_all(selected)
    answers = {qid: answer for qid, (answer, _) in traced.items()}
    results = {"aims-assistant": score(answers, selected, checker)}
    test_only = [q for q in selected if q.split == "test"]
    if args.split == "all" and test_only:
        results["aims-assistant (test split)"] = score(answers, test_only, checker)
    out: dict = {"questions": len(selected), "results": results,
                 "seconds_per_question": round(sum(run.seconds) / max(len(run.seconds), 1), 3)}
    if assistant.settings.llm != "none":
        out["llm_choice"] = llm_choice_counts(traced.values())
    if args.diagnose:
        out["stages"] = stage_table([_stage_row(q, *traced[q.id]) for q in selected])
        if test_only:
            out["stages (test split)"] = stage_table([_stage_row(q, *traced[q.id]) for q in test_only])
    if not args.no_baseline:
        baseline_ask = assistant.baseline(run.spec.corpus, exclude=run.spec.excluded(assistant.settings.labels_file))
        base_answers = {q.id: baseline_ask(q.question, q.role) for q in selected}
        results["llama-index baseline"] = score(base_answers, selected, checker)
        if args.split == "all" and test_only:
            results["llama-index baseline (test split)"] = score(base_answers, test_only, checker)
        # the same pipeline with small nodes: read at about our answers' length (`words`), not 20 times it
        small_ask = assistant.baseline(run.spec.corpus, exclude=run.spec.excluded(assistant.settings.labels_file),
                                       node_tokens=SMALL_NODE_TOKENS)
        small_answers = {q.id: small_ask(q.question, q.role) for q in selected}
        results[SMALL_BASELINE] = score(small_answers, selected, checker)
        if args.split == "all" and test_only:
            results[f"{SMALL_BASELINE} (test split)"] = score(small_answers, test_only, checker)
    out["paired"] = _paired_with_ours(results)
    return out


def _paired_with_ours(results: dict) -> dict:
    """Each baseline against ours on the same questions (all of them, or the test split's), question by question."""
    compared = {}
    for name, metrics in results.items():
        if name.startswith("aims-assistant"):
            continue
        ours = results["aims-assistant (test split)" if name.endswith("(test split)") else "aims-assistant"]
        compared[name] = paired(ours, metrics)
    return compared


def llm_choice_counts(traced) -> dict:
    """How the LLM's choice of evidence went over (answer, evidence) pairs: sentences chosen, NONE, a reply
    that could not be read, or no choice (not asked: nothing to choose from, or the LLM unreachable)."""
    counts = {"chose": 0, "none": 0, "unreadable": 0, "no choice": 0}
    for _, evidence in traced:
        went = evidence.llm_choice if evidence is not None else None
        counts[went if went in counts else "no choice"] += 1
    return counts


def _stage_row(question, answer, evidence) -> dict:
    """Where one question's gold evidence sits at each stage (1-based ranks; None: absent)."""
    def rank_of(items) -> int | None:
        return next((n for n, (chunk, quote) in enumerate(items, start=1) if _hits(question, chunk, quote)), None)

    candidates = [(c.chunk, c.chunk.text) for c in evidence.candidates] if evidence else []
    units = [(u.passage.chunk, u.text) for u in evidence.units] if evidence else []
    final = next((n for n, citation in enumerate(answer.citations, start=1)
                  if any(citation_hits(citation, gold) for gold in question.gold)), None)
    return {"question": question, "candidate_rank": rank_of(candidates), "unit_rank": rank_of(units),
            "final_rank": final, "status": answer.status}


# The baseline's node size when read at about our answers' length: its five default nodes (1,024 tokens) quote
# 2,300-2,900 words an answer on our sets, ours 110-250; five 128-token nodes quote about 320-350.
SMALL_NODE_TOKENS = 128
SMALL_BASELINE = f"llama-index baseline, {SMALL_NODE_TOKENS}-token nodes"


def _print(payload: dict) -> None:
    out = sys.stdout
    for name, result in payload["sets"].items():
        if not result["questions"]:
            out.write(f"## {name}: no question chosen\n\n")
            continue
        out.write(f"## {name}: {result['questions']} questions\n\n")
        out.write(format_table(result["results"]) + "\n\n")
        out.write("How sure these figures are (Wilson 95 % intervals; each baseline against ours on the same "
                  "questions, with the exact sign test's p-value):\n\n")
        out.write(format_uncertainty(result["results"], result.get("paired", {})) + "\n\n")
        if "llm_choice" in result:
            counts = ", ".join(f"{n} {kind}" for kind, n in result["llm_choice"].items())
            out.write(f"LLM choice of evidence: {counts}; {result['seconds_per_question']} s a question\n\n")
        for key in ("stages", "stages (test split)"):
            if key in result:
                out.write(f"{key}: where the gold evidence is\n{format_stage_table(result[key])}\n\n")
    if not payload.get("targets_checked", True):
        out.write("targets and floors are read on whole test splits; not checked on a calibration-only run "
                  "or a subset chosen with --ids\n")
    elif payload["targets_missed"]:
        out.write("issue targets not yet met: " + "; ".join(payload["targets_missed"]) + "\n")
    else:
        out.write("issue targets met\n")


def cmd_eval(args) -> int:
    """`aims eval`: the metrics of `aims ask` and of a plain llama-index baseline on the gold questions."""
    return run_eval(args)
