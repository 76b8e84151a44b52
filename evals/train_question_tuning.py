"""Tune the question side of MiniLM on the training corpora, and store it as `assistant/retrieval/question_tuning.npz`.

Why: the ranker's features cannot tell a sentence that answers from one that only shares the topic;
a question encoder tuned to pull a question towards its answering sentence, and away from the
sentences the ranker wrongly put ahead, adds what they lack. The training material is two batches
written by helpers for this purpose only (see their READMEs): `evals/training/tr1` to `tr8` and
`evals/training-next/tr9` to `tr16`, sixteen document sets and 1,600 questions; no eval set's documents or
questions are used, so every eval split, calibration included, stays unseen by the tuning.

One tuning is made from each batch, from the same start and seed, and the two are averaged weight by weight
into the one stored (a "soup": no cost at run time). Tuned on both batches together, the refitted ranker
lost 2 calibration questions; averaged, it gained 5 (`evals/training-next/README.md`).

How: each training corpus is ingested into a scratch dir and every question asked with tuning off.
For each answerable question whose gold is among its ranked units, the loss is the listwise
softmax over its gold units and the 30 best-ranked others of
    ranker score + a * 20 * (tuned similarity - plain similarity)
so the tuning learns what the ranker gets wrong, not the similarity it already has; `a` is learned
with it. A pull (0.01 * 100 * (1 - cos)) keeps each tuned question vector near the plain one.
Documents' vectors are the plain model's throughout. Then `aims eval --calibrate` fits the ranker's
weight for the new feature on the calibration splits.

    python evals/train_question_tuning.py --work-dir DIR [--calibration ranker.json] [--out FILE]

(each training corpus is ingested into DIR/<its name>: tr1 to tr16)

`--calibration` is the fit whose scores the tuning learns the residual of (default: the shipped one; the
shipped tuning was made against 6407c54's, `git show 6407c54:assistant/answering/ranker.json > FILE`).
Took 12 minutes here, on indexes kept in DIR, with another job sharing the 2 cores (training: about 30 s a batch
alone, 5 minutes shared).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import random
import sys
import time
from pathlib import Path
from types import SimpleNamespace

os.environ["AIMS_QUESTION_TUNING"] = "false"  # the scores learned against are those with tuning off

import numpy as np  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from assistant.cli.eval import _Run, training_sets  # noqa: E402
from assistant.cli.eval_fit import _hits  # noqa: E402
from assistant.core.chunks import quote_spans  # noqa: E402
from assistant.resources import CALIBRATION_NAME, shipped_calibration  # noqa: E402

TRAINING = Path(__file__).resolve().parent / "training"
BATCHES = (TRAINING, TRAINING.parent / "training-next")  # one tuning from each, averaged
SCALE, KEEP, HARD, EPOCHS, LR, BATCH, SEED, RANK = 20.0, 0.01, 30, 3, 2e-5, 16, 0, 32


def unit_vector(unit) -> np.ndarray:
    """The unit's sentence vector as the features saw it (the chunk's own where the spans do not match)."""
    spans, vectors = quote_spans(unit.candidate.chunk), unit.candidate.sentence_vectors
    if len(vectors) == len(spans) and (unit.start, unit.end) in spans:
        return vectors[spans.index((unit.start, unit.end))]
    return unit.candidate.vector


def with_every_feature(fit: dict) -> dict:
    """A fit made before a feature existed, with that feature at weight 0: it ranks as it did (the shipped
    tuning learned the residual of 6407c54's fit, `git show 6407c54:assistant/answering/ranker.json`)."""
    from assistant.answering.features import FEATURES

    ranker = fit["ranker"]
    names = list(ranker["features"])
    for name in FEATURES:
        if name not in names:
            names.append(name)
            ranker["weights"][name] = 0.0
            ranker["mean"].append(0.0)
            ranker["scale"].append(1.0)
    order = [names.index(name) for name in FEATURES]
    ranker.update(features=list(FEATURES), mean=[ranker["mean"][i] for i in order],
                  scale=[ranker["scale"][i] for i in order])
    return fit


def gather(work: Path, calibration: Path, folder: Path = TRAINING) -> list[dict]:
    """Every training question's ranked units, for the sets in `folder`: plain question vector, units' vectors,
    scores, gold."""
    lists, embedder = [], None
    for spec in training_sets(folder=folder):
        scratch = work / spec.name
        scratch.mkdir(parents=True, exist_ok=True)
        (scratch / CALIBRATION_NAME).write_text(json.dumps(with_every_feature(json.loads(calibration.read_text()))))
        run = _Run(spec, SimpleNamespace(chroma_url=None, bridge=False, with_stages=None), str(scratch), embedder)
        embedder = run.assistant.embedder
        for q in run.questions:
            _, evidence = run.assistant.ask_traced(q.question, role=q.role)
            units = evidence.units if evidence else []
            if not q.answerable or len(units) < 2:
                continue
            gold = np.asarray([_hits(q, u.passage.chunk, u.text) for u in units], dtype=bool)
            if gold.any() and not gold.all():
                lists.append({"question": q.question, "scores": np.asarray([u.score for u in units], np.float32),
                              "vectors": np.stack([unit_vector(u) for u in units]).astype(np.float32), "gold": gold})
        run.assistant.close()
        print(f"{spec.name}: {len(lists)} lists so far", flush=True)
    return lists


def train(lists: list[dict]):
    """The tuned SentenceTransformer and the learned residual weight `a`."""
    import torch
    from sentence_transformers import SentenceTransformer

    from assistant.retrieval.embedder import default_model_path

    torch.manual_seed(SEED)
    random.seed(SEED)
    model = SentenceTransformer(str(default_model_path()), device="cpu", local_files_only=True)
    for p in model[0].auto_model.embeddings.parameters():
        p.requires_grad = False
    alpha = torch.nn.Parameter(torch.tensor(0.3))
    trainable = [p for p in model.parameters() if p.requires_grad]
    optimiser = torch.optim.AdamW([{"params": trainable}, {"params": [alpha], "lr": 1e-2, "weight_decay": 0.0}],
                                  lr=LR, weight_decay=0.01)

    def encode(texts, grad):
        with torch.enable_grad() if grad else torch.no_grad():
            out = model(model.tokenize(texts))["sentence_embedding"]
        return torch.nn.functional.normalize(out, dim=-1)

    groups = []
    for item in lists:
        order = np.argsort(-item["scores"], kind="stable")
        pos = [int(i) for i in order if item["gold"][i]]
        neg = [int(i) for i in order if not item["gold"][i]][:HARD]
        groups.append((item, pos + neg, len(pos)))
    plain = encode([g[0]["question"] for g in groups], grad=False)
    plain_of = {id(g[0]): plain[i] for i, g in enumerate(groups)}
    model.train()
    for epoch in range(EPOCHS):
        random.shuffle(groups)
        total, steps, started = 0.0, 0, time.time()
        for start in range(0, len(groups), BATCH):
            batch = groups[start:start + BATCH]
            tuned = encode([g[0]["question"] for g in batch], grad=True)
            loss = 0.0
            for row, (item, index, n_pos) in enumerate(batch):
                vectors = torch.from_numpy(item["vectors"][index])
                base_q = plain_of[id(item)]
                logits = (torch.from_numpy(item["scores"][index])
                          + alpha * SCALE * (vectors @ tuned[row] - vectors @ base_q))
                log_p = torch.log_softmax(logits, 0)
                loss = loss - torch.logsumexp(log_p[:n_pos], 0) + KEEP * 100 * (1 - tuned[row] @ base_q)
            loss = loss / len(batch)
            loss.backward()
            optimiser.step()
            optimiser.zero_grad()
            total, steps = total + float(loss.detach()), steps + 1
        print(f"epoch {epoch}: loss {total / steps:.3f}, a {float(alpha):.3f} ({time.time() - started:.0f} s)",
              flush=True)
    model.eval()
    return model, float(alpha)


def hit_at_1(lists: list[dict], vectors: np.ndarray | None, alpha: float, plain: np.ndarray) -> int:
    """Lists whose best unit is gold under score + a * 20 * (tuned - plain) (vectors None: the score alone)."""
    hits = 0
    for item, p, t in zip(lists, plain, vectors if vectors is not None else plain):
        score = item["scores"] + alpha * SCALE * (item["vectors"] @ t - item["vectors"] @ p)
        hits += bool(item["gold"][int(np.argmax(score))])
    return hits


def soup(states: list[dict]) -> dict:
    """The weights of several tunings of one model averaged, tensor by tensor (integer buffers kept as the first's)."""
    return {name: sum(state[name].float() for state in states) / len(states) if tensor.is_floating_point()
            else tensor for name, tensor in states[0].items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--work-dir", required=True, type=Path, help="scratch data dirs, one per training corpus")
    parser.add_argument("--calibration", type=Path, default=shipped_calibration(),
                        help="the fit whose scores the tuning learns the residual of")
    parser.add_argument("--out", type=Path, default=ROOT / "assistant" / "retrieval" / "question_tuning.npz")
    args = parser.parse_args()

    from sentence_transformers import SentenceTransformer

    from assistant.retrieval.embedder import default_model_path
    from assistant.retrieval.question_tuning import TunedQuestionEncoder, save_deltas

    batches, states = [], []
    for folder in BATCHES:
        lists = gather(args.work_dir, args.calibration, folder)
        model, alpha = train(lists)
        batches.append((folder, lists, alpha))
        states.append(model[0].auto_model.state_dict())
    base = SentenceTransformer(str(default_model_path()), device="cpu", local_files_only=True)
    lists = [item for _, batch_lists, _ in batches for item in batch_lists]
    alpha = sum(a for _, _, a in batches) / len(batches)
    meta = {"trained_on": [[spec.name for spec in training_sets(folder=folder)] for folder, _, _ in batches],
            "averaged": len(batches), "lists": [len(batch_lists) for _, batch_lists, _ in batches],
            "epochs": EPOCHS, "lr": LR, "keep": KEEP, "hard_negatives": HARD, "seed": SEED,
            "a": [round(a, 4) for _, _, a in batches],
            "against_sha256": hashlib.sha256(args.calibration.read_bytes()).hexdigest()[:12]}
    info = save_deltas(base[0].auto_model.state_dict(), soup(states), args.out, RANK, meta)
    questions = [item["question"] for item in lists]
    plain = base.encode(questions, normalize_embeddings=True, convert_to_numpy=True)
    stored = TunedQuestionEncoder(default_model_path(), args.out).encode(questions)
    print(json.dumps(info))
    print(f"training lists with gold first: ranker {hit_at_1(lists, None, alpha, plain)}, the averaged tuning as "
          f"stored (rank {RANK}, float16, at the mean a) {hit_at_1(lists, stored, alpha, plain)} of {len(lists)}")


if __name__ == "__main__":
    main()
